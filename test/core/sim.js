// A simulated host for the core's deterministic tests: a file in memory, a sink that records
// bytes in the order writes were issued, and a scheduler that completes pending operations in
// a seeded random order with short results, EAGAIN and errors injected. It checks the core's
// invariants after every step and throws on the first violation.
import { readFileSync } from 'node:fs';
import * as abi from '../../dist/abi.js';

export { abi };

export function loadCore(build = 'release', opts = {}) {
  const file = build === 'debug' ? 'core.debug.wasm' : 'core.wasm';
  // CORE_WASM points the suite at another build, e.g. a deliberately broken one, to show the
  // tests can fail.
  const path = process.env.CORE_WASM ?? new URL(`../../dist/${file}`, import.meta.url);
  const mod = new WebAssembly.Module(readFileSync(path));
  const x = new WebAssembly.Instance(mod, {}).exports;
  const rc = x.configure(opts.transfers ?? 0, opts.slots ?? 0, opts.slotSize ?? 0, opts.depth ?? 0, opts.syncLimit ?? 0, opts.asyncChunk ?? 0);
  if (rc !== 0) throw new Error(`configure failed: ${rc}`);
  return x;
}

export function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

export function fileOf(size, seed = 7) {
  const r = rng(seed);
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (r() * 256) | 0;
  return b;
}

/**
 * Runs transfers to completion under a fault plan.
 * specs: [{ offset, count (-1 = EOF), size (file.length or -1), native, fallback, sequential }]
 * plan: { random, shortRead, shortSend, again, readError, writeError, sendError, abortAt, detach,
 *         sendfileSizes: function (asked, step) -> n | 'again' | 'error' }
 * Returns one record per spec: outcome ('done' | 'fail'), failure, sent, position, mode,
 * received (chunks in the order the sink took them) and completed (bytes whose write or
 * sendfile completed, the simulation's own count).
 */
export function simulate(x, file, specs, plan = {}) {
  const random = plan.random ?? rng(1);
  const chance = (p) => p > 0 && random() < p;
  const slotCount = x.slotCount();
  const slotHolder = new Array(slotCount).fill(-1); // the simulation's own record of slot use
  const mem = () => new Uint8Array(x.memory.buffer);
  const ts = specs.map((spec) => {
    const flags = (spec.native ? abi.FLAG_NATIVE : 0) | (spec.fallback ? abi.FLAG_FALLBACK : 0) | (spec.sequential ? abi.FLAG_SEQUENTIAL : 0);
    const id = x.begin(spec.offset, spec.count, spec.size ?? file.length, flags);
    if (id < 0) throw new Error('no entry');
    const end = Math.min(spec.count < 0 ? Infinity : spec.offset + spec.count, spec.size < 0 ? Infinity : (spec.size ?? file.length));
    return { spec, id, end, received: [], outcome: null, failure: 0, completed: 0, steps: 0, sentBeforeFailure: 0, seqPos: spec.offset, native: 0 };
  });
  const pending = [];
  const violation = (t, msg) => { throw new Error(`invariant broken for transfer ${t.id} (${JSON.stringify(t.spec)}): ${msg}`); };
  const receivedLen = (t) => t.received.reduce((a, c) => a + c.length, 0);

  const pump = (t) => {
    if (t.outcome) return;
    for (let guard = 0; guard < 1000; guard++) {
      t.steps++;
      if (plan.abortAt !== undefined && t.steps === plan.abortAt && !t.aborted) {
        t.aborted = true;
        x.fail(t.id, abi.FAIL_ABORTED);
      }
      const act = x.next(t.id);
      if (act === abi.ACT_WAIT) return;
      if (act === abi.ACT_DONE || act === abi.ACT_FAIL) {
        t.outcome = act === abi.ACT_DONE ? 'done' : 'fail';
        t.failure = x.failure(t.id);
        t.sent = x.sent(t.id);
        t.reported = x.reported(t.id);
        t.position = x.position(t.id);
        t.mode = x.mode(t.id);
        t.nativeSent = x.nativeSent(t.id);
        // The core releases a filled slot that was never written when a transfer fails.
        for (let s = 0; s < slotCount; s++) {
          if (slotHolder[s] === t.id && !pending.some((p) => p.slot === s)) slotHolder[s] = -1;
        }
        x.finish(t.id);
        return;
      }
      const off = x.actOffset(), len = x.actLength(), slot = x.actSlot();
      if (act === abi.ACT_SENDFILE || act === abi.ACT_SENDFILE_ASYNC) {
        if (off + len > t.end) violation(t, `sendfile past count: ${off}+${len} > ${t.end}`);
        if (off !== t.spec.offset + receivedLen(t)) violation(t, `sendfile at ${off}, expected ${t.spec.offset + receivedLen(t)}`);
        pending.push({ kind: 'send', t, off, len });
      } else if (act === abi.ACT_READ) {
        if (slot < 0 || slot >= slotCount) violation(t, `bad slot ${slot}`);
        if (slotHolder[slot] !== -1) {
          // Legitimate only if the holder failed with this slot filled and unwritten: the core
          // releases such a slot at the failure.
          const h = slotHolder[slot];
          if (pending.some((p) => p.slot === slot) || x.failure(h) === 0) violation(t, `slot ${slot} handed out while held by ${h}`);
        }
        if (len <= 0 || len > x.slotSize()) violation(t, `read length ${len}`);
        if (!t.spec.sequential && off + len > t.end) violation(t, `read past count: ${off}+${len} > ${t.end}`);
        slotHolder[slot] = t.id;
        pending.push({ kind: 'read', t, off: t.spec.sequential ? t.seqPos : off, len, slot });
      } else if (act === abi.ACT_WRITE) {
        if (slotHolder[slot] !== t.id) violation(t, `write of slot ${slot} not held by it`);
        const bytes = mem().slice(x.slotPtr(slot), x.slotPtr(slot) + len);
        t.received.push(bytes); // the sink takes bytes in issue order, like a socket's queue
        if (chance(plan.detach ?? 0)) {
          // The sink kept its own copy (bytes above): the slot is free before the write ends.
          slotHolder[slot] = -1;
          x.writeDetach(t.id, slot);
          pending.push({ kind: 'write', t, len, slot: -1 });
        } else {
          pending.push({ kind: 'write', t, len, slot });
        }
      } else {
        violation(t, `unknown action ${act}`);
      }
    }
    violation(t, 'next() never settled or waited');
  };

  const wake = () => {
    for (let w = x.takeWake(); w !== abi.NO_WAKE; w = x.takeWake()) {
      const t = ts.find((q) => q.id === w && !q.outcome);
      if (t) pump(t);
    }
  };

  for (const t of ts) pump(t);
  let steps = 0;
  while (pending.length) {
    if (++steps > 1_000_000) throw new Error('simulation did not converge');
    const op = pending.splice(Math.floor(random() * pending.length), 1)[0];
    const t = op.t;
    if (op.kind === 'send') {
      let n;
      const forced = plan.sendfileSizes?.(op.len, t.native++);
      if (forced === 'again' || (forced === undefined && chance(plan.again ?? 0))) { x.sendfileAgain(t.id); }
      else if (forced === 'error' || (forced === undefined && chance(plan.sendError ?? 0))) { x.sendfileError(t.id); }
      else {
        n = typeof forced === 'number' ? forced : (chance(plan.shortSend ?? 0) ? 1 + Math.floor(random() * op.len) : op.len);
        n = Math.max(0, Math.min(n, file.length - op.off, op.len));
        if (n > 0) t.received.push(file.slice(op.off, op.off + n));
        t.completed += n;
        x.sendfileDone(t.id, n);
      }
    } else if (op.kind === 'read') {
      if (chance(plan.readError ?? 0)) {
        slotHolder[op.slot] = -1;
        x.readFailed(t.id, op.slot);
      } else {
        let n = Math.max(0, Math.min(op.len, file.length - op.off));
        if (n > 0 && chance(plan.shortRead ?? 0)) n = 1 + Math.floor(random() * n);
        mem().set(file.subarray(op.off, op.off + n), x.slotPtr(op.slot));
        if (t.spec.sequential) t.seqPos += n;
        if (n === 0) slotHolder[op.slot] = -1; // EOF: the core releases it
        x.readDone(t.id, op.slot, n);
      }
    } else if (op.slot < 0) {
      if (chance(plan.writeError ?? 0)) {
        x.detachedWriteFailed(t.id, op.len);
      } else {
        t.completed += op.len;
        x.detachedWriteDone(t.id, op.len);
      }
    } else {
      slotHolder[op.slot] = -1;
      if (chance(plan.writeError ?? 0)) {
        // The sink may have taken part of the slot before failing: those bytes count.
        const accepted = Math.floor(random() * op.len);
        t.completed += accepted;
        x.writeFailed(t.id, op.slot, accepted);
      } else {
        t.completed += op.len;
        x.writeDone(t.id, op.slot);
      }
    }
    pump(t);
    wake();
  }
  for (const t of ts) if (!t.outcome) pump(t);
  return ts;
}
