/*
 * The benchmark's receiver: accepts one connection at a time on 127.0.0.1, discards everything
 * until the sender shuts its side down, then answers one line "bytes cpu_us busy_ns\n" and closes.
 *
 * Why C, and why MSG_TRUNC: the receiver must never be what limits a sender. recv(MSG_TRUNC) on
 * TCP frees the queued data without copying it to user space, so the receiver's cost per byte is
 * close to nothing; the cpu_us it reports (its own getrusage for that connection) lets run.js
 * check that it was idle most of the time, whatever the sender.
 *
 * Prints "port N" on stdout once listening. Dies with its parent (PR_SET_PDEATHSIG), so a
 * crashed benchmark leaves no listener behind. With "report" it also prints each connection's
 * line on stdout: senders that close their socket themselves (the WASI rows, socat) never read
 * the answer on the socket.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

int main(int argc, char **argv) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  signal(SIGPIPE, SIG_IGN);
  /* "copy" makes it a plain copying reader, to compare against the MSG_TRUNC mode. */
  int trunc = 1, report = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "copy") == 0) trunc = 0;
    if (strcmp(argv[i], "report") == 0) report = 1;
  }
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 16)) {
    perror("receiver: bind/listen");
    return 1;
  }
  socklen_t al = sizeof a;
  getsockname(ls, (struct sockaddr *)&a, &al);
  printf("port %d\n", ntohs(a.sin_port));
  fflush(stdout);

  size_t cap = 4 << 20;
  char *buf = malloc(cap);
  for (;;) {
    int c = accept(ls, NULL, NULL);
    if (c < 0) {
      if (errno == EINTR) continue;
      perror("receiver: accept");
      return 1;
    }
    /* Woken once per 256 KiB rather than once per segment: with 16 KiB files a wakeup per send
     * made the receiver as busy as the fastest sender. EOF still returns whatever is left. */
    int lowat = 256 << 10;
    setsockopt(c, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof lowat);
    int64_t c0 = cpu_us(), first = 0, last = 0;
    uint64_t total = 0;
    for (;;) {
      ssize_t n = recv(c, buf, cap, trunc ? MSG_TRUNC : 0);
      if (n > 0) {
        if (!first) first = now_ns();
        total += (uint64_t)n;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      break;
    }
    last = now_ns();
    char line[128];
    int len = snprintf(line, sizeof line, "%llu %lld %lld\n", (unsigned long long)total,
                       (long long)(cpu_us() - c0), (long long)(first ? last - first : 0));
    ssize_t w = write(c, line, (size_t)len);
    (void)w;
    if (report) {
      fputs(line, stdout);
      fflush(stdout);
    }
    close(c);
  }
}
