// posix_memalign and madvise for tensor storage (huge pages for large buffers).
#include <stdlib.h>
#include <sys/mman.h>
