// Entry of the library component (world sock-sendfile-library): exports send-file. Its export
// names are AssemblyScript-safe here and renamed to their canonical names by
// wasi/tools/build-component.js (AssemblyScript cannot spell `…#send-file`).
//
// Invariants:
// - Every call starts with an empty arena and leaves the core with no transfer in flight, so a
//   trap-free call can always be followed by another.
// - The two borrowed handles are dropped before send_file returns: the canonical ABI traps at the
//   end of an export call while a borrow it lent is still held (wasmtime and jco's composition
//   both check). Dropping a borrow only ends the loan; the caller's stream and file stay open.
// - The result lives in a static return area and the message in the static message buffer:
//   both stay valid until the next call, which is all the canonical ABI asks (no post-return
//   cleanup is needed because nothing was allocated).

import * as w from "./imports";
import { msg, msgLength, resetArena } from "./mem";
import { sendSlice, sent } from "./send";

export { cabi_realloc } from "./mem";

const result: usize = memory.data(24, 8);

// send-file: func(out: borrow<output-stream>, file: borrow<descriptor>, offset: u64,
//                 count: option<u64>) -> result<u64, send-error>
// The result: discriminant at 0; ok: u64 at 8; err: send-error { sent: u64 at 8, message:
// string at 16 (ptr) and 20 (len) }.
export function send_file(out: i32, file: i32, offset: u64, countTag: i32, count: u64): usize {
  resetArena();
  const ok = sendSlice(out, file, offset, count, countTag != 0);
  w.dropOutputStream(out);
  w.dropDescriptor(file);
  store<u8>(result, ok ? 0 : 1);
  store<u64>(result, sent, 8);
  if (!ok) {
    store<usize>(result, msg, 16);
    store<u32>(result, <u32>msgLength(), 20);
  }
  return result;
}
