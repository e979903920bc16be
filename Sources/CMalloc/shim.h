// posix_memalign for tensor storage and glibc's mallopt, which is not in the Glibc module.
#include <stdlib.h>
#include <malloc.h>
