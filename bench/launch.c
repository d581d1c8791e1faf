/*
 * Runs one WASI-section sender (a WASI runtime, or socat) and says what it cost:
 *
 *   launch [-o PORT] PROGRAM ARGS...
 *
 * With -o it first connects to 127.0.0.1:PORT (a blocking socket, as inetd or socat would hand
 * over) and gives the program that socket as its stdout: the way the preview1 command is meant to
 * serve a connection. When the program exits it prints one line, "status wall_ns cpu_us": the exit
 * status (128 + the signal if one killed it), the wall time from fork to exit, and the CPU time
 * (user + system of all its threads and its own children) that wait4 reports. Without -o the
 * program's stdout goes to stderr, so that line is the only one on stdout.
 *
 * Why C: Node cannot read a child's rusage, and a runtime's CPU per GiB is half of what this
 * section measures. Dies with its parent (PR_SET_PDEATHSIG), and so does the program.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"

int main(int argc, char **argv) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  int first = 1, sock = -1;
  if (argc > 3 && strcmp(argv[1], "-o") == 0) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2])),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    sock = socket(AF_INET, SOCK_STREAM, 0);
    if (sock < 0 || connect(sock, (struct sockaddr *)&a, sizeof a) != 0) {
      perror("launch: connect");
      return 1;
    }
    first = 3;
  }
  if (first >= argc) {
    fprintf(stderr, "usage: launch [-o PORT] PROGRAM ARGS...\n");
    return 2;
  }
  int64_t t0 = now_ns();
  pid_t pid = fork();
  if (pid < 0) {
    perror("launch: fork");
    return 1;
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (sock >= 0) {
      dup2(sock, 1);
      close(sock);
    } else {
      dup2(2, 1);
    }
    execvp(argv[first], argv + first);
    perror("launch: exec");
    _exit(127);
  }
  if (sock >= 0) close(sock); /* the program holds the only copy: its exit ends the stream */
  int status;
  struct rusage ru;
  if (wait4(pid, &status, 0, &ru) < 0) {
    perror("launch: wait4");
    return 1;
  }
  int64_t wall = now_ns() - t0;
  int64_t cpu = (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec +
                ru.ru_stime.tv_usec;
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  printf("%d %lld %lld\n", code, (long long)wall, (long long)cpu);
  return 0;
}
