// The core's limits as a process sees them: configure() checks its options at once; with one
// transfer entry, a transfer waiting for it starts as soon as the entry frees (also when that
// happens late, after an abort with writes still in flight), and an abort ends the wait.
// configure() is process-wide and must come first, hence a file of its own.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connectTo, dist, makeFile, receiver, rejection, sha, within } from './helpers.js';

const { configure, sockSendfile, openFile } = dist;

test('configure() refuses bad options at once, with a code', () => {
  const cases = [
    [{ slots: 0 }, RangeError, 'ERR_OUT_OF_RANGE'],
    [{ slotSize: 1.5 }, RangeError, 'ERR_OUT_OF_RANGE'],
    [{ depth: -1 }, RangeError, 'ERR_OUT_OF_RANGE'],
    [{ maxTransfers: 2 ** 21 }, RangeError, 'ERR_OUT_OF_RANGE'],
    [{ slots: 65536, slotSize: 64 * 1024 * 1024 }, RangeError, 'ERR_OUT_OF_RANGE'], // 4 TiB of slots
    [{ slots: '4' }, TypeError, 'ERR_INVALID_ARG_TYPE'],
    [{ slot: 4 }, TypeError, 'ERR_INVALID_ARG_TYPE'], // misspelt
    [null, TypeError, 'ERR_INVALID_ARG_TYPE'],
  ];
  for (const [opts, cls, code] of cases) {
    let err;
    try { configure(opts); } catch (e) { err = e; }
    assert.instance(err, cls, JSON.stringify(opts));
    assert.is(err.code, code, JSON.stringify(opts));
  }
  configure({ maxTransfers: 1 });
});

// A's peer does not read, so A's writes stay in flight; B waits for the only entry.
async function twoTransfers() {
  const { path, data } = makeFile(16 * 1024 * 1024);
  const ra = await receiver('tcp', { onConnection: (s) => s.pause() });
  const rb = await receiver('tcp');
  const a = await connectTo(ra.address), b = await connectTo(rb.address);
  const fa = await openFile(path), fb = await openFile(path);
  return {
    data, ra, rb, a, b, fa, fb,
    async close() {
      a.destroy(); b.destroy();
      await Promise.all([ra.close(), rb.close(), fa.close(), fb.close()]);
    },
  };
}

test('a transfer waiting for the only entry starts once an aborted one frees it late', async () => {
  const p = await twoTransfers();
  try {
    const ac = new AbortController();
    const A = sockSendfile(p.a, p.fa, 0, undefined, { signal: ac.signal });
    const B = sockSendfile(p.b, p.fb);
    await new Promise((r) => setTimeout(r, 100));
    ac.abort();
    const errA = await rejection(within(5000, A, 'A'));
    assert.is(errA.code, 'ABORT_ERR');
    // A's writes are still in flight (its peer reads nothing): its entry frees only when the
    // peer drains them, and that must wake B.
    for (const s of p.ra.sockets) s.resume();
    assert.is(await within(10_000, B, 'B (was it woken?)'), p.data.length);
    p.b.end();
    assert.is(sha(await within(10_000, p.rb.received, 'receiver')), sha(p.data));
  } finally {
    await p.close();
  }
});

test('an abort ends the wait for an entry at once', async () => {
  const p = await twoTransfers();
  try {
    const A = sockSendfile(p.a, p.fa).catch((e) => e);
    const ac = new AbortController();
    const B = sockSendfile(p.b, p.fb, 0, undefined, { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    ac.abort(new Error('no more waiting'));
    const errB = await rejection(within(5000, B, 'B'));
    assert.is(errB.code, 'ABORT_ERR');
    assert.is(errB.bytesSent, 0);
    assert.ok(Date.now() - t0 < 1000, `rejected ${Date.now() - t0} ms after the abort`);
    p.a.destroy();
    await A;
  } finally {
    await p.close();
  }
});

test('configure() after the first transfer: ERR_INVALID_STATE', () => {
  let err;
  try { configure({ slots: 8 }); } catch (e) { err = e; }
  assert.is(err?.code, 'ERR_INVALID_STATE');
});

test.run();
