// glibc functions the Glibc module does not give Swift: mallopt
// (tensor storage).
#include <stdlib.h>
#include <malloc.h>
