#define _GNU_SOURCE
#include <sched.h>
#include <unistd.h>
#include "CHost.h"

int ringc_pin_to_cpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return sched_setaffinity(0, sizeof set, &set);
}

int ringc_unpin(void) {
  cpu_set_t set;
  CPU_ZERO(&set);
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  for (long i = 0; i < n && i < CPU_SETSIZE; i++) CPU_SET(i, &set);
  return sched_setaffinity(0, sizeof set, &set);
}
