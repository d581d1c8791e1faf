/*
 * Private interface between the N-API glue (binding.c) and one per-OS syscall file (linux.c, or
 * none.c where sendfile(2) for sockets is not used).
 *
 * Invariants every implementation keeps:
 * - No function ever reports failure through errno or a crash: each returns a value >= 0 on
 *   success and -errno on failure.
 * - No function touches a file's own position except ss_lseek; sendfile always goes through an
 *   explicit offset.
 * - No libuv and no N-API in here: these run on worker threads too, and Bun stubs uv_*.
 * - A wait is always bounded by its caller's budget and polls only an fd the caller owns (a dup):
 *   the fd a libuv loop watches is never polled here, and a worker thread is never held forever.
 * - A cancel flag is memory JS writes concurrently: it is only ever read, with an atomic load.
 */
#ifndef SOCK_SENDFILE_H
#define SOCK_SENDFILE_H

#include <stdint.h>

/* Largest offset or length JS can pass exactly: 2^53 - 1. */
#define SS_MAX_SAFE 9007199254740991.0

/* "linux-sendfile" or "none". */
extern const char ss_backend[];

/* One sendfile call (EINTR retried): bytes moved, 0 at EOF, or -errno (-EAGAIN on a full socket). */
int64_t ss_sendfile(int sock, int file, int64_t offset, int64_t length);

/* Longest single poll() while waiting for POLLOUT: how late a cancel can be seen, at worst. */
#define SS_WAIT_SLICE_MS 10

/*
 * sendfile repeated up to length; on EAGAIN it polls sock for POLLOUT (in slices of at most
 * SS_WAIT_SLICE_MS) and carries on, for at most max_wait_ms of waiting in all (0: stop at the
 * first EAGAIN). *cancel (NULL: none) non-zero stops it before the next sendfile or after the
 * current slice. Returns the total moved if any bytes moved; otherwise 0 at EOF, -ECANCELED,
 * -EAGAIN when the wait ran out, or -errno. *late (NULL: not wanted) gets the -errno that ended a
 * call after bytes moved, or 0 (EAGAIN and ECANCELED are not errors there). The rule for using
 * it, and why, is stated once, where it is enforced: ts/node/host.ts, `lateError`.
 */
int64_t ss_sendfile_wait(int sock, int file, int64_t offset, int64_t length, int64_t max_wait_ms,
                         const int32_t *cancel, int64_t *late);

/* A close-on-exec duplicate of fd, or -errno. */
int ss_dup(int fd);

void ss_close(int fd);

/* SEEK_SET: the new offset or -errno. */
int64_t ss_lseek(int fd, int64_t offset);

/* Size and file type (st_mode & S_IFMT, which JS reads as fs.constants.S_IF*); 0 or -errno. */
int ss_fstat(int fd, double *size, int *type);

/* posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED): 0 or -errno. */
int ss_fadvise_dontneed(int fd);

#endif
