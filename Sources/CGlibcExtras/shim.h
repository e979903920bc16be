// glibc functions the Glibc module does not give Swift: mallopt (tensor storage)
// and posix_memalign.
#include <stdlib.h>
#include <malloc.h>
