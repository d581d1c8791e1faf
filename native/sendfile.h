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
 */
#ifndef SOCK_SENDFILE_H
#define SOCK_SENDFILE_H

#include <stdint.h>

/* Largest offset or length JS can pass exactly: 2^53 - 1. */
#define SS_MAX_SAFE 9007199254740991.0

/* Kinds written by ss_fstat; the JS side relies on these numbers. */
enum ss_kind {
  SS_KIND_OTHER = 0,
  SS_KIND_FILE = 1,
  SS_KIND_DIR = 2,
  SS_KIND_FIFO = 3,
  SS_KIND_SOCKET = 4,
  SS_KIND_CHAR = 5,
  SS_KIND_BLOCK = 6,
};

/* "linux-sendfile" or "none". */
extern const char ss_backend[];

/* One sendfile call (EINTR retried): bytes moved, 0 at EOF, or -errno (-EAGAIN on a full socket). */
int64_t ss_sendfile(int sock, int file, int64_t offset, int64_t length);

/* sendfile repeated while it makes progress, up to length: the total moved, or -errno if none. */
int64_t ss_sendfile_all(int sock, int file, int64_t offset, int64_t length);

/* A close-on-exec duplicate of fd, or -errno. */
int ss_dup(int fd);

void ss_close(int fd);

/* SEEK_SET: the new offset or -errno. */
int64_t ss_lseek(int fd, int64_t offset);

/* Size and one of enum ss_kind; 0 or -errno. */
int ss_fstat(int fd, double *size, int *kind);

/* posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED): 0 or -errno. */
int ss_fadvise_dontneed(int fd);

/* The symbolic name of a positive errno ("EAGAIN"), or NULL when this platform has none for it. */
const char *ss_errname(int err);

#endif
