// Entry of the command component (world sock-sendfile-command, export wasi:cli/run):
//
//   send FILE HOST:PORT [--offset N] [--count N]
//
// opens FILE through the preopened directories, connects with wasi:sockets/tcp, sends the slice
// with the same driver as the library (send.ts), prints the bytes sent on stdout and exits 0.
// Any failure prints one line on stderr, `send: <what>: <why>`, with the bytes sent when a
// transfer had started, and exits with status 1 (wasi:cli/exit@0.2.0 has only ok and err).
//
// Invariants:
// - The file is opened before the connection is made: a missing file never touches the network.
// - stdout carries the byte count and nothing else, and only on success; so a script can read
//   it without parsing stderr.
// - Resources this file owns are dropped children first (streams, then the socket, then the
//   network) so a strict host never sees a parent dropped under a live child. Preopened
//   directories are left alone: hosts may hand the same descriptor to later calls.
// - No AssemblyScript heap use (see mem.ts): arguments are read in place from the arena.
// - The pieces live beside it: args.ts (the command line), preopen.ts (FILE), net.ts (HOST:PORT
//   and connect), send.ts (the transfer, shared with the library).

import * as w from "./imports";
import { RET, msg, msgByte, msgBytes, msgLength, msgReset, msgStr, msgU64, resetArena } from "./mem";
import { socketErrorName } from "./errors";
import { msgSent, sendSlice, sent } from "./send";
import * as args from "./args";
import * as net from "./net";
import { openFile } from "./preopen";

export { cabi_realloc } from "./mem";

// The message buffer plus a newline, to stdout or stderr. At most 1 KiB: one
// blocking-write-and-flush call stays under the 4096 bytes every host accepts.
function printMsg(stream: i32): void {
  msgByte(10);
  w.outputBlockingWriteAndFlush(stream, msg, <usize>msgLength(), RET);
  // A failure to print has nowhere to be reported; the exit status still says what happened.
}

function fail(): i32 {
  const text = msgLength();
  // Prefix "send: " by rebuilding: the buffer is small and this runs once.
  const copy = memory.data(1024);
  memory.copy(copy, msg, <usize>text);
  msgReset();
  msgStr("send: ");
  msgBytes(copy, <usize>text);
  printMsg(w.getStderr());
  w.exit(1);
  return 1; // only reached if the host's exit returns
}

export function run(): i32 {
  resetArena();
  msgReset();
  const parsedArgs = args.parseArgs();
  if (parsedArgs == args.ARGS_HELP) {
    msgStr(args.USAGE);
    printMsg(w.getStdout());
    return 0;
  }
  if (parsedArgs != args.ARGS_OK || !args.parseTarget()) return fail();
  const host = args.host, hostLen = args.hostLen;

  const fd = openFile(args.file, args.fileLen);
  if (fd < 0) return fail();
  // A directory opens fine but cannot be sent: say so before connecting.
  w.descriptorStat(fd, RET);
  if (load<u8>(RET) == 0 && <i32>load<u8>(RET, 8) == w.DESCRIPTOR_DIRECTORY) {
    msgBytes(args.file, args.fileLen);
    msgStr(": is-directory");
    return fail();
  }

  const network = w.instanceNetwork();
  net.clearAddresses();
  let numeric = args.bracketed ? net.parseIpv6(host, hostLen, args.port) : net.parseIpv4(host, hostLen, args.port);
  if (args.bracketed && !numeric) {
    msgStr("'"); msgBytes(host, hostLen); msgStr("': not an IPv6 address"); return fail();
  }
  if (!numeric) {
    const code = net.lookup(network, host, hostLen, args.port);
    if (code >= 0) {
      msgStr("resolve "); msgBytes(host, hostLen); msgStr(": "); msgStr(socketErrorName(code));
      return fail();
    }
  }
  msgStr("connect ");
  msgBytes(args.target, args.targetLen);
  msgStr(": ");
  if (!net.connect(network)) return fail();
  msgReset();

  const ok = sendSlice(net.sockOut, fd, args.offset, args.count, args.hasCount);
  w.dropInputStream(net.sockIn);
  w.dropOutputStream(net.sockOut);
  w.dropTcpSocket(net.sockHandle);
  w.dropNetwork(network);
  w.dropDescriptor(fd);
  if (!ok) { msgSent(); return fail(); }
  msgReset();
  msgU64(sent);
  printMsg(w.getStdout());
  return 0;
}
