/*
 * The floor: a blocking C sendfile(2) loop, the least any sender can cost on this machine.
 * Speaks the same line protocol as the other sender children (see senders.js):
 *   in:  run <port> <many|one> <path> <n>
 *   out: one JSON line with wallNs, cpuUs, bytes and the receiver's own line.
 * Per file it does what every sender does: open, send it whole, close.
 *
 * `sender lib` makes the library's syscalls instead, still from C: a non-blocking socket (as
 * Node's), poll(POLLOUT) on EAGAIN, and an lseek after each file (the position rule). It is the
 * floor for anything with the library's contract, JS or not, on this machine.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

static void fail(const char *what) {
  printf("{\"ok\":false,\"error\":\"%s: %s\"}\n", what, strerror(errno));
  fflush(stdout);
}

int main(int argc, char **argv) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  int like_lib = argc > 1 && strcmp(argv[1], "lib") == 0;
  signal(SIGPIPE, SIG_IGN);
  char line[8192], mode[16], path[4096];
  int port, n;
  char fname[4200];
  while (fgets(line, sizeof line, stdin)) {
    if (sscanf(line, "run %d %15s %4095s %d", &port, mode, path, &n) != 4) continue;
    int many = strcmp(mode, "many") == 0;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(s, (struct sockaddr *)&a, sizeof a)) { fail("connect"); close(s); continue; }
    if (like_lib) fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK);
    int64_t c0 = cpu_us(), t0 = now_ns();
    uint64_t bytes = 0;
    int bad = 0;
    for (int i = 0; i < n && !bad; i++) {
      const char *p = path;
      if (many) { snprintf(fname, sizeof fname, "%s/%d", path, i); p = fname; }
      int f = open(p, O_RDONLY | O_CLOEXEC);
      if (f < 0) { fail("open"); bad = 1; break; }
      struct stat st;
      fstat(f, &st);
      off_t off = 0;
      while (off < st.st_size) {
        ssize_t r = sendfile(s, f, &off, (size_t)(st.st_size - off));
        if (r > 0) { bytes += (uint64_t)r; continue; }
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && errno == EAGAIN) {
          struct pollfd pw = {.fd = s, .events = POLLOUT, .revents = 0};
          if (poll(&pw, 1, 10000) > 0) continue;
          errno = ETIMEDOUT;
        }
        fail("sendfile");
        bad = 1;
        break;
      }
      if (like_lib) lseek(f, off, SEEK_SET);
      close(f);
    }
    if (bad) { close(s); continue; }
    if (like_lib) fcntl(s, F_SETFL, fcntl(s, F_GETFL) & ~O_NONBLOCK); /* the reply is read blocking */
    shutdown(s, SHUT_WR);
    char reply[256];
    size_t got = 0;
    ssize_t r;
    while ((r = read(s, reply + got, sizeof reply - 1 - got)) > 0) got += (size_t)r;
    reply[got] = 0;
    int64_t wall = now_ns() - t0, cpu = cpu_us() - c0;
    close(s);
    char *nl = strchr(reply, '\n');
    if (nl) *nl = 0;
    printf("{\"ok\":true,\"wallNs\":%lld,\"cpuUs\":%lld,\"bytes\":%llu,\"receiver\":\"%s\"}\n",
           (long long)wall, (long long)cpu, (unsigned long long)bytes, reply);
    fflush(stdout);
  }
  return 0;
}
