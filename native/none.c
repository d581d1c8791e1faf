/*
 * The sendfile.h interface for platforms where sendfile(2) to a socket is not used (and for the
 * test that loads this variant on purpose): every operation reports -ENOSYS and touches nothing.
 * It needs only <errno.h>, so it builds with any C compiler Node can load addons from.
 *
 * Invariants: no side effects; every result is -ENOSYS (ss_sendfile_wait neither waits nor reads
 * its cancel flag); ss_close is a no-op because ss_dup never hands out an fd.
 */
#include <errno.h>
#include <stddef.h>

#include "sendfile.h"

const char ss_backend[] = "none";

int64_t ss_sendfile(int sock, int file, int64_t offset, int64_t length) {
  (void)sock; (void)file; (void)offset; (void)length;
  return -ENOSYS;
}

int64_t ss_sendfile_wait(int sock, int file, int64_t offset, int64_t length, int64_t max_wait_ms,
                         const int32_t *cancel, int64_t *late) {
  (void)sock; (void)file; (void)offset; (void)length; (void)max_wait_ms; (void)cancel;
  if (late != NULL) *late = 0;
  return -ENOSYS;
}

int ss_dup(int fd) {
  (void)fd;
  return -ENOSYS;
}

void ss_close(int fd) {
  (void)fd;
}

int64_t ss_lseek(int fd, int64_t offset) {
  (void)fd; (void)offset;
  return -ENOSYS;
}

int ss_fstat(int fd, double *size, int *type) {
  (void)fd; (void)size; (void)type;
  return -ENOSYS;
}

int ss_fadvise_dontneed(int fd) {
  (void)fd;
  return -ENOSYS;
}
