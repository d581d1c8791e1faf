// Faults on real sockets and files: the peer resets or closes mid-transfer, abort before and
// during, a throwing onProgress, a file truncated while it is sent, offsets above 4 GiB on a
// sparse file, a closed fd and a directory as the file, peers that stop reading, and what a
// transfer leaves on the socket afterwards.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import net from 'node:net';
import { PassThrough } from 'node:stream';
import { connectTo, dist, makeFile, receiver, rejection, sha, tempDir, within } from './helpers.js';

const { sockSendfile, openFile } = dist;
const BIG = 64 * 1024 * 1024;

async function midTransfer(kill) {
  const { path } = makeFile(BIG);
  const f = await openFile(path);
  let peer;
  const r = await receiver('tcp', { slow: 1, onConnection: (s) => { peer = s; } });
  const sock = await connectTo(r.address);
  let killed = false;
  const err = await rejection(within(60_000, sockSendfile(sock, f, 0, undefined, {
    onProgress: (n) => { if (!killed && n > 1_000_000) { killed = true; kill(peer); } },
  })));
  assert.ok(killed, 'the peer was killed mid-transfer');
  assert.ok(err.bytesSent >= 1 && err.bytesSent < BIG, `bytesSent ${err.bytesSent} is between 1 and the size`);
  assert.is(f.tell(), err.bytesSent, 'position = offset + bytesSent');
  assert.type(err.code, 'string');
  sock.destroy();
  await r.close();
  await f.close();
  return err;
}

test('peer resets mid-transfer: rejects with the OS error, bytesSent in range', async () => {
  const err = await midTransfer((peer) => peer.resetAndDestroy());
  assert.ok(['ECONNRESET', 'EPIPE', 'ERR_STREAM_DESTROYED'].includes(err.code), err.code);
});

test('peer closes mid-transfer', async () => {
  const err = await midTransfer((peer) => peer.destroy());
  assert.ok(['ECONNRESET', 'EPIPE', 'ERR_STREAM_DESTROYED'].includes(err.code), err.code);
});

test('abort during: AbortError with cause and bytesSent; position consistent; socket usable', async () => {
  const { path, data } = makeFile(BIG);
  const f = await openFile(path);
  const r = await receiver('tcp', { slow: 1 });
  const sock = await connectTo(r.address);
  const ac = new AbortController();
  const reason = new Error('enough');
  const started = Date.now();
  let abortedAt = 0;
  const err = await rejection(within(30_000, sockSendfile(sock, f, 0, undefined, {
    signal: ac.signal,
    onProgress: (n) => { if (!abortedAt && n > 2_000_000) { abortedAt = Date.now(); ac.abort(reason); } },
  })));
  assert.is(err.name, 'AbortError');
  assert.is(err.code, 'ABORT_ERR');
  assert.is(err.cause, reason);
  assert.ok(err.bytesSent > 2_000_000 && err.bytesSent < BIG, `bytesSent ${err.bytesSent}`);
  assert.ok(Date.now() - abortedAt < 2000, 'the abort landed promptly');
  assert.is(f.tell(), err.bytesSent);
  // The socket carries on: what arrives is exactly the first bytesSent bytes, then the rest.
  const rest = await within(60_000, sockSendfile(sock, f, f.tell(), 1000));
  sock.end();
  const got = await within(60_000, r.received);
  assert.is(rest, 1000);
  assert.is(got.length, err.bytesSent + 1000);
  assert.ok(got.equals(data.subarray(0, err.bytesSent + 1000)), 'nothing lost, nothing twice');
  sock.destroy();
  await r.close();
  await f.close();
  assert.ok(Date.now() - started < 30_000);
});

test('onProgress that throws stops the transfer with that error', async () => {
  const { path } = makeFile(8 * 1024 * 1024);
  const f = await openFile(path);
  const r = await receiver('tcp', { slow: 1 });
  const sock = await connectTo(r.address);
  const boom = new Error('progress failed');
  const err = await rejection(within(30_000, sockSendfile(sock, f, 0, undefined, { onProgress: () => { throw boom; } })));
  assert.is(err, boom);
  assert.ok(err.bytesSent > 0);
  assert.is(f.tell(), err.bytesSent);
  sock.destroy();
  await r.close();
  await f.close();
});

test('file truncated during the transfer: resolves with what was actually sent', async () => {
  const size = 32 * 1024 * 1024;
  const { path, data } = makeFile(size);
  const f = await openFile(path);
  const r = await receiver('tcp', { slow: 1 });
  const sock = await connectTo(r.address);
  let cut = false;
  const n = await within(60_000, sockSendfile(sock, f, 0, undefined, {
    onProgress: (b) => {
      if (!cut && b > 1_000_000) { cut = true; const fd = openSync(path, 'r+'); ftruncateSync(fd, 4_000_000); closeSync(fd); }
    },
  }));
  sock.end();
  const got = await within(60_000, r.received);
  assert.ok(cut);
  assert.ok(n >= 1_000_000 && n <= 4_000_000 + 2 * 1024 * 1024, `sent ${n}`);
  assert.is(got.length, n);
  assert.ok(got.equals(data.subarray(0, n)));
  assert.is(f.tell(), n);
  sock.destroy();
  await r.close();
  await f.close();
});

test('offsets above 4 GiB on a sparse file', async () => {
  const path = join(tempDir(), 'sparse.bin');
  const fd = openSync(path, 'w');
  const off = 5 * 2 ** 30 + 123;
  const tail = Buffer.from('tail-of-a-sparse-file');
  writeSync(fd, tail, 0, tail.length, off);
  closeSync(fd);
  const f = await openFile(path);
  const r = await receiver('tcp');
  const sock = await connectTo(r.address);
  const n = await within(30_000, sockSendfile(sock, f, off, 1000));
  sock.end();
  assert.is(n, tail.length);
  assert.ok((await within(30_000, r.received)).equals(tail));
  assert.is(f.tell(), off + tail.length);
  // A slice just below the data: zeros then the tail.
  const sock2 = await connectTo(r.address);
  const r2 = await receiver('tcp');
  sock2.destroy();
  const sock3 = await connectTo(r2.address);
  const n2 = await within(30_000, sockSendfile(sock3, f, off - 10, 15));
  sock3.end();
  const got2 = await within(30_000, r2.received);
  assert.is(n2, 15);
  assert.ok(got2.equals(Buffer.concat([Buffer.alloc(10), tail.subarray(0, 5)])));
  sock3.destroy();
  await r.close();
  await r2.close();
  await f.close();
});

test('a closed fd and a directory: the OS error code, bytesSent 0, nothing sent', async () => {
  const r = await receiver('tcp');
  const sock = await connectTo(r.address);
  const { path } = makeFile(10);
  const f = await openFile(path);
  await f.close();
  const e1 = await rejection(sockSendfile(sock, f, 0, undefined));
  assert.is(e1.code, 'EBADF');
  assert.is(e1.bytesSent, 0);
  const fd = openSync(path, 'r');
  closeSync(fd);
  const e2 = await rejection(sockSendfile(sock, fd, 0, undefined));
  assert.is(e2.code, 'EBADF');
  const dfd = openSync(tempDir(), 'r');
  const e3 = await rejection(sockSendfile(sock, dfd, 0, undefined));
  assert.is(e3.code, 'EISDIR');
  assert.is(e3.bytesSent, 0);
  closeSync(dfd);
  const wfd = openSync(path, 'a'); // write-only, and unlike 'w' it keeps the 10 bytes
  const e4 = await rejection(sockSendfile(sock, wfd, 0, undefined));
  assert.is(e4.code, 'EBADF', 'a write-only file');
  closeSync(wfd);
  sock.end();
  assert.is((await within(10_000, r.received)).length, 0);
  sock.destroy();
  await r.close();
});

test('a socket destroyed during the transfer rejects; the next one works', async () => {
  const { path } = makeFile(BIG);
  const f = await openFile(path);
  const r = await receiver('tcp', { slow: 1 });
  const sock = await connectTo(r.address);
  let destroyed = false;
  const err = await rejection(within(30_000, sockSendfile(sock, f, 0, undefined, {
    onProgress: (n) => { if (!destroyed && n > 1_000_000) { destroyed = true; sock.destroy(); } },
  })));
  assert.ok(destroyed);
  assert.ok(err.bytesSent > 0 && err.bytesSent < BIG);
  assert.type(err.code, 'string');
  await r.close();
  await f.close();
});

test('destroy(err) during the transfer rejects with that error', async () => {
  const { path } = makeFile(BIG);
  const f = await openFile(path);
  const r = await receiver('tcp', { slow: 1 });
  const sock = await connectTo(r.address);
  sock.on('error', () => {}); // the error is the caller's: the socket emits it as well
  const boom = Object.assign(new Error('boom'), { code: 'EBOOM' });
  let destroyed = false;
  const err = await rejection(within(30_000, sockSendfile(sock, f, 0, undefined, {
    onProgress: (n) => { if (!destroyed && n > 1_000_000) { destroyed = true; sock.destroy(boom); } },
  })));
  assert.ok(destroyed);
  assert.is(err, boom);
  assert.ok(err.bytesSent > 0 && err.bytesSent < BIG, `bytesSent ${err.bytesSent}`);
  await r.close();
  await f.close();
});

test('peers that stop reading hold no buffer slots: other buffered transfers still run', async () => {
  // TLS goes through the buffered path in every mode. 12 stalled transfers of depth 4 would
  // need 48 of the 32 default slots if their queued writes held them.
  const { path } = makeFile(16 * 1024 * 1024);
  const r = await receiver('tls', { onConnection: (s) => s.pause() });
  const stalled = [];
  try {
    for (let i = 0; i < 12; i++) {
      const sock = await connectTo(r.address, 'tls');
      const f = await openFile(path);
      stalled.push({ sock, f, job: sockSendfile(sock, f).catch((e) => e) });
    }
    await new Promise((res) => setTimeout(res, 300)); // let them fill their sockets and stall
    const small = makeFile(300_000, 'small.bin');
    const sink = new PassThrough();
    const chunks = [];
    sink.on('data', (c) => chunks.push(c));
    const f = await openFile(small.path);
    assert.is(await within(5000, sockSendfile(sink, f), 'a transfer behind 12 stalled peers'), small.data.length);
    assert.is(sha(Buffer.concat(chunks)), sha(small.data));
    await f.close();
  } finally {
    for (const s of stalled) s.sock.destroy();
    for (const s of stalled) { await s.job; await s.f.close(); }
    await r.close();
  }
});

test('a failed transfer leaves no listener on the socket', async () => {
  const r = await receiver('tcp');
  const sock = await connectTo(r.address);
  const before = ['error', 'close', 'connect'].map((e) => sock.listenerCount(e));
  const dir = tempDir();
  const fd = openSync(dir, 'r');
  try {
    for (let i = 0; i < 12; i++) assert.is((await rejection(sockSendfile(sock, fd))).code, 'EISDIR');
  } finally {
    closeSync(fd);
  }
  await new Promise((res) => setImmediate(res));
  assert.equal(['error', 'close', 'connect'].map((e) => sock.listenerCount(e)), before);
  sock.destroy();
  await r.close();
});

test('an abort while the socket is still connecting leaves no listener behind', async () => {
  const r = await receiver('tcp');
  const { path } = makeFile(1000, 'c.bin');
  const f = await openFile(path);
  try {
    for (let i = 0; i < 3; i++) {
      // connect() returns with the socket still connecting: libuv reports the connect on a
      // later turn of the loop, and the abort comes before that.
      const sock = net.connect(r.address.port, r.address.host);
      assert.ok(sock.connecting);
      const before = ['error', 'close', 'connect'].map((e) => sock.listenerCount(e));
      const ac = new AbortController();
      const p = sockSendfile(sock, f, 0, undefined, { signal: ac.signal });
      ac.abort();
      assert.is((await rejection(within(5000, p))).code, 'ABORT_ERR');
      await new Promise((res) => setImmediate(res));
      assert.equal(['error', 'close', 'connect'].map((e) => sock.listenerCount(e)), before);
      sock.destroy();
    }
  } finally {
    await f.close();
    await r.close();
  }
});

test.run();
