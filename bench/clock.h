/* The two clocks both C children of the benchmark report: this process's CPU time (user +
 * system, all threads) and a monotonic wall clock. Shared by receiver.c and sender.c. */
#ifndef SOCK_SENDFILE_BENCH_CLOCK_H
#define SOCK_SENDFILE_BENCH_CLOCK_H
#include <stdint.h>
#include <sys/resource.h>
#include <time.h>

static int64_t cpu_us(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec +
         ru.ru_stime.tv_usec;
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#endif
