// A reference model of the core's accounting, and a host that drives the real core (dist/
// core.wasm) through a scenario of host events while the model checks every answer. Used by
// test/core/property.test.js (fast-check, in npm test) and test/core/fuzz.js (a long run).
//
// The model does not decide what the core should do next (when to read, how much); it holds
// what any correct answer must agree with:
// - never past count: every READ and SENDFILE starts at the transfer's cursor and ends at or
//   before its end; the cursor only moves forward (the one exception: a native failure before
//   any byte, which falls back and starts again at offset);
// - the bytes the sink gets are the file's, in order, from offset: no gap, no byte twice;
// - a slot has one owner at a time, from the READ that hands it out until the report that
//   gives it back (read failed or EOF, write reported or detached, or its owner failed with it
//   filled and unwritten);
// - slots go to waiting transfers in arrival order: a transfer gets a slot only when no other
//   transfer waits ahead of it;
// - DONE and FAIL are final: next() keeps answering them until finish();
// - sent() counts exactly the bytes whose write completed (or that a failed write's sink took)
//   or that sendfile moved; reported() adds, after an abort, those handed out and not yet
//   reported; position() = offset + reported();
// - after everything settled and every transfer finished, every slot and entry is free.
import { readFileSync } from 'node:fs';
import * as abi from '../../dist/abi.js';

/** Core sizes the scenarios pick from: few slots and small ones, so slots are always short. */
export const CONFIGS = [
  { transfers: 3, slots: 1, slotSize: 7, depth: 1, syncLimit: 5, asyncChunk: 11 },
  { transfers: 4, slots: 2, slotSize: 5, depth: 2, syncLimit: 9, asyncChunk: 20 },
  { transfers: 6, slots: 3, slotSize: 8, depth: 3, syncLimit: 4, asyncChunk: 13 },
  { transfers: 5, slots: 4, slotSize: 3, depth: 4, syncLimit: 16, asyncChunk: 40 },
  { transfers: 2, slots: 2, slotSize: 16, depth: 1, syncLimit: 7, asyncChunk: 7 },
];

const cores = new Map();
/** One instance per configuration and build, reused: each scenario ends with everything free. */
export function coreFor(configIndex, build = 'release') {
  const key = `${build}:${configIndex}`;
  let x = cores.get(key);
  if (!x) {
    const file = process.env.CORE_WASM ?? new URL(`../../dist/${build === 'debug' ? 'core.debug' : 'core'}.wasm`, import.meta.url);
    x = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(file)), {}).exports;
    const c = CONFIGS[configIndex];
    if (x.configure(c.transfers, c.slots, c.slotSize, c.depth, c.syncLimit, c.asyncChunk) !== 0) throw new Error('configure failed');
    cores.set(key, x);
  }
  return x;
}

// The file every transfer reads: byte p is p * 31 + 7 (mod 256), so bytes from the wrong place
// are wrong bytes.
const byteAt = (p) => (p * 31 + 7) & 0xff;

class Violation extends Error {}
const fail = (msg) => { throw new Violation(msg); };

/**
 * Runs one scenario; throws a Violation naming the first broken rule. scenario: { config,
 * specs: [{ offset, count, size, real, native, fallback, sizeKnown }], steps: [[op, a, b]] }.
 * `real` is the file's actual length (a file that shrank is shorter than the size begin() got).
 */
export function runScenario(scenario, build = 'release', wrap = (x) => x) {
  try {
    return play(scenario, build, wrap);
  } catch (err) {
    // A scenario that broke a rule may leave the instance mid-transfer: the next one (fast-check
    // shrinking) gets a fresh core, so the counterexample it shrinks to stands on its own.
    cores.delete(`${build}:${scenario.config}`);
    throw err;
  }
}

function play(scenario, build, wrap) {
  const x = wrap(coreFor(scenario.config, build));
  const cfg = CONFIGS[scenario.config];
  const mem = () => new Uint8Array(x.memory.buffer);
  const slotOwner = new Map(); // slot -> model transfer
  const queue = []; // model transfers waiting for a slot, in arrival order
  const pending = []; // operations handed out and not yet reported

  const ts = scenario.specs.map((s, k) => {
    const size = s.sizeKnown ? s.size : -1;
    const real = s.sizeKnown ? Math.min(s.real, s.size) : s.real;
    const tellEnd = Math.min(s.count < 0 ? Infinity : s.offset + s.count, size < 0 ? Infinity : size);
    return {
      k, spec: s, size, real, end: Math.max(s.offset, tellEnd), id: -1, cursor: s.offset,
      completed: 0, handed: 0, delivered: 0, outcome: null, finished: false, aborted: false,
      earlyEof: false, filled: new Set(), native: s.native, nativeBytes: 0, everHanded: false,
    };
  });
  const active = () => ts.filter((t) => t.id >= 0 && !t.finished);

  const begin = (t) => {
    const before = active().length;
    const flags = (t.spec.native ? abi.FLAG_NATIVE : 0) | (t.spec.fallback ? abi.FLAG_FALLBACK : 0);
    const id = x.begin(t.spec.offset, t.spec.count, t.size, flags);
    if (id === abi.NO_ENTRY) {
      if (before < cfg.transfers && !ts.some((u) => u.finished && x.active(u.id))) fail(`begin refused with ${before} of ${cfg.transfers} entries in use`);
      return false;
    }
    if (active().some((u) => u.id === id)) fail(`begin gave entry ${id}, which a live transfer holds`);
    t.id = id;
    return true;
  };

  const checkCounts = (t) => {
    if (x.sent(t.id) !== t.completed) fail(`transfer ${t.k}: sent() ${x.sent(t.id)}, the model counts ${t.completed} completed bytes`);
    // What the host reports: the completed bytes, and after an abort those in flight too (they
    // go out in order, so a resumed transfer starts after them).
    const want = x.failure(t.id) === abi.FAIL_ABORTED ? t.completed + t.handed : t.completed;
    if (x.reported(t.id) !== want) fail(`transfer ${t.k}: reported() ${x.reported(t.id)}, the model has ${want}`);
    if (x.position(t.id) !== t.spec.offset + want) fail(`transfer ${t.k}: position() ${x.position(t.id)} is not offset + reported`);
  };

  const syncQueue = () => {
    // The core drops a transfer from its queue when it fails: the model follows.
    for (let i = queue.length - 1; i >= 0; i--) if (x.failure(queue[i].id) !== 0) queue.splice(i, 1);
    if (queue.length !== x.queueLength()) fail(`queue length ${x.queueLength()}, the model has ${queue.length} waiting`);
  };

  const takeSlot = (t, s) => {
    const owner = slotOwner.get(s);
    // A slot filled by a transfer that then failed goes back at the failure, unwritten.
    if (owner && !(owner.filled.has(s) && x.failure(owner.id) !== 0)) fail(`slot ${s} handed to transfer ${t.k} while transfer ${owner.k} holds it`);
    if (owner) owner.filled.delete(s);
    if (queue.length > 0 && queue[0] !== t) fail(`transfer ${t.k} got slot ${s} while transfer ${queue[0].k} waits ahead of it`);
    if (queue[0] === t) queue.shift();
    slotOwner.set(s, t);
  };
  const giveSlot = (t, s) => {
    if (slotOwner.get(s) !== t) fail(`transfer ${t.k} reported slot ${s}, which it does not hold`);
    slotOwner.delete(s);
  };

  const pump = (t) => {
    if (t.id < 0 && !begin(t)) return;
    if (t.finished) return;
    for (let guard = 0; guard < 200; guard++) {
      const qBefore = x.queueLength();
      const act = x.next(t.id);
      if (t.outcome && act !== (t.outcome === 'done' ? abi.ACT_DONE : abi.ACT_FAIL)) fail(`transfer ${t.k} answered ${act} after ${t.outcome}`);
      if (act === abi.ACT_WAIT) {
        if (x.queueLength() === qBefore + 1) queue.push(t);
        syncQueue();
        return;
      }
      if (act === abi.ACT_DONE || act === abi.ACT_FAIL) {
        if (!t.outcome) settle(t, act);
        return;
      }
      const off = x.actOffset(), len = x.actLength(), s = x.actSlot();
      if (act === abi.ACT_SENDFILE || act === abi.ACT_SENDFILE_ASYNC || act === abi.ACT_READ) {
        if (off !== t.cursor) fail(`transfer ${t.k}: ${act === abi.ACT_READ ? 'READ' : 'SENDFILE'} at ${off}, the cursor is at ${t.cursor}`);
        if (len <= 0 || off + len > t.end) fail(`transfer ${t.k}: asks [${off}, ${off + len}) past its end ${t.end}`);
        if (act === abi.ACT_READ) {
          if (len > cfg.slotSize) fail(`READ of ${len} bytes into a slot of ${cfg.slotSize}`);
          takeSlot(t, s);
          pending.push({ kind: 'read', t, off, len, s });
        } else {
          if (!t.native) fail(`transfer ${t.k} was asked to sendfile without FLAG_NATIVE`);
          if (act === abi.ACT_SENDFILE && len > cfg.syncLimit) fail(`an on-thread sendfile of ${len} bytes, above the limit ${cfg.syncLimit}`);
          pending.push({ kind: 'send', t, off, len });
        }
      } else if (act === abi.ACT_WRITE) {
        if (!t.filled.has(s)) fail(`transfer ${t.k}: WRITE of slot ${s}, which it has not filled`);
        t.filled.delete(s);
        // The bytes leave in file order: they must be the next ones of the file.
        const bytes = mem().subarray(x.slotPtr(s), x.slotPtr(s) + len);
        for (let i = 0; i < len; i++) {
          if (bytes[i] !== byteAt(t.spec.offset + t.delivered + i)) fail(`transfer ${t.k}: byte ${t.delivered + i} of the stream is not the file's (a gap or a byte twice)`);
        }
        t.delivered += len;
        t.handed += len;
        t.everHanded = true;
        pending.push({ kind: 'write', t, len, s });
      } else {
        fail(`unknown action ${act}`);
      }
    }
    fail(`transfer ${t.k}: next() neither waits nor settles`);
  };

  const settle = (t, act) => {
    t.outcome = act === abi.ACT_DONE ? 'done' : 'fail';
    checkCounts(t);
    if (t.outcome === 'done') {
      if (t.handed !== 0) fail(`transfer ${t.k}: DONE with ${t.handed} bytes still in flight`);
      const want = Math.min(t.end, t.real) - t.spec.offset;
      if (!t.earlyEof && t.completed !== Math.max(0, want)) fail(`transfer ${t.k}: DONE after ${t.completed} bytes, the slice has ${want}`);
      if (t.completed > Math.max(0, want)) fail(`transfer ${t.k}: DONE after ${t.completed} bytes, more than the slice`);
    } else {
      const why = x.failure(t.id);
      if (why === abi.FAIL_NONE) fail(`transfer ${t.k}: FAIL without a failure code`);
      if (why === abi.FAIL_NOT_AVAILABLE && (t.completed > 0 || t.everHanded)) fail(`transfer ${t.k}: NOT_AVAILABLE after bytes went`);
      if (why !== abi.FAIL_ABORTED && t.handed !== 0) fail(`transfer ${t.k}: failed with ${t.handed} bytes in flight (only an abort settles early)`);
    }
  };

  const finish = (t) => {
    if (t.finished || t.id < 0 || !t.outcome) return;
    x.finish(t.id);
    t.finished = true;
    // A failed transfer's filled, unwritten slots went back at its failure.
    for (const s of t.filled) slotOwner.delete(s);
    t.filled.clear();
  };

  const wake = () => {
    for (let w = x.takeWake(); w !== abi.NO_WAKE; w = x.takeWake()) {
      const t = active().find((u) => u.id === w);
      if (!t) fail(`takeWake named entry ${w}, which no live transfer holds`);
      // A wake may be stale (its transfer got a slot meanwhile): pumping it is harmless. One
      // that names a waiter must name the first.
      if (queue.includes(t) && queue[0] !== t) fail(`takeWake named transfer ${t.k}, not the first waiter ${queue[0].k}`);
      pump(t);
    }
  };

  // Reports one pending operation; outcome b picks full, short, EOF, error, detach, EAGAIN.
  const complete = (i, b) => {
    const [op] = pending.splice(i, 1);
    const t = op.t;
    const mode = b % 12;
    if (op.kind === 'read') {
      // A read that ends after its transfer failed gives its slot straight back.
      const failed = x.failure(t.id) !== 0;
      if (mode === 0) { giveSlot(t, op.s); x.readFailed(t.id, op.s); }
      else {
        const avail = Math.max(0, Math.min(op.len, t.real - op.off));
        let n = mode === 1 ? 0 : mode <= 4 ? Math.min(avail, 1 + (b % op.len)) : avail;
        if (mode === 11 && b % 7 === 0) n = op.len + 1; // a host bug: more than asked
        if (n === 0) { t.earlyEof ||= op.off < Math.min(t.end, t.real); giveSlot(t, op.s); }
        else if (n <= op.len && !failed) {
          const m = mem();
          for (let j = 0; j < n; j++) m[x.slotPtr(op.s) + j] = byteAt(op.off + j);
          t.cursor += n;
          t.filled.add(op.s);
        } else giveSlot(t, op.s);
        x.readDone(t.id, op.s, n);
      }
    } else if (op.kind === 'send') {
      if (mode === 0) {
        x.sendfileError(t.id);
        // Before any byte the core falls back to buffers (or fails) and starts again at offset.
        if (t.completed === 0 && !t.everHanded) t.cursor = t.spec.offset;
      } else if (mode === 1) x.sendfileAgain(t.id);
      else {
        const avail = Math.max(0, Math.min(op.len, t.real - op.off));
        let n = mode <= 4 ? Math.min(avail, 1 + (b % op.len)) : avail;
        if (mode === 11 && b % 7 === 0) n = op.len + 1;
        if (n === 0) t.earlyEof ||= op.off < Math.min(t.end, t.real);
        if (n > 0 && n <= op.len) {
          if (op.off !== t.spec.offset + t.delivered) fail(`transfer ${t.k}: sendfile at ${op.off} after ${t.delivered} bytes went (a gap or a byte twice)`);
          t.cursor += n;
          t.delivered += n;
          t.completed += n;
          t.everHanded = true;
        }
        x.sendfileDone(t.id, n);
      }
    } else if (op.kind === 'write') {
      if (mode === 0) {
        // The sink took the first `accepted` bytes before it failed; they count.
        let accepted = b % (op.len + 1);
        if (b % 13 === 0) accepted = op.len + 1; // a host bug: more than the write held
        giveSlot(t, op.s);
        t.handed -= op.len;
        if (accepted <= op.len) t.completed += accepted;
        x.writeFailed(t.id, op.s, accepted);
      }
      else if (mode <= 2) {
        // The sink copied the bytes: the slot goes back now, the write reports later by length.
        giveSlot(t, op.s);
        x.writeDetach(t.id, op.s);
        pending.push({ kind: 'detached', t, len: op.len, fails: mode === 1 && b % 5 === 0 });
      } else { giveSlot(t, op.s); t.handed -= op.len; t.completed += op.len; x.writeDone(t.id, op.s); }
    } else if (op.kind === 'detached') {
      t.handed -= op.len;
      if (op.fails) x.detachedWriteFailed(t.id, op.len);
      else { t.completed += op.len; x.detachedWriteDone(t.id, op.len); }
    }
    syncQueue();
    if (!t.finished) checkCounts(t);
    pump(t);
    wake();
  };

  for (const [op, a, b] of scenario.steps) {
    if (op <= 2) pump(ts[a % ts.length]);
    else if (op <= 7) { if (pending.length) complete(a % pending.length, b); }
    else if (op === 8) {
      const t = ts[a % ts.length];
      if (t.id >= 0 && !t.finished && !t.outcome) { t.aborted = true; x.fail(t.id, abi.FAIL_ABORTED); syncQueue(); pump(t); wake(); }
    } else {
      const t = ts[a % ts.length];
      if (t.outcome) finish(t);
    }
  }
  // Drain as a host would: every operation completes in full, and a transfer is pumped only
  // after its own reports or when the core wakes it. When nothing is in flight, a transfer
  // that could go on but was never woken is a lost wake-up (a hang in a real host).
  for (let round = 0; ; round++) {
    if (round > 10_000) fail('the scenario never drained');
    if (pending.length) { complete(0, 5); continue; }
    let progressed = false;
    for (const t of ts) if (t.outcome && !t.finished) { finish(t); progressed = true; }
    for (const t of ts) {
      if (t.id < 0 || t.outcome || t.finished) continue;
      const before = pending.length;
      pump(t);
      if (pending.length > before || t.outcome) fail(`transfer ${t.k} could go on with nothing in flight, but nothing woke it`);
    }
    // A transfer that found the table full retries once an entry freed (the driver's entry waiters).
    for (const t of ts) if (t.id < 0) { pump(t); if (t.id >= 0) progressed = true; }
    if (!progressed && !pending.length) break;
  }
  if (ts.some((t) => !t.finished)) fail(`transfers ${ts.filter((t) => !t.finished).map((t) => t.k)} never settled`);
  if (x.freeSlots() !== x.slotCount()) fail(`${x.slotCount() - x.freeSlots()} slots never came back`);
  if (x.queueLength() !== 0) fail('a transfer stayed queued');
  for (let i = 0; i < x.maxTransfers(); i++) if (x.active(i)) fail(`entry ${i} never freed`);
  return ts;
}

export { Violation };
