// sendfileAsync: correctness, and that the worker thread never writes into an fd number the JS
// side closed and reused meanwhile (it works on its own dup()s), also while it waits for a full
// socket and when JS cancels it after the close.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, openSync, statSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { within } from '../lib.js';
import { loadBuiltBackend } from './_setup.js';
import { E, connectedPair, makeFile, sendOverPair, sendRangeAsync, sha256, socketFd } from './fixtures/lib.js';

const b = await loadBuiltBackend();

const SIZE = 8 * 1024 * 1024 + 7;
const file = makeFile(SIZE);
const fd = openSync(file.path, 'r');

const call = (sock, file, offset, length, ...rest) => new Promise((resolve) => {
  const q = b.sendfileAsync(sock, file, offset, length, resolve, ...rest);
  if (q !== 0) resolve(`refused ${q}`);
});

test('whole file and a slice over TCP, SHA-256 exact', async () => {
  for (const [offset, count] of [[0, SIZE], [12345, 3_000_000]]) {
    const got = await sendOverPair(undefined, (sockFd) => sendRangeAsync(b, sockFd, fd, offset, count));
    assert.is(got.sent, count);
    assert.is(got.bytes, count);
    assert.is(got.sha, sha256(file.data.subarray(offset, offset + count)));
  }
});

test('the callback always comes later; fd errors arrive through it', async () => {
  let sync = true;
  const r = await new Promise((resolve) => {
    assert.is(b.sendfileAsync(-1, fd, 0, 10, (n) => { assert.not.ok(sync, 'called back synchronously'); resolve(n); }), 0);
    sync = false;
  });
  assert.is(r, -E.EBADF);
  const unused = 987654; // far above anything this process opens
  assert.is(await call(unused, fd, 0, 10), -E.EBADF);
  const p = await connectedPair();
  assert.is(await call(socketFd(p.client), unused, 0, 10), -E.EBADF);
  assert.is(await call(socketFd(p.client), fd, SIZE, 10), 0, 'EOF');
  p.close();
});

test('EAGAIN from a peer that does not read: partial total, then -EAGAIN', async () => {
  const p = await connectedPair({ host: '127.0.0.1' }, { paused: true });
  const s = socketFd(p.client);
  const first = await call(s, fd, 0, SIZE);
  assert.ok(first > 0 && first < SIZE, `first call moved ${first}`);
  let r = first;
  for (let i = 0; i < 50 && r > 0; i++) r = await call(s, fd, 0, SIZE);
  assert.is(r, -E.EAGAIN);
  p.close();
});

test('a reset after progress: the bytes moved, and beside them the error that ended the call', async () => {
  // The kernel reports ECONNRESET once: dropped here, the next call would see only EPIPE.
  const p = await connectedPair();
  p.client.pause(); // Node's own reader must not be the one to take the error
  p.peer.once('data', () => p.peer.resetAndDestroy());
  const [n, late] = await new Promise((resolve) => {
    assert.is(b.sendfileAsync(socketFd(p.client), fd, 0, SIZE, (...args) => resolve(args), undefined, 5000), 0);
  });
  assert.ok(n > 0 && n < SIZE, `moved ${n}`);
  assert.ok(late === -E.ECONNRESET || late === -E.EPIPE, `late ${late}`);
  p.close();
  // A call that ends without an error says so: 0.
  const q = await connectedPair();
  const [m, none] = await new Promise((resolve) => b.sendfileAsync(socketFd(q.client), fd, 0, 1000, (...args) => resolve(args)));
  assert.is(m, 1000);
  assert.is(none, 0);
  q.close();
});

/**
 * 30 rounds of: start a transfer, close both original fds at once, take their numbers back with
 * new files and sockets, and check that only the original connection got bytes, exactly those
 * reported. With `cancel`, cancel[0] is set right after the close (as a destroyed socket does).
 * With `paused`, the receiver only reads once the callback has come, so the worker is waiting for
 * POLLOUT while the numbers are reused, and cancel comes 20 ms later, during that wait.
 */
async function reuseRounds({ cancel = false, paused = false } = {}) {
  // Sockets opened after the close: any byte they receive would be a stray write.
  const sink = net.createServer();
  let stray = 0;
  sink.on('connection', (s) => { s.on('data', (d) => { stray += d.length; }); s.on('error', () => {}); });
  await new Promise((r) => sink.listen(0, '127.0.0.1', r));
  let reused = 0;
  for (let i = 0; i < 30; i++) {
    const p = await connectedPair({ host: '127.0.0.1' }, { paused });
    const sockFd = socketFd(p.client);
    const fileFd = openSync(file.path, 'r');
    const offset = (i * 4099) % 100_000;
    const flag = cancel ? new Int32Array(1) : undefined;
    const done = call(sockFd, fileFd, offset, SIZE - offset, flag, paused ? 5000 : undefined);
    // Close both originals at once and take their numbers back with new files and sockets.
    p.client.destroy();
    closeSync(fileFd);
    if (flag && !paused) flag[0] = 1;
    const paths = [];
    const fds = [];
    for (let k = 0; k < 4; k++) {
      const path = join(file.dir, `new-${i}-${k}`);
      paths.push(path);
      fds.push(openSync(path, k % 2 ? 'w' : 'w+'));
    }
    const other = makeFile(64 * 1024, `other-${i}`);
    const otherFd = openSync(other.path, 'r'); // a different file where the source fd was
    const sockets = [0, 1].map(() => net.connect(sink.address().port, '127.0.0.1').on('error', () => {}));
    const newFds = [...fds, otherFd, ...sockets.map((s) => s._handle?.fd ?? -1)];
    if (newFds.includes(sockFd) || newFds.includes(fileFd)) reused++;
    if (flag && paused) { // the worker has been waiting on its dup while the numbers were reused
      await new Promise((r) => setTimeout(r, 20));
      flag[0] = 1;
    }

    const result = await within(cancel ? 2000 : 10_000, done, `iteration ${i}`);
    if (paused) p.peer.resume();
    const got = await within(10_000, p.received, `iteration ${i}: receiver`);
    const moved = result === -E.ECANCELED && cancel ? 0 : result;
    assert.ok(typeof moved === 'number' && moved >= 0 && (moved > 0 || cancel), `iteration ${i}: result ${result}`);
    // The original connection got exactly what the thread reported, from the original file.
    assert.is(got.bytes, moved, `iteration ${i}`);
    assert.is(got.sha, sha256(file.data.subarray(offset, offset + moved)), `iteration ${i}`);
    for (const path of paths) assert.is(statSync(path).size, 0, `stray bytes in ${path}`);
    for (const f of fds) closeSync(f);
    closeSync(otherFd);
    other.cleanup();
    for (const s of sockets) s.destroy();
    p.close();
  }
  await new Promise((r) => setTimeout(r, 50));
  sink.close();
  assert.is(stray, 0, 'stray bytes on sockets opened after the close');
  assert.ok(reused > 0, 'no fd number was reused: the test proved nothing');
}

test('closing the original fds right after the call never redirects the thread', () => reuseRounds());

test('nor does closing them while it waits for a full socket, then cancelling', () =>
  reuseRounds({ cancel: true, paused: true }));

test('nor does cancelling right after the close with a reader that keeps up', () =>
  reuseRounds({ cancel: true }));

test.after(() => { closeSync(fd); file.cleanup(); });
test.run();
