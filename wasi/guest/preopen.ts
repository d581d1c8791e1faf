// Opening FILE through the host's preopened directories (wasi:filesystem/preopens), the way
// `wasmtime run --dir` grants them.
//
// Invariants:
// - The preopen chosen is the one whose guest path is the longest prefix of FILE ("." or "" for a
//   relative FILE; "/" matches every absolute one); nothing outside the preopens is reachable.
// - Preopened descriptors are never dropped: hosts may hand the same descriptor to later calls.

import * as w from "./imports";
import { RET, msgBytes, msgReset, msgStr } from "./mem";
import { fsErrorName } from "./errors";
import { eqBytes } from "./text";

// Opens FILE through the preopen whose guest path is its longest prefix ("." or "" for a
// relative FILE; "/" matches every absolute one). Returns the descriptor or -1 with a message.
export function openFile(path: usize, len: usize): i32 {
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
