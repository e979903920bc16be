#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>
#include "CHost.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

void ringc_populate(void *start, size_t bytes) {
  if (madvise(start, bytes, MADV_POPULATE_WRITE) == 0 || errno != EINVAL) return;
  // Older kernels (EINVAL: no such advice): touch every page (volatile, so
  // the stores are not elided). Other failures (no memory) leave it be.
  long page = sysconf(_SC_PAGESIZE);
  volatile char *p = start;
  for (size_t i = 0; i < bytes; i += (size_t)page) p[i] = 0;
}
