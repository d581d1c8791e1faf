// Reaching the peer: HOST as an IPv4 or IPv6 literal or a name for the host's resolver, then
// wasi:sockets/tcp connect to each candidate address in turn.
//
// Invariants:
// - Candidates live in a fixed static table (no heap, see mem.ts); more than MAX_ADDRS are dropped.
// - On success sockHandle, sockIn and sockOut are the connected socket and its streams, owned by
//   the caller from then on (it drops the streams before the socket: a strict host traps on a
//   parent dropped under a live child). On failure nothing is left open and the message buffer
//   ends with the last error's name.

import * as w from "./imports";
import { RET, msgStr } from "./mem";
import { socketErrorName } from "./errors";
import { hexDigit } from "./text";

// Up to 8 candidate addresses, each the 13 i32 that start-connect takes: the address family,
// then the flattened ip-socket-address (case, then 11 fields).
const MAX_ADDRS: i32 = 8;
const addrs: usize = memory.data(MAX_ADDRS * 13 * 4, 4);
let addrCount: i32 = 0;

export function clearAddresses(): void { addrCount = 0; }

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

export function parseIpv4(ptr: usize, len: usize, port: i32): bool {
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
export function parseIpv6(ptr: usize, len: usize, port: i32): bool {
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
export function lookup(network: i32, ptr: usize, len: usize, port: i32): i32 {
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

export let sockHandle: i32 = -1;
export let sockIn: i32 = -1;
export let sockOut: i32 = -1;

// Tries each candidate in order; the last error is the one reported.
export function connect(network: i32): bool {
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
