// The command line, `send FILE HOST:PORT [--offset N] [--count N]`, read in place from the host's
// argument list into the globals below.
//
// Invariants:
// - parseArgs and parseTarget leave the reason for a refusal in the message buffer (mem.ts) and
//   print nothing: the entry (command.ts) owns stdout, stderr and the exit status.
// - Offsets and counts are decimal u64 up to i64.MAX_VALUE (the WIT's u64 reaches the host's
//   signed file offsets); the port is 1-65535; an IPv6 host is bracketed.
// - Pointers into the argument list stay valid for the whole run() call (the arena is reset only
//   at its start).

import * as w from "./imports";
import { RET, msgBytes, msgStr } from "./mem";
import { eq, parseU64, parsed, startsWith } from "./text";

export const USAGE = "usage: send FILE HOST:PORT [--offset N] [--count N]";

export const ARGS_OK: i32 = 0;
export const ARGS_HELP: i32 = 1;
export const ARGS_BAD: i32 = 2;

export let file: usize = 0;
export let fileLen: usize = 0;
export let target: usize = 0;
export let targetLen: usize = 0;
export let offset: u64 = 0;
export let count: u64 = 0;
export let hasCount: bool = false;

export let host: usize = 0;
export let hostLen: usize = 0;
export let bracketed: bool = false;
export let port: i32 = 0;

// Reads wasi:cli/environment's arguments (argv[0] is the program name).
export function parseArgs(): i32 {
  w.getArguments(RET);
  const args = load<usize>(RET);
  const argc = load<i32>(RET, 4);
  let haveFile = false, haveTarget = false;
  offset = 0; count = 0; hasCount = false;
  for (let i = 1; i < argc; i++) {
    const p = load<usize>(args + <usize>(i * 8));
    const n = load<usize>(args + <usize>(i * 8), 4);
    if (eq(p, n, "--help") || eq(p, n, "-h")) return ARGS_HELP;
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
      } else { msgStr(isOffset ? "--offset needs a value" : "--count needs a value"); return ARGS_BAD; }
      if (!parseU64(vp, vn) || parsed > <u64>i64.MAX_VALUE) {
        msgStr(isOffset ? "--offset must be a non-negative integer (got '" : "--count must be a non-negative integer (got '");
        msgBytes(vp, vn);
        msgStr("')");
        return ARGS_BAD;
      }
      if (isOffset) offset = parsed; else { count = parsed; hasCount = true; }
    } else if (n > 1 && load<u8>(p) == 45 && !eq(p, n, "-")) {
      msgStr("unknown option '"); msgBytes(p, n); msgStr("'; "); msgStr(USAGE);
      return ARGS_BAD;
    } else if (!haveFile) { file = p; fileLen = n; haveFile = true; }
    else if (!haveTarget) { target = p; targetLen = n; haveTarget = true; }
    else { msgStr("too many arguments; "); msgStr(USAGE); return ARGS_BAD; }
  }
  if (!haveTarget) { msgStr(USAGE); return ARGS_BAD; }
  return ARGS_OK;
}

function badTarget(why: string): bool {
  msgStr("'"); msgBytes(target, targetLen); msgStr(why);
  return false;
}

// Splits HOST:PORT ([IPV6]:PORT) into host, hostLen, bracketed and port.
export function parseTarget(): bool {
  let portAt: usize = 0;
  host = target; hostLen = 0; bracketed = false;
  if (targetLen > 0 && load<u8>(target) == 91) {
    let close: usize = 1;
    while (close < targetLen && load<u8>(target + close) != 93) close++;
    if (close + 1 >= targetLen || load<u8>(target + close + 1) != 58) return badTarget("': expected HOST:PORT");
    host = target + 1; hostLen = close - 1; portAt = close + 2; bracketed = true;
  } else {
    let colon: isize = <isize>targetLen - 1;
    while (colon >= 0 && load<u8>(target + <usize>colon) != 58) colon--;
    if (colon <= 0) return badTarget("': expected HOST:PORT");
    hostLen = <usize>colon; portAt = <usize>colon + 1;
    for (let k: usize = 0; k < hostLen; k++) {
      if (load<u8>(host + k) == 58) return badTarget("': an IPv6 address goes in brackets, e.g. [::1]:PORT");
    }
  }
  if (!parseU64(target + portAt, targetLen - portAt) || parsed == 0 || parsed > 65535) {
    return badTarget("': the port must be 1-65535");
  }
  port = <i32>parsed;
  return true;
}
