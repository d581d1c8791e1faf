/*
 * Linux syscalls behind sendfile.h.
 *
 * Invariants: every call retries EINTR and nothing else; errors come back as -errno, never via
 * errno; sendfile always passes &offset so the file's own position is never read or moved; a
 * single sendfile asks for at most SS_CHUNK_MAX bytes (the kernel caps a call at 0x7ffff000
 * anyway, and the cap keeps a count that fits ssize_t on any ABI).
 */
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64

#include <errno.h>
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
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

int64_t ss_sendfile_all(int sock, int file, int64_t offset, int64_t length) {
  int64_t total = 0;
  while (total < length) {
    int64_t n = ss_sendfile(sock, file, offset + total, length - total);
    if (n > 0) {
      total += n;
      continue;
    }
    /* EOF, or an error: bytes already moved must be reported, so the errno only counts alone. */
    if (n < 0 && total == 0) return n;
    break;
  }
  return total;
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

int ss_fstat(int fd, double *size, int *kind) {
  struct stat st;
  if (fstat(fd, &st) != 0) return -errno;
  *size = (double)st.st_size;
  if (S_ISREG(st.st_mode)) *kind = SS_KIND_FILE;
  else if (S_ISDIR(st.st_mode)) *kind = SS_KIND_DIR;
  else if (S_ISFIFO(st.st_mode)) *kind = SS_KIND_FIFO;
  else if (S_ISSOCK(st.st_mode)) *kind = SS_KIND_SOCKET;
  else if (S_ISCHR(st.st_mode)) *kind = SS_KIND_CHAR;
  else if (S_ISBLK(st.st_mode)) *kind = SS_KIND_BLOCK;
  else *kind = SS_KIND_OTHER;
  return 0;
}

int ss_fadvise_dontneed(int fd) {
  /* posix_fadvise returns the error number itself and leaves errno alone. */
  int r = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  return -r;
}
