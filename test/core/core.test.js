// The WASM core alone, driven by simulated hosts (test/core/sim.js): deterministic, seeded.
// Runs against both builds that ship (release and debug).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { abi, fileOf, loadCore, rng, simulate } from './sim.js';

const concat = (chunks) => {
  const out = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.length; }
  return out;
};

// Checks what every outcome must satisfy; returns the bytes the sink got.
function checkInvariants(x, file, t) {
  const got = concat(t.received);
  const want = file.subarray(t.spec.offset, Math.min(t.end, file.length));
  const label = JSON.stringify(t.spec);
  assert.ok(got.length <= want.length, `past count: ${got.length} > ${want.length} ${label}`);
  assert.equal(Buffer.compare(Buffer.from(got), Buffer.from(want.subarray(0, got.length))), 0, `bytes differ (twice or skipped) ${label}`);
  if (t.failure === abi.FAIL_ABORTED) {
    // Abort settles at once: what was handed to the sink may still complete afterwards.
    assert.ok(t.sent <= t.completed && t.completed <= t.reported, `abort: sent <= completed <= reported ${label}`);
  } else {
    assert.is(t.sent, t.completed, `sent counts exactly the completed bytes ${label}`);
  }
  if (t.failure !== abi.FAIL_ABORTED) assert.is(t.reported, t.sent, `reported = sent unless aborted ${label}`);
  assert.is(t.position, t.spec.offset + t.reported, `position = offset + reported ${label}`);
  if (t.outcome === 'done') {
    assert.is(got.length, want.length, `done but short ${label}`);
    assert.is(t.sent, want.length, `done: sent ${label}`);
  }
  if (t.failure === abi.FAIL_NOT_AVAILABLE) assert.is(t.sent, 0, `NOT_AVAILABLE after bytes ${label}`);
  if (t.mode === 2 && t.spec.native) assert.is(t.nativeSent, 0, `fell back after native bytes ${label}`);
  return got;
}

function checkPoolEmpty(x) {
  assert.is(x.freeSlots(), x.slotCount(), 'a slot leaked');
  assert.is(x.queueLength(), 0, 'a transfer stayed queued');
  for (let i = 0; i < x.maxTransfers(); i++) assert.is(x.active(i), 0, `entry ${i} leaked`);
}

for (const build of ['release', 'debug']) {
  test(`${build}: the export list is the ABI`, () => {
    const mod = new WebAssembly.Module(readFileSync(new URL(`../../dist/${build === 'debug' ? 'core.debug' : 'core'}.wasm`, import.meta.url)));
    const names = WebAssembly.Module.exports(mod).map((e) => e.name).sort();
    assert.equal(names, [
      'actLength', 'actOffset', 'actSlot', 'active', 'begin', 'configure', 'detachedWriteDone',
      'detachedWriteFailed', 'fail', 'failure',
      'finish', 'freeSlots', 'held', 'maxTransfers', 'memory', 'mode', 'nativeSent', 'next', 'position',
      'queueLength', 'readDone', 'readFailed', 'reported', 'sendfileAgain', 'sendfileDone', 'sendfileError', 'sent',
      'slotCount', 'slotPtr', 'slotSize', 'takeWake', 'writeDetach', 'writeDone', 'writeFailed',
    ]);
    assert.equal(WebAssembly.Module.imports(mod), [], 'the core imports nothing');
  });

  test(`${build}: memory is laid out once and never grows`, () => {
    const x = loadCore(build, { slots: 4, slotSize: 4096, transfers: 8 });
    const buf = x.memory.buffer;
    assert.is(x.configure(0, 0, 0, 0, 0, 0), -1, 'configure twice is refused');
    const file = fileOf(50_000);
    simulate(x, file, [{ offset: 0, count: -1, native: false }]);
    assert.ok(x.memory.buffer === buf, 'memory.buffer was replaced (grew)');
    assert.ok(x.slotPtr(0) % 65536 === 0, 'slots are page aligned');
  });

  test(`${build}: whole file, slices, EOF and empty cases, buffered and native`, () => {
    const x = loadCore(build, { slots: 4, slotSize: 1000, transfers: 4, depth: 2, syncLimit: 700, asyncChunk: 1500 });
    const file = fileOf(10_000);
    const cases = [
      [0, -1], [0, 1], [1, 1], [123, 4567], [0, 10_000], [0, 20_000], [9_999, -1], [9_999, 5],
      [10_000, -1], [10_000, 10], [50_000, 3], [0, 1000], [1000, 1000],
    ];
    for (const native of [false, true]) {
      for (const [offset, count] of cases) {
        const [t] = simulate(x, file, [{ offset, count, native, fallback: true }]);
        assert.is(t.outcome, 'done', `${offset}/${count}/${native}`);
        checkInvariants(x, file, t);
        checkPoolEmpty(x);
      }
    }
    const empty = new Uint8Array(0);
    const [t] = simulate(x, empty, [{ offset: 0, count: -1, native: true, size: 0 }]);
    assert.is(t.sent, 0);
    assert.is(t.outcome, 'done');
  });

  test(`${build}: sendfile moving every possible count per call`, () => {
    const x = loadCore(build, { slots: 2, slotSize: 64, transfers: 2, syncLimit: 40, asyncChunk: 90 });
    const file = fileOf(300);
    for (let k = 1; k <= 90; k++) {
      const [t] = simulate(x, file, [{ offset: 3, count: 290, native: true }], { sendfileSizes: (asked) => Math.min(k, asked) });
      assert.is(t.outcome, 'done', `k=${k}`);
      checkInvariants(x, file, t);
      assert.is(t.nativeSent, 290);
    }
    checkPoolEmpty(x);
  });

  test(`${build}: EAGAIN at every step goes through a slot and back to sendfile`, () => {
    const x = loadCore(build, { slots: 2, slotSize: 50, transfers: 2, syncLimit: 40, asyncChunk: 90 });
    const file = fileOf(400);
    for (let step = 0; step < 20; step++) {
      const [t] = simulate(x, file, [{ offset: 0, count: -1, native: true, fallback: false }], {
        sendfileSizes: (asked, i) => (i === step || i === step + 1 ? 'again' : Math.min(asked, 17)),
      });
      assert.is(t.outcome, 'done', `step ${step}`);
      checkInvariants(x, file, t);
      assert.ok(t.nativeSent > 0 && t.nativeSent < 400, 'both paths moved bytes');
    }
    checkPoolEmpty(x);
  });

  test(`${build}: a native error before any byte falls back, after one is final`, () => {
    const x = loadCore(build, { slots: 2, slotSize: 50, transfers: 2, syncLimit: 40 });
    const file = fileOf(400);
    for (let step = 0; step < 12; step++) {
      for (const fallback of [true, false]) {
        const [t] = simulate(x, file, [{ offset: 5, count: 300, native: true, fallback }], {
          sendfileSizes: (asked, i) => (i === step ? 'error' : Math.min(asked, 30)),
        });
        checkInvariants(x, file, t);
        if (step === 0 && fallback) { assert.is(t.outcome, 'done'); assert.is(t.mode, 2); assert.is(t.nativeSent, 0); }
        if (step === 0 && !fallback) { assert.is(t.outcome, 'fail'); assert.is(t.failure, abi.FAIL_NOT_AVAILABLE); }
        if (step > 0 && step < 10) { assert.is(t.outcome, 'fail'); assert.is(t.failure, abi.FAIL_IO); assert.is(t.sent, step * 30); }
      }
    }
    checkPoolEmpty(x);
  });

  test(`${build}: short reads of every size`, () => {
    const x = loadCore(build, { slots: 3, slotSize: 64, transfers: 2, depth: 3 });
    const file = fileOf(500);
    for (let seed = 1; seed <= 64; seed++) {
      const [t] = simulate(x, file, [{ offset: seed, count: 400 }], { random: rng(seed), shortRead: 0.7 });
      assert.is(t.outcome, 'done');
      checkInvariants(x, file, t);
    }
    checkPoolEmpty(x);
  });

  test(`${build}: abort at every step leaks nothing`, () => {
    const x = loadCore(build, { slots: 3, slotSize: 64, transfers: 3, depth: 2, syncLimit: 50 });
    const file = fileOf(700);
    for (let step = 1; step < 40; step++) {
      for (const native of [false, true]) {
        const ts = simulate(x, file, [{ offset: 0, count: -1, native }, { offset: 10, count: 600, native }], { abortAt: step, random: rng(step), again: 0.2, shortSend: 0.5 });
        for (const t of ts) {
          checkInvariants(x, file, t);
          if (t.outcome === 'fail') assert.is(t.failure, abi.FAIL_ABORTED);
        }
        checkPoolEmpty(x);
      }
    }
  });

  test(`${build}: many transfers interleaved under random faults keep every invariant`, () => {
    const x = loadCore(build, { slots: 5, slotSize: 97, transfers: 12, depth: 3, syncLimit: 150, asyncChunk: 400 });
    const file = fileOf(3000);
    let failures = 0, fallbacks = 0, dones = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const r = rng(seed * 7919);
      const specs = [];
      const n = 1 + Math.floor(r() * 10);
      for (let i = 0; i < n; i++) {
        const offset = Math.floor(r() * 3200);
        const count = r() < 0.3 ? -1 : 1 + Math.floor(r() * 3000);
        specs.push({ offset, count, native: r() < 0.5, fallback: r() < 0.8 });
      }
      const ts = simulate(x, file, specs, {
        random: r, shortRead: 0.3, shortSend: 0.4, again: 0.15, readError: 0.01, writeError: 0.01, sendError: 0.02,
        detach: seed % 3 === 0 ? 0.5 : 0, // a third of the seeds copy half their writes out of the slots
      });
      for (const t of ts) {
        checkInvariants(x, file, t);
        if (t.outcome === 'fail') failures++; else dones++;
        if (t.spec.native && t.mode === 2) fallbacks++;
      }
      checkPoolEmpty(x);
    }
    assert.ok(failures > 10 && dones > 500 && fallbacks > 10, `the faults were exercised (${failures} failed, ${dones} done, ${fallbacks} fell back)`);
  });

  test(`${build}: slots go to waiting transfers in arrival order`, () => {
    const x = loadCore(build, { slots: 2, slotSize: 10, transfers: 4, depth: 2 });
    const a = x.begin(0, 40, 1000, 0), b = x.begin(0, 40, 1000, 0), c = x.begin(0, 40, 1000, 0);
    assert.is(x.next(a), abi.ACT_READ); const sa = x.actSlot();
    assert.is(x.next(b), abi.ACT_READ); const sb = x.actSlot();
    assert.is(x.next(c), abi.ACT_WAIT, 'c queues');
    x.readDone(a, sa, 10);
    assert.is(x.next(a), abi.ACT_WRITE);
    assert.is(x.next(a), abi.ACT_WAIT, 'a queues behind c even though it is busy');
    x.writeDone(a, sa);
    assert.is(x.takeWake(), c, 'the freed slot wakes c first');
    assert.is(x.next(a), abi.ACT_WAIT, 'a may not jump the queue');
    assert.is(x.next(c), abi.ACT_READ);
    x.fail(a, 0); x.fail(b, 0); x.fail(c, 0);
    assert.is(x.next(a), abi.ACT_FAIL); x.finish(a);
    x.readDone(b, sb, 10); x.finish(b);
    x.readDone(c, x.actSlot(), 10); x.finish(c);
    checkPoolEmpty(x);
  });

  test(`${build}: a detached write frees its slot at once but still counts against depth`, () => {
    const x = loadCore(build, { slots: 2, slotSize: 10, transfers: 4, depth: 2 });
    // a's sink stalls: its writes never complete. Detached, they pin no slot, so b still runs.
    const a = x.begin(0, 100, 1000, 0);
    for (let i = 0; i < 2; i++) {
      assert.is(x.next(a), abi.ACT_READ);
      const s = x.actSlot();
      x.readDone(a, s, 10);
      assert.is(x.next(a), abi.ACT_WRITE);
      x.writeDetach(a, s);
    }
    assert.is(x.freeSlots(), 2, 'both slots came back while the writes are in flight');
    assert.is(x.next(a), abi.ACT_WAIT, 'depth 2 reached: no third read until a write completes');
    assert.is(x.reported(a), 0, 'a detached write is not reported until it completes');
    assert.is(x.sent(a), 0, 'a detached write is not sent until it completes');
    const b = x.begin(0, 10, 1000, 0);
    assert.is(x.next(b), abi.ACT_READ);
    x.readDone(b, x.actSlot(), 10);
    assert.is(x.next(b), abi.ACT_WRITE);
    x.writeDone(b, x.actSlot());
    assert.is(x.next(b), abi.ACT_DONE);
    x.finish(b);
    x.detachedWriteDone(a, 10);
    assert.is(x.sent(a), 10);
    assert.is(x.next(a), abi.ACT_READ, 'a write completed: a may read again');
    x.fail(a, 0);
    x.readDone(a, x.actSlot(), 10);
    assert.is(x.next(a), abi.ACT_FAIL, 'an abort settles at once');
    assert.is(x.reported(a), 20, 'after an abort the write handed to the sink counts');
    assert.is(x.position(a), 20, 'and the position says where a resumed transfer starts');
    x.finish(a);
    assert.is(x.active(a), 1, 'the entry stays while a detached write is in flight');
    x.detachedWriteFailed(a, 10);
    assert.is(x.active(a), 0, 'and frees when it is reported');
    const c = x.begin(0, 10, 1000, 0);
    assert.is(x.next(c), abi.ACT_READ);
    const sc = x.actSlot();
    x.readDone(c, sc, 10);
    assert.is(x.next(c), abi.ACT_WRITE);
    x.writeDetach(c, sc);
    x.detachedWriteDone(c, 11);
    assert.is(x.next(c), abi.ACT_FAIL, 'a length no write in flight has fails the transfer');
    assert.is(x.failure(c), abi.FAIL_PROTOCOL);
    x.finish(c);
    checkPoolEmpty(x);
  });

  test(`${build}: offsets above 4 GiB and 2^53 - 1 stay exact`, () => {
    const x = loadCore(build, { slots: 2, slotSize: 4096, transfers: 2 });
    const off = 5 * 2 ** 30 + 7;
    const t = x.begin(off, -1, off + 1000, 0);
    assert.is(x.next(t), abi.ACT_READ);
    assert.is(x.actOffset(), off);
    assert.is(x.actLength(), 1000);
    const s = x.actSlot();
    x.readDone(t, s, 1000);
    assert.is(x.next(t), abi.ACT_WRITE);
    x.writeDone(t, s);
    assert.is(x.next(t), abi.ACT_DONE);
    assert.is(x.position(t), off + 1000);
    x.finish(t);
    const big = Number.MAX_SAFE_INTEGER - 10;
    const u = x.begin(big, 10, -1, abi.FLAG_NATIVE);
    assert.is(x.next(u), abi.ACT_SENDFILE);
    assert.is(x.actOffset(), big);
    x.sendfileDone(u, 10);
    assert.is(x.next(u), abi.ACT_DONE);
    assert.is(x.position(u), Number.MAX_SAFE_INTEGER);
    x.finish(u);
    checkPoolEmpty(x);
  });

  test(`${build}: a host that reports more than it was asked fails the transfer`, () => {
    const x = loadCore(build, { slots: 2, slotSize: 100, transfers: 2 });
    const t = x.begin(0, 50, 1000, 0);
    assert.is(x.next(t), abi.ACT_READ);
    x.readDone(t, x.actSlot(), 51);
    assert.is(x.next(t), abi.ACT_FAIL);
    assert.is(x.failure(t), abi.FAIL_PROTOCOL);
    x.finish(t);
    const u = x.begin(0, 50, 1000, abi.FLAG_NATIVE);
    assert.is(x.next(u), abi.ACT_SENDFILE);
    x.sendfileDone(u, 60);
    assert.is(x.next(u), abi.ACT_FAIL);
    assert.is(x.failure(u), abi.FAIL_PROTOCOL);
    x.finish(u);
    checkPoolEmpty(x);
  });

  test(`${build}: a write that fails part-way counts what the sink took, and no more`, () => {
    const x = loadCore(build, { slots: 2, slotSize: 100, transfers: 2 });
    const t = x.begin(0, 50, 1000, 0);
    assert.is(x.next(t), abi.ACT_READ);
    const s = x.actSlot();
    x.readDone(t, s, 50);
    assert.is(x.next(t), abi.ACT_WRITE);
    x.writeFailed(t, s, 17);
    assert.is(x.next(t), abi.ACT_FAIL);
    assert.is(x.failure(t), abi.FAIL_IO);
    assert.is(x.sent(t), 17);
    assert.is(x.position(t), 17);
    x.finish(t);
    const u = x.begin(0, 50, 1000, 0);
    assert.is(x.next(u), abi.ACT_READ);
    const su = x.actSlot();
    x.readDone(u, su, 50);
    assert.is(x.next(u), abi.ACT_WRITE);
    x.writeFailed(u, su, 51);
    assert.is(x.next(u), abi.ACT_FAIL);
    assert.is(x.failure(u), abi.FAIL_PROTOCOL, 'more accepted than the slot held');
    assert.is(x.sent(u), 0);
    x.finish(u);
    checkPoolEmpty(x);
  });

  test(`${build}: a sequential file starts at offset 0 or not at all`, () => {
    const x = loadCore(build, { slots: 2, slotSize: 100, transfers: 2 });
    assert.is(x.begin(5, 10, -1, abi.FLAG_SEQUENTIAL), abi.SEEK_REFUSED);
    assert.is(x.begin(5, 10, -1, abi.FLAG_SEQUENTIAL | abi.FLAG_NATIVE), abi.SEEK_REFUSED);
    const t = x.begin(0, 10, -1, abi.FLAG_SEQUENTIAL);
    assert.ok(t >= 0);
    x.finish(t);
    const u = x.begin(5, 10, 100, 0);
    assert.ok(u >= 0, 'a seekable file may start anywhere');
    x.finish(u);
    checkPoolEmpty(x);
  });

  test(`${build}: a full table refuses, and frees on finish`, () => {
    const x = loadCore(build, { slots: 2, slotSize: 100, transfers: 3 });
    const ids = [x.begin(0, 1, 10, 0), x.begin(0, 1, 10, 0), x.begin(0, 1, 10, 0)];
    assert.ok(ids.every((i) => i >= 0));
    assert.is(x.begin(0, 1, 10, 0), abi.NO_ENTRY);
    x.finish(ids[1]);
    assert.is(x.begin(0, 1, 10, 0), ids[1]);
  });
}

test.run();
