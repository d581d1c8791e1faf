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

import * as w from "./imports";
import {
  RET, msg, msgByte, msgBytes, msgLength, msgReset, msgStr, msgU64, resetArena,
} from "./mem";
import { fsErrorName, socketErrorName } from "./errors";
import { msgSent, sendSlice, sent } from "./send";

export { cabi_realloc } from "./mem";

const USAGE = "usage: send FILE HOST:PORT [--offset N] [--count N]";

// --- byte strings (UTF-8 from the host) ----------------------------------------------------

function eq(ptr: usize, len: usize, lit: string): bool {
  if (len != <usize>lit.length) return false;
  for (let i: usize = 0; i < len; i++) {
    if (<i32>load<u8>(ptr + i) != lit.charCodeAt(<i32>i)) return false;
  }
  return true;
}

function startsWith(ptr: usize, len: usize, lit: string): bool {
  if (len < <usize>lit.length) return false;
  return eq(ptr, <usize>lit.length, lit);
}

let parsed: u64 = 0;

// Decimal u64 with no sign, no spaces and no overflow.
function parseU64(ptr: usize, len: usize): bool {
  if (len == 0) return false;
  let v: u64 = 0;
  for (let i: usize = 0; i < len; i++) {
    const c = <i32>load<u8>(ptr + i) - 48;
    if (c < 0 || c > 9) return false;
    if (v > (u64.MAX_VALUE - <u64>c) / 10) return false;
    v = v * 10 + <u64>c;
  }
  parsed = v;
  return true;
}

function hexDigit(c: i32): i32 {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

// --- output --------------------------------------------------------------------------------

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

// --- addresses -----------------------------------------------------------------------------

// Up to 8 candidate addresses, each the 13 i32 that start-connect takes: the address family,
// then the flattened ip-socket-address (case, then 11 fields).
const MAX_ADDRS: i32 = 8;
const addrs: usize = memory.data(MAX_ADDRS * 13 * 4, 4);
let addrCount: i32 = 0;

function addrSlot(i: i32): usize { return addrs + <usize>(i * 13 * 4); }

function addIpv4(port: i32, a: i32, b: i32, c: i32, d: i32): void {
  if (addrCount >= MAX_ADDRS) return;
  const p = addrSlot(addrCount++);
  memory.fill(p, 0, 13 * 4);
  store<i32>(p, w.FAMILY_IPV4);
  store<i32>(p, 0, 4);
  store<i32>(p, port, 8);
  store<i32>(p, a, 12);
  store<i32>(p, b, 16);
  store<i32>(p, c, 20);
  store<i32>(p, d, 24);
}

// segs: 8 u16 in memory.
function addIpv6(port: i32, segs: usize): void {
  if (addrCount >= MAX_ADDRS) return;
  const p = addrSlot(addrCount++);
  memory.fill(p, 0, 13 * 4);
  store<i32>(p, w.FAMILY_IPV6);
  store<i32>(p, 1, 4);
  store<i32>(p, port, 8);
  store<i32>(p, 0, 12); // flow-info
  for (let i = 0; i < 8; i++) store<i32>(p + 16 + <usize>(i * 4), <i32>load<u16>(segs + <usize>(i * 2)));
  store<i32>(p, 0, 48); // scope-id
}

function parseIpv4(ptr: usize, len: usize, port: i32): bool {
  const parts = memory.data(16, 4);
  let n = 0;
  let v = 0;
  let digits = 0;
  for (let i: usize = 0; i <= len; i++) {
    const c = i < len ? <i32>load<u8>(ptr + i) : 46;
    if (c == 46) {
      if (digits == 0 || n >= 4) return false;
      store<i32>(parts + <usize>(n * 4), v);
      n++;
      v = 0;
      digits = 0;
    } else {
      const d = c - 48;
      if (d < 0 || d > 9 || digits >= 3) return false;
      v = v * 10 + d;
      if (v > 255) return false;
      digits++;
    }
  }
  if (n != 4) return false;
  addIpv4(port, load<i32>(parts), load<i32>(parts, 4), load<i32>(parts, 8), load<i32>(parts, 12));
  return true;
}

// RFC 4291 text form: up to 8 hex groups, one `::` for a run of zeros. (No embedded IPv4, no
// zone index: not needed to reach a peer by number.)
function parseIpv6(ptr: usize, len: usize, port: i32): bool {
  const head = memory.data(16, 2);
  const tail = memory.data(16, 2);
  let nHead = 0;
  let nTail = 0;
  let afterGap = false;
  let i: usize = 0;
  if (len >= 2 && load<u8>(ptr) == 58 && load<u8>(ptr + 1) == 58) {
    afterGap = true;
    i = 2;
    if (len == 2) { memory.fill(head, 0, 16); addIpv6(port, head); return true; }
  }
  while (i < len) {
    let v = 0;
    let digits = 0;
    while (i < len && hexDigit(<i32>load<u8>(ptr + i)) >= 0) {
      if (digits >= 4) return false;
      v = (v << 4) | hexDigit(<i32>load<u8>(ptr + i));
      digits++;
      i++;
    }
    if (digits == 0) return false;
    if (nHead + nTail >= 8) return false;
    if (afterGap) { store<u16>(tail + <usize>(nTail * 2), <u16>v); nTail++; }
    else { store<u16>(head + <usize>(nHead * 2), <u16>v); nHead++; }
    if (i == len) break;
    if (load<u8>(ptr + i) != 58) return false;
    i++;
    if (i < len && load<u8>(ptr + i) == 58) {
      if (afterGap) return false;
      afterGap = true;
      i++;
      if (i == len) break;
    } else if (i == len) {
      return false;
    }
  }
  if (!afterGap && nHead != 8) return false;
  if (afterGap && nHead + nTail > 7) return false;
  const segs = memory.data(16, 2);
  memory.fill(segs, 0, 16);
  for (let k = 0; k < nHead; k++) store<u16>(segs + <usize>(k * 2), load<u16>(head + <usize>(k * 2)));
  for (let k = 0; k < nTail; k++) {
    store<u16>(segs + <usize>((8 - nTail + k) * 2), load<u16>(tail + <usize>(k * 2)));
  }
  addIpv6(port, segs);
  return true;
}

// Asks the host's resolver for `name`. Returns -1 when it gave addresses, else the error code
// (name-unresolvable when the answer was empty).
function lookup(network: i32, ptr: usize, len: usize, port: i32): i32 {
  w.resolveAddresses(network, ptr, len, RET);
  if (load<u8>(RET) != 0) return <i32>load<u8>(RET, 4);
  const stream = load<i32>(RET, 4);
  let result = -1;
  for (;;) {
    w.resolveNextAddress(stream, RET);
    if (load<u8>(RET) != 0) {
      const code = <i32>load<u8>(RET, 2);
      if (code == w.SOCKET_ERROR_WOULD_BLOCK) {
        const p = w.resolveSubscribe(stream);
        w.pollableBlock(p);
        w.dropPollable(p);
        continue;
      }
      result = code;
      break;
    }
    if (load<u8>(RET, 2) == 0) break; // none: the list is complete
    if (load<u8>(RET, 4) == 0) {
      addIpv4(port, load<u8>(RET, 6), load<u8>(RET, 7), load<u8>(RET, 8), load<u8>(RET, 9));
    } else {
      addIpv6(port, RET + 6);
    }
  }
  w.dropResolveAddressStream(stream);
  if (result < 0 && addrCount == 0) result = 18; // name-unresolvable
  return result;
}

// --- connection ----------------------------------------------------------------------------

let sockHandle: i32 = -1;
let sockIn: i32 = -1;
let sockOut: i32 = -1;

// Tries each candidate in order; the last error is the one reported.
function connect(network: i32): bool {
  let code = 0;
  for (let i = 0; i < addrCount; i++) {
    const a = addrSlot(i);
    w.createTcpSocket(load<i32>(a), RET);
    if (load<u8>(RET) != 0) { code = load<u8>(RET, 4); continue; }
    const sock = load<i32>(RET, 4);
    w.tcpStartConnect(sock, network,
      load<i32>(a, 4), load<i32>(a, 8), load<i32>(a, 12), load<i32>(a, 16), load<i32>(a, 20),
      load<i32>(a, 24), load<i32>(a, 28), load<i32>(a, 32), load<i32>(a, 36), load<i32>(a, 40),
      load<i32>(a, 44), load<i32>(a, 48), RET);
    if (load<u8>(RET) != 0) {
      code = load<u8>(RET, 1);
      w.dropTcpSocket(sock);
      continue;
    }
    for (;;) {
      w.tcpFinishConnect(sock, RET);
      if (load<u8>(RET) == 0) {
        sockHandle = sock;
        sockIn = load<i32>(RET, 4);
        sockOut = load<i32>(RET, 8);
        return true;
      }
      code = load<u8>(RET, 4);
      if (code != w.SOCKET_ERROR_WOULD_BLOCK) break;
      const p = w.tcpSubscribe(sock);
      w.pollableBlock(p);
      w.dropPollable(p);
    }
    w.dropTcpSocket(sock);
  }
  msgStr(socketErrorName(code));
  return false;
}

// --- files ---------------------------------------------------------------------------------

// Opens FILE through the preopen whose guest path is its longest prefix ("." or "" for a
// relative FILE; "/" matches every absolute one). Returns the descriptor or -1 with a message.
function openFile(path: usize, len: usize): i32 {
  w.getDirectories(RET);
  const list = load<usize>(RET);
  const count = load<i32>(RET, 4);
  const absolute = len > 0 && load<u8>(path) == 47;
  let best = -1;
  let bestLen: i32 = -1;
  let rest: usize = path;
  let restLen: usize = len;
  for (let i = 0; i < count; i++) {
    const e = list + <usize>(i * 12);
    const name = load<usize>(e, 4);
    let nameLen = load<usize>(e, 8);
    while (nameLen > 1 && load<u8>(name + nameLen - 1) == 47) nameLen--;
    let skip: usize = 0;
    if (absolute) {
      if (nameLen == 0 || load<u8>(name) != 47) continue;
      if (nameLen == 1) skip = 1;
      else if (len >= nameLen && eqBytes(path, name, nameLen) &&
               (len == nameLen || load<u8>(path + nameLen) == 47)) skip = nameLen;
      else continue;
    } else {
      if (!(nameLen == 0 || (nameLen == 1 && load<u8>(name) == 46))) continue;
    }
    if (<i32>nameLen > bestLen) {
      best = load<i32>(e);
      bestLen = <i32>nameLen;
      rest = path + skip;
      restLen = len - skip;
    }
  }
  msgBytes(path, len);
  msgStr(": ");
  if (best < 0) {
    msgStr("no preopened directory contains it (grant one, e.g. wasmtime --dir)");
    return -1;
  }
  while (restLen > 0 && load<u8>(rest) == 47) { rest++; restLen--; }
  if (restLen == 0) { rest = DOT; restLen = 1; }
  w.descriptorOpenAt(best, w.PATH_FLAG_SYMLINK_FOLLOW, rest, restLen, 0, w.DESCRIPTOR_FLAG_READ, RET);
  if (load<u8>(RET) != 0) {
    msgStr(fsErrorName(load<u8>(RET, 4)));
    return -1;
  }
  msgReset();
  return load<i32>(RET, 4);
}

const DOT: usize = memory.data<u8>([46]);

function eqBytes(a: usize, b: usize, len: usize): bool {
  for (let i: usize = 0; i < len; i++) if (load<u8>(a + i) != load<u8>(b + i)) return false;
  return true;
}

// --- wasi:cli/run --------------------------------------------------------------------------

export function run(): i32 {
  resetArena();
  msgReset();
  w.getArguments(RET);
  const args = load<usize>(RET);
  const argc = load<i32>(RET, 4);

  let file: usize = 0, fileLen: usize = 0, haveFile = false;
  let target: usize = 0, targetLen: usize = 0, haveTarget = false;
  let offset: u64 = 0;
  let count: u64 = 0;
  let hasCount = false;
  for (let i = 1; i < argc; i++) {
    const p = load<usize>(args + <usize>(i * 8));
    const n = load<usize>(args + <usize>(i * 8), 4);
    if (eq(p, n, "--help") || eq(p, n, "-h")) {
      msgStr(USAGE);
      printMsg(w.getStdout());
      return 0;
    }
    let isOffset = eq(p, n, "--offset") || startsWith(p, n, "--offset=");
    let isCount = eq(p, n, "--count") || startsWith(p, n, "--count=");
    if (isOffset || isCount) {
      let vp: usize, vn: usize;
      const eqAt: usize = isOffset ? 8 : 7;
      if (n > eqAt) { vp = p + eqAt + 1; vn = n - eqAt - 1; }
      else if (i + 1 < argc) {
        i++;
        vp = load<usize>(args + <usize>(i * 8));
        vn = load<usize>(args + <usize>(i * 8), 4);
      } else { msgStr(isOffset ? "--offset needs a value" : "--count needs a value"); return fail(); }
      if (!parseU64(vp, vn) || parsed > <u64>i64.MAX_VALUE) {
        msgStr(isOffset ? "--offset must be a non-negative integer (got '" : "--count must be a non-negative integer (got '");
        msgBytes(vp, vn);
        msgStr("')");
        return fail();
      }
      if (isOffset) offset = parsed; else { count = parsed; hasCount = true; }
    } else if (n > 1 && load<u8>(p) == 45 && !eq(p, n, "-")) {
      msgStr("unknown option '"); msgBytes(p, n); msgStr("'; "); msgStr(USAGE);
      return fail();
    } else if (!haveFile) { file = p; fileLen = n; haveFile = true; }
    else if (!haveTarget) { target = p; targetLen = n; haveTarget = true; }
    else { msgStr("too many arguments; "); msgStr(USAGE); return fail(); }
  }
  if (!haveTarget) { msgStr(USAGE); return fail(); }

  // HOST:PORT, with IPv6 in brackets.
  let host: usize = target, hostLen: usize = 0, portAt: usize = 0;
  let bracketed = false;
  if (targetLen > 0 && load<u8>(target) == 91) {
    let close: usize = 1;
    while (close < targetLen && load<u8>(target + close) != 93) close++;
    if (close + 1 >= targetLen || load<u8>(target + close + 1) != 58) {
      msgStr("'"); msgBytes(target, targetLen); msgStr("': expected HOST:PORT"); return fail();
    }
    host = target + 1; hostLen = close - 1; portAt = close + 2; bracketed = true;
  } else {
    let colon: isize = <isize>targetLen - 1;
    while (colon >= 0 && load<u8>(target + <usize>colon) != 58) colon--;
    if (colon <= 0) { msgStr("'"); msgBytes(target, targetLen); msgStr("': expected HOST:PORT"); return fail(); }
    hostLen = <usize>colon; portAt = <usize>colon + 1;
    for (let k: usize = 0; k < hostLen; k++) {
      if (load<u8>(host + k) == 58) {
        msgStr("'"); msgBytes(target, targetLen); msgStr("': an IPv6 address goes in brackets, e.g. [::1]:PORT");
        return fail();
      }
    }
  }
  if (!parseU64(target + portAt, targetLen - portAt) || parsed == 0 || parsed > 65535) {
    msgStr("'"); msgBytes(target, targetLen); msgStr("': the port must be 1-65535"); return fail();
  }
  const port = <i32>parsed;

  const fd = openFile(file, fileLen);
  if (fd < 0) return fail();
  // A directory opens fine but cannot be sent: say so before connecting.
  w.descriptorStat(fd, RET);
  if (load<u8>(RET) == 0 && <i32>load<u8>(RET, 8) == w.DESCRIPTOR_DIRECTORY) {
    msgBytes(file, fileLen);
    msgStr(": is-directory");
    return fail();
  }

  const network = w.instanceNetwork();
  addrCount = 0;
  let numeric = bracketed ? parseIpv6(host, hostLen, port) : parseIpv4(host, hostLen, port);
  if (bracketed && !numeric) {
    msgStr("'"); msgBytes(host, hostLen); msgStr("': not an IPv6 address"); return fail();
  }
  if (!numeric) {
    const code = lookup(network, host, hostLen, port);
    if (code >= 0) {
      msgStr("resolve "); msgBytes(host, hostLen); msgStr(": "); msgStr(socketErrorName(code));
      return fail();
    }
  }
  msgStr("connect ");
  msgBytes(target, targetLen);
  msgStr(": ");
  if (!connect(network)) return fail();
  msgReset();

  const ok = sendSlice(sockOut, fd, offset, count, hasCount);
  w.dropInputStream(sockIn);
  w.dropOutputStream(sockOut);
  w.dropTcpSocket(sockHandle);
  w.dropNetwork(network);
  w.dropDescriptor(fd);
  if (!ok) { msgSent(); return fail(); }
  msgReset();
  msgU64(sent);
  printMsg(w.getStdout());
  return 0;
}
