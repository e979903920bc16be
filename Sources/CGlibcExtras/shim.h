// glibc functions the Glibc module does not give Swift: mallopt (tensor storage),
// sched_{get,set}affinity (calibration), plus posix_memalign.
#define _GNU_SOURCE
#include <sched.h>
#include <stdlib.h>
#include <malloc.h>
