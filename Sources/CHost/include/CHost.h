// What ringc asks of the host OS that Swift's view of glibc does not offer:
// pinning threads (for `ringc calibrate`) and faulting memory in ahead of
// use (for `ringc run`). cpu_set_t and MADV_POPULATE_WRITE need _GNU_SOURCE
// or new headers, which must not leak into Swift's view of glibc, so only
// plain ints and pointers cross this header.
#ifndef RINGC_HOST_H
#define RINGC_HOST_H

#include <stddef.h>

/// Pins the calling thread to `cpu`; returns 0 on success.
int ringc_pin_to_cpu(int cpu);

/// Lets the calling thread run on every CPU it could at start; returns 0 on success.
int ringc_unpin(void);

/// Faults in `bytes` of writable memory at `start` (page-aligned), so later
/// writes find their pages mapped: one `madvise(MADV_POPULATE_WRITE)` where
/// the kernel has it (Linux 5.14+), else a write to every page.
void ringc_populate(void *start, size_t bytes);

#endif
