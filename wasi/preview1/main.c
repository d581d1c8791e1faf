/*
 * send: the preview1 command. Writes bytes [offset, offset + count) of FILE to stdout, for
 * runtimes that hand a program its connection as stdout (inetd or socket-activation style:
 * Node's node:wasi, wasmer, WAMR, wasmtime).
 *
 *   send FILE [--offset N] [--count N]
 *
 * Exit status: 0 sent (stopping at EOF); 1 an I/O error, after `send: <what>: <why> (N bytes
 * sent)` on stderr; 2 a usage error; 70 the module was linked wrong.
 *
 * Invariants:
 * - The accounting is the AssemblyScript core's (wasm/transfer.ts, linked into this module by
 *   wasm-merge, see wasi/build.sh): this file performs the READ and WRITE
 *   actions core_next() returns and reports them; it never decides offsets or lengths.
 * - The core lives in this module's memory below everything wasm-ld placed (data, stack,
 *   heap); check_layout() refuses to run otherwise, so a linking mistake cannot corrupt data.
 * - Never more than count bytes: reads ask for what the core says; a write never exceeds
 *   the slot's length; a short write resumes where it stopped.
 * - A full non-blocking stdout (EAGAIN) waits in poll() for POLLOUT, then writes again; a
 *   runtime whose poll cannot watch the fd gets a short sleep instead, never a busy loop.
 * - bytes sent is the core's count alone: a failing write reports what it wrote before failing.
 * - Whether a file may start at an offset is the core's rule (FLAG_SEQUENTIAL, SEEK_REFUSED).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CORE(name) __attribute__((import_module("core"), import_name(#name)))
CORE(core_configure) int32_t core_configure(int32_t transfers, int32_t slots, int32_t slot_size, int32_t depth);
CORE(core_end) uint32_t core_end(void);
CORE(core_slot_ptr) uint32_t core_slot_ptr(int32_t s);
CORE(core_begin) int32_t core_begin(int64_t offset, int64_t count, int64_t size, int32_t flags);
CORE(core_next) int32_t core_next(int32_t t);
CORE(core_act_offset) int64_t core_act_offset(void);
CORE(core_act_length) int32_t core_act_length(void);
CORE(core_act_slot) int32_t core_act_slot(void);
CORE(core_read_done) void core_read_done(int32_t t, int32_t s, int32_t n);
CORE(core_read_failed) void core_read_failed(int32_t t, int32_t s);
CORE(core_write_done) void core_write_done(int32_t t, int32_t s);
CORE(core_write_failed) void core_write_failed(int32_t t, int32_t s, int32_t accepted);
CORE(core_fail) void core_fail(int32_t t, int32_t code);
CORE(core_finish) void core_finish(int32_t t);
CORE(core_sent) int64_t core_sent(int32_t t);
CORE(core_failure) int32_t core_failure(int32_t t);

/* ACT_*, FAIL_*, FLAG_*, NO_ENTRY, SEEK_REFUSED: generated from wasm/abi.ts by wasi/build.sh. */
#include "abi.h"

#define SLOTS 2
#define SLOT_SIZE 65536

/* Where wasm-ld put this module's own memory. */
extern unsigned char __global_base[], __heap_base[];

static void say(const char *s) { (void)!write(2, s, strlen(s)); }

static void say_u64(uint64_t v) {
  char buf[24];
  int i = sizeof buf;
  do { buf[--i] = (char)('0' + v % 10); v /= 10; } while (v);
  (void)!write(2, buf + i, sizeof buf - i);
}

static int usage(const char *why) {
  say("send: ");
  if (why) { say(why); say("; "); }
  say("usage: send FILE [--offset N] [--count N]\n");
  return 2;
}

static int parse_u64(const char *s, uint64_t *out) {
  if (!*s) return 0;
  uint64_t v = 0;
  for (; *s; s++) {
    if (*s < '0' || *s > '9') return 0;
    unsigned d = (unsigned)(*s - '0');
    if (v > (UINT64_MAX - d) / 10) return 0;
    v = v * 10 + d;
  }
  if (v > INT64_MAX) return 0;
  *out = v;
  return 1;
}

static void check_layout(void) {
  uintptr_t lowest = (uintptr_t)__global_base;
  uintptr_t stack_top = (uintptr_t)__builtin_frame_address(0);
  if (stack_top < lowest) lowest = 0; /* stack placed first: it would overlap the core */
  if (core_end() > lowest) {
    say("send: internal error: the core's memory overlaps the C side's; rebuild\n");
    _Exit(70);
  }
}

/* Waits until stdout may accept more. poll() on a socket works in wasmtime and Node (uvwasi);
 * a runtime that cannot poll an fd gets 1 ms sleeps, bounded by the caller's retries. */
static void wait_writable(void) {
  struct pollfd p = { .fd = 1, .events = POLLOUT };
  int r = poll(&p, 1, 1000);
  if (r < 0 && errno != EINTR) {
    struct timespec ts = { 0, 1000000 };
    nanosleep(&ts, 0);
  }
}

/* Writes len bytes at p; *done counts what went (so a failure knows the partial count).
 * Returns 0 or an errno. */
static int write_all(const unsigned char *p, size_t len, size_t *done) {
  while (*done < len) {
    ssize_t n = write(1, p + *done, len - *done);
    if (n > 0) { *done += (size_t)n; continue; }
    if (n == 0) { wait_writable(); continue; }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) { wait_writable(); continue; }
    return errno;
  }
  return 0;
}

int main(int argc, char **argv) {
  const char *file = 0;
  uint64_t offset = 0, count = 0;
  int has_count = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    int is_off = !strcmp(a, "--offset") || !strncmp(a, "--offset=", 9);
    int is_cnt = !strcmp(a, "--count") || !strncmp(a, "--count=", 8);
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      (void)!write(1, "usage: send FILE [--offset N] [--count N]\n", 42);
      return 0;
    }
    if (is_off || is_cnt) {
      const char *v = strchr(a, '=');
      if (v) v++;
      else if (i + 1 < argc) v = argv[++i];
      else return usage(is_off ? "--offset needs a value" : "--count needs a value");
      uint64_t n;
      if (!parse_u64(v, &n))
        return usage(is_off ? "--offset must be a non-negative integer"
                            : "--count must be a non-negative integer");
      if (is_off) offset = n; else { count = n; has_count = 1; }
    } else if (a[0] == '-' && a[1]) {
      return usage("unknown option");
    } else if (!file) {
      file = a;
    } else {
      return usage("too many arguments");
    }
  }
  if (!file) return usage(0);

  if (core_configure(1, SLOTS, SLOT_SIZE, SLOTS) != 0) {
    say("send: internal error: cannot configure the core\n");
    return 70;
  }
  check_layout();

  int fd = open(file, O_RDONLY);
  if (fd < 0) {
    int e = errno;
    say("send: "); say(file); say(": "); say(strerror(e)); say("\n");
    return 1;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    int e = S_ISDIR(st.st_mode) ? EISDIR : errno;
    say("send: "); say(file); say(": "); say(strerror(e)); say("\n");
    return 1;
  }
  /* A pipe or device has no size and no offsets: it is read in order. */
  int regular = S_ISREG(st.st_mode);
  int t = core_begin((int64_t)offset, has_count ? (int64_t)count : -1,
                     regular ? (int64_t)st.st_size : -1, regular ? 0 : FLAG_SEQUENTIAL);
  if (t == SEEK_REFUSED) {
    say("send: "); say(file); say(": "); say(strerror(ESPIPE)); say("\n");
    return 1;
  }
  if (t == NO_ENTRY) { say("send: internal error: no transfer entry\n"); return 70; }

  const char *what = 0;
  int err = 0;
  int ok = 0;
  for (;;) {
    int act = core_next(t);
    if (act == ACT_READ) {
      int s = core_act_slot();
      unsigned char *slot = (unsigned char *)(uintptr_t)core_slot_ptr(s);
      size_t len = (size_t)core_act_length();
      ssize_t n;
      do {
        n = regular ? pread(fd, slot, len, (off_t)core_act_offset()) : read(fd, slot, len);
      } while (n < 0 && errno == EINTR);
      if (n < 0) { what = "read"; err = errno; core_read_failed(t, s); }
      else core_read_done(t, s, (int32_t)n);
    } else if (act == ACT_WRITE) {
      int s = core_act_slot();
      size_t len = (size_t)core_act_length();
      size_t done = 0;
      int e = write_all((unsigned char *)(uintptr_t)core_slot_ptr(s), len, &done);
      if (e == 0) core_write_done(t, s);
      else { what = "write"; err = e; core_write_failed(t, s, (int32_t)done); }
    } else if (act == ACT_DONE) {
      ok = 1;
      break;
    } else if (act == ACT_FAIL) {
      if (!what) what = core_failure(t) == FAIL_PROTOCOL ? "read: more bytes than asked" : "aborted";
      break;
    } else { /* ACT_WAIT with nothing in flight: the core and this loop disagree */
      core_fail(t, 0);
      what = "internal error: the core waits with nothing in flight";
    }
  }
  uint64_t sent = (uint64_t)core_sent(t);
  core_finish(t);
  close(fd);
  if (ok) return 0;
  say("send: ");
  say(what);
  if (err) { say(": "); say(strerror(err)); }
  say(" (");
  say_u64(sent);
  say(sent == 1 ? " byte sent)\n" : " bytes sent)\n");
  return 1;
}
