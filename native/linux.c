/*
 * Linux syscalls behind sendfile.h.
 *
 * Invariants: every call retries EINTR and nothing else; errors come back as -errno, never via
 * errno; sendfile always passes &offset so the file's own position is never read or moved; a
 * single sendfile asks for at most SS_CHUNK_MAX bytes (the kernel caps a call at 0x7ffff000
 * anyway, and the cap keeps a count that fits ssize_t on any ABI). ss_sendfile_wait never blocks
 * longer than SS_WAIT_SLICE_MS without looking at its cancel flag, nor waits longer in all than
 * its budget (timed on CLOCK_MONOTONIC, so a clock change cannot stretch it).
 */
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "sendfile.h"

#define SS_CHUNK_MAX ((int64_t)0x7ffff000)

const char ss_backend[] = "linux-sendfile";

int64_t ss_sendfile(int sock, int file, int64_t offset, int64_t length) {
  off_t off = (off_t)offset;
  size_t count = (size_t)(length > SS_CHUNK_MAX ? SS_CHUNK_MAX : length);
  for (;;) {
    ssize_t n = sendfile(sock, file, &off, count);
    if (n >= 0) return (int64_t)n;
    if (errno != EINTR) return -(int64_t)errno;
  }
}

static int cancelled(const int32_t *cancel) {
  /* JS stores into this memory while we run: the atomic load stops the compiler caching it. */
  return cancel != NULL && __atomic_load_n(cancel, __ATOMIC_ACQUIRE) != 0;
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t ss_sendfile_wait(int sock, int file, int64_t offset, int64_t length, int64_t max_wait_ms,
                         const int32_t *cancel, int64_t *late) {
  const int64_t budget = max_wait_ms * 1000000; /* ns of waiting this call may spend in all */
  int64_t total = 0;
  int64_t waited = 0;  /* ns spent in earlier waits that ended in progress */
  int64_t since = -1;  /* when the current wait began (first EAGAIN since the last progress) */
  int hangup = 0;      /* the last poll said POLLERR/POLLHUP: one more EAGAIN ends the call */
  int64_t err = 0;
  while (total < length) {
    if (cancelled(cancel)) { err = -ECANCELED; break; }
    int64_t n = ss_sendfile(sock, file, offset + total, length - total);
    if (n > 0) {
      total += n;
      if (since >= 0) { waited += now_ns() - since; since = -1; }
      hangup = 0;
      continue;
    }
    if (n == 0) break; /* EOF */
    /* After POLLERR/POLLHUP, EAGAIN would never end: the socket's state is final, so stop. */
    if (n != -EAGAIN || hangup) { err = n; break; }

    /* A wait is timed from the EAGAIN, not the poll, so a POLLOUT that sendfile disagrees with
     * cannot spin the thread past its budget. */
    int64_t t = now_ns();
    if (since < 0) since = t;
    for (;;) {
      int64_t left = budget - waited - (t - since);
      if (left <= 0) { err = -EAGAIN; break; }
      int64_t ms = (left + 999999) / 1000000;
      struct pollfd p = {.fd = sock, .events = POLLOUT, .revents = 0};
      int r = poll(&p, 1, (int)(ms > SS_WAIT_SLICE_MS ? SS_WAIT_SLICE_MS : ms));
      if (r < 0 && errno != EINTR) { err = -(int64_t)errno; break; }
      if (cancelled(cancel)) { err = -ECANCELED; break; }
      if (r > 0) {
        if (p.revents & POLLNVAL) { err = -EBADF; break; }
        /* The kernel's errno says more than a poll bit: the next sendfile fetches it. */
        if (p.revents & (POLLERR | POLLHUP)) hangup = 1;
        break;
      }
      t = now_ns();
    }
    if (err != 0) break;
  }
  /* Bytes already moved must be reported; an error after them goes out beside them. */
  if (late != NULL) *late = total > 0 && err != -EAGAIN && err != -ECANCELED ? err : 0;
  return total > 0 ? total : err;
}

int ss_dup(int fd) {
  for (;;) {
    int d = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (d >= 0) return d;
    if (errno != EINTR) return -errno;
  }
}

void ss_close(int fd) {
  /* Linux releases the fd even when close reports EINTR: retrying could close a reused fd. */
  if (fd >= 0) close(fd);
}

int64_t ss_lseek(int fd, int64_t offset) {
  off_t r = lseek(fd, (off_t)offset, SEEK_SET);
  return r < 0 ? -(int64_t)errno : (int64_t)r;
}

int ss_fstat(int fd, double *size, int *type) {
  struct stat st;
#if defined(__x86_64__) || defined(__aarch64__)
  /* The syscall, not fstat(): glibc 2.33 made fstat a versioned symbol of its own
   * (fstat64@GLIBC_2.33), which would keep a prebuilt addon from loading on older glibc. On
   * these two ABIs the kernel's struct stat is glibc's. */
  if (syscall(SYS_fstat, fd, &st) != 0) return -errno;
#else
  if (fstat(fd, &st) != 0) return -errno;
#endif
  *size = (double)st.st_size;
  *type = (int)(st.st_mode & S_IFMT);
  return 0;
}

int ss_fadvise_dontneed(int fd) {
  /* posix_fadvise returns the error number itself and leaves errno alone. */
  int r = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  return -r;
}
