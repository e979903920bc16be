// Pinning the calling thread to one CPU and back, for `ringc calibrate`.
// (cpu_set_t needs _GNU_SOURCE, which must not leak into Swift's view of glibc,
// so only plain ints cross this header.)
#ifndef RINGC_AFFINITY_H
#define RINGC_AFFINITY_H

/// Pins the calling thread to `cpu`; returns 0 on success.
int ringc_pin_to_cpu(int cpu);

/// Lets the calling thread run on every CPU it could at start; returns 0 on success.
int ringc_unpin(void);

#endif
