// sendfileAsync's wait for writability (maxWaitMs) and its cancel flag: one call outlasts a full
// socket buffer when the reader catches up, stops on its budget when the reader does not, and
// stops within a poll slice of JS setting cancel[0]. Time bounds here are loose on purpose: they
// tell "waited" from "did not wait" and "stopped" from "ran out the 5 s budget", nothing finer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, openSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { within } from '../lib.js';
import { loadBuiltBackend } from './_setup.js';
import { E, connectedPair, fillUntilEagain, makeFile, sendRangeAsync, sha256, socketFd } from './fixtures/lib.js';

const b = await loadBuiltBackend();

// Several times what loopback TCP holds for a reader that does not read (a few MB here).
const SIZE = 64 * 1024 * 1024 + 3;
const file = makeFile(SIZE);
const fd = openSync(file.path, 'r');

/** One sendfileAsync; resolves { r, ms } (ms from the call to the callback). */
const call = (sock, offset, length, cancel, maxWaitMs) => within(10_000, new Promise((resolve, reject) => {
  const t0 = performance.now();
  const q = b.sendfileAsync(sock, fd, offset, length, (r) => resolve({ r, ms: performance.now() - t0 }), cancel, maxWaitMs);
  if (q !== 0) reject(new Error(`sendfileAsync refused: ${q}`));
}), 'sendfileAsync');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** What one connection to a reader that never reads takes before EAGAIN. */
async function capacity() {
  const p = await connectedPair({ host: '127.0.0.1' }, { paused: true });
  const { total, result } = fillUntilEagain(b, socketFd(p.client), fd, SIZE);
  p.close();
  assert.is(result, -E.EAGAIN);
  return total;
}

/** Lets a paused peer read what it was sent, ends the client, and returns { bytes, sha }. */
async function drain(p) {
  p.peer.resume();
  p.client.end();
  return within(10_000, p.received, 'receiver');
}

test('arguments: cancel must be an Int32Array, maxWaitMs an integer in [0, 2^31 - 1]', async () => {
  for (const c of [new Float64Array(1), new Int32Array(0), new Uint32Array(1), [0], {}, 0, 'x']) {
    assert.is(b.sendfileAsync(1, fd, 0, 10, () => assert.unreachable('called back'), c), -E.EINVAL, `cancel ${c}`);
  }
  for (const w of [-1, 1.5, NaN, Infinity, 2 ** 31, '5', {}]) {
    assert.is(b.sendfileAsync(1, fd, 0, 10, () => assert.unreachable('called back'), undefined, w), -E.EINVAL, `maxWaitMs ${String(w)}`);
  }
  // undefined and null mean "none" and "the default"; a cancel in a shared buffer is fine too.
  const p = await connectedPair();
  const s = socketFd(p.client);
  assert.is((await call(s, 0, 1000, null, null)).r, 1000);
  assert.is((await call(s, 1000, 1000, undefined, undefined)).r, 1000);
  assert.is((await call(s, 2000, 1000, new Int32Array(new SharedArrayBuffer(8)), 2 ** 31 - 1)).r, 1000);
  assert.is((await call(s, 3000, 1000, new Int32Array(4).subarray(2), 0)).r, 1000);
  // Element 0 of a view is read, not of its buffer.
  assert.is((await call(s, 4000, 1000, Int32Array.of(1, 0).subarray(1), 0)).r, 1000);
  assert.is((await call(s, 5000, 1000, Int32Array.of(0, 1).subarray(1), 0)).r, -E.ECANCELED);
  const got = await drain(p);
  p.close();
  assert.is(got.sha, sha256(file.data.subarray(0, 5000)));
});

test('a reader that pauses then drains: one call waits and moves more than the socket holds', async () => {
  const fits = await capacity();
  const p = await connectedPair({ host: '127.0.0.1' }, { paused: true });
  const s = socketFd(p.client);
  setTimeout(() => p.peer.resume(), 30);
  const { r, ms } = await call(s, 0, SIZE, undefined, 200);
  assert.ok(r > fits, `one call moved ${r}, the socket holds ${fits}`);
  assert.ok(ms >= 25, `returned after ${ms.toFixed(1)} ms: it cannot have waited for the reader`);
  const rest = await sendRangeAsync(b, s, fd, r, SIZE - r);
  const got = await drain(p);
  p.close();
  assert.is(r + rest, SIZE);
  assert.is(got.bytes, SIZE);
  assert.is(got.sha, sha256(file.data));
});

test('a reader that never reads: the wait runs out, then -EAGAIN on a full socket', async () => {
  const fits = await capacity();
  const p = await connectedPair({ host: '127.0.0.1' }, { paused: true });
  const s = socketFd(p.client);
  const first = await call(s, 0, SIZE, undefined, 50);
  assert.ok(first.r > 0 && first.r < SIZE && first.r <= 2 * fits, `moved ${first.r} (the socket holds ${fits})`);
  assert.ok(first.ms >= 45 && first.ms <= 300, `returned after ${first.ms.toFixed(1)} ms`);
  let next = await call(s, first.r, SIZE - first.r, undefined, 50);
  let moved = first.r;
  // Loopback may still widen its window once; after that the socket stays full.
  for (let i = 0; i < 5 && next.r > 0; i++) {
    moved += next.r;
    next = await call(s, moved, SIZE - moved, undefined, 50);
  }
  assert.is(next.r, -E.EAGAIN);
  assert.ok(next.ms >= 45 && next.ms <= 300, `-EAGAIN after ${next.ms.toFixed(1)} ms`);
  const got = await drain(p);
  p.close();
  assert.is(got.bytes, moved);
  assert.is(got.sha, sha256(file.data.subarray(0, moved)));
});

test('cancel stops a long wait within a poll slice: the bytes moved, or -ECANCELED', async () => {
  for (const full of [false, true]) {
    const p = await connectedPair({ host: '127.0.0.1' }, { paused: true });
    const s = socketFd(p.client);
    let moved = 0;
    if (full) {
      const { total, result } = fillUntilEagain(b, s, fd, SIZE);
      assert.is(result, -E.EAGAIN);
      moved = total;
    }
    const cancel = new Int32Array(1);
    let setAt = 0;
    setTimeout(() => { setAt = performance.now(); cancel[0] = 1; }, 20);
    const { r } = await call(s, moved, SIZE - moved, cancel, 5000);
    const late = performance.now() - setAt;
    assert.ok(setAt > 0, 'called back before cancel was set: it did not wait');
    assert.ok(late <= 100, `callback ${late.toFixed(1)} ms after cancel`);
    if (full) assert.is(r, -E.ECANCELED);
    else assert.ok(r > 0 && r < SIZE, `moved ${r}`);
    if (r > 0) moved += r;
    const got = await drain(p);
    p.close();
    assert.is(got.bytes, moved);
    assert.is(got.sha, sha256(file.data.subarray(0, moved)));
  }
});

test('cancel already set: -ECANCELED and not a byte sent', async () => {
  const p = await connectedPair();
  const { r } = await call(socketFd(p.client), 0, SIZE, Int32Array.of(1), 50);
  assert.is(r, -E.ECANCELED);
  p.client.end();
  const got = await within(10_000, p.received, 'receiver');
  p.close();
  assert.is(got.bytes, 0);
});

test('maxWaitMs 0: back at the first EAGAIN, as before', async () => {
  const p = await connectedPair({ host: '127.0.0.1' }, { paused: true });
  const s = socketFd(p.client);
  const first = await call(s, 0, SIZE, undefined, 0);
  assert.ok(first.r > 0 && first.r < SIZE, `moved ${first.r}`);
  let moved = first.r;
  let next = { r: 1 };
  const times = [];
  for (let i = 0; i < 50 && next.r !== -E.EAGAIN; i++) {
    next = await call(s, moved, SIZE - moved, undefined, 0);
    if (next.r > 0) moved += next.r;
    else times.push(next.ms);
  }
  assert.is(next.r, -E.EAGAIN);
  for (let i = 0; i < 4; i++) {
    const again = await call(s, moved, SIZE - moved, undefined, 0);
    assert.is(again.r, -E.EAGAIN);
    times.push(again.ms);
  }
  // A thread-pool round trip, not a wait: far below the 10 ms of one poll slice.
  assert.ok(Math.min(...times) < 10, `fastest -EAGAIN took ${Math.min(...times).toFixed(1)} ms`);
  const got = await drain(p);
  p.close();
  assert.is(got.bytes, moved);
  assert.is(got.sha, sha256(file.data.subarray(0, moved)));
});

test.after(() => { closeSync(fd); file.cleanup(); });
test.run();
