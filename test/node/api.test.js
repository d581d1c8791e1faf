// sockSendfile over real loopback sockets and real files: CPython's sock_sendfile cases
// (Lib/test/test_asyncio/test_sendfile.py, test_base_events.py, test_unix_events.py) ported,
// plus what the contract adds. Runs twice: native as loaded, and SOCK_SENDFILE_NATIVE=0.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, openSync, promises as fsp, writeFileSync } from 'node:fs';
import net from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { join } from 'node:path';
import {
  connectTo, dist, hasIPv6, makeFile, nativeOn, receiver, rejection, sendThrough, sha, tempDir, underDeno, within,
} from './helpers.js';

const { sockSendfile, sockSendfileWithReport, openFile, capabilities, SendfileNotAvailableError } = dist;
const SIZE = 1024 * 1024 + 4321; // more than a slot, not a multiple of one

test('capabilities() reflects SOCK_SENDFILE_NATIVE', () => {
  const c = capabilities();
  assert.type(c.native, 'boolean');
  if (!nativeOn) {
    assert.is(c.native, false);
    assert.is(c.backend, null);
    assert.match(c.reason, /SOCK_SENDFILE_NATIVE=0/);
  } else if (underDeno) {
    assert.equal({ native: c.native, backend: c.backend }, { native: false, backend: null });
  }
  if (!c.native) assert.type(c.reason, 'string');
});

test('success: the whole file, position at the end', async () => {
  const { path, data } = makeFile(SIZE);
  const f = await openFile(path);
  const { n, got } = await sendThrough('tcp', f, 0, undefined);
  assert.is(n, SIZE);
  assert.is(sha(got), sha(data));
  assert.is(f.tell(), SIZE);
  await f.close();
});

test('offset and count: a slice, position = offset + sent', async () => {
  const { path, data } = makeFile(SIZE);
  const f = await openFile(path);
  const { n, got } = await sendThrough('tcp', f, 1000, 100_000);
  assert.is(n, 100_000);
  assert.ok(got.equals(data.subarray(1000, 101_000)));
  assert.is(f.tell(), 101_000);
  await f.close();
});

test('offset as a bigint, count past EOF stops at EOF', async () => {
  const { path, data } = makeFile(5000);
  const f = await openFile(path);
  const { n, got } = await sendThrough('tcp', f, 10n, 1_000_000n);
  assert.is(n, 4990);
  assert.ok(got.equals(data.subarray(10)));
  assert.is(f.tell(), 5000);
  await f.close();
});

test('zero-size file, and offset at or past EOF: 0 and the position unchanged', async () => {
  const empty = makeFile(0);
  const f = await openFile(empty.path);
  f.seek(0);
  assert.is((await sendThrough('tcp', f, 0)).n, 0);
  assert.is(f.tell(), 0);
  await f.close();
  const { path } = makeFile(100);
  const g = await openFile(path);
  g.seek(42);
  for (const off of [100, 101, 10_000]) {
    const { n, got } = await sendThrough('tcp', g, off, undefined);
    assert.is(n, 0);
    assert.is(got.length, 0);
    assert.is(g.tell(), 42, 'position unchanged when nothing was sent');
  }
  await g.close();
});

test('an integer fd and a fs.promises.FileHandle are accepted', async () => {
  const { path, data } = makeFile(300_000);
  const fd = openSync(path, 'r');
  const a = await sendThrough('tcp', fd, 7, 200_000);
  assert.is(a.n, 200_000);
  assert.ok(a.got.equals(data.subarray(7, 200_007)));
  closeSync(fd);
  const fh = await fsp.open(path, 'r');
  const b = await sendThrough('tcp', fh, 0, undefined);
  assert.is(b.n, 300_000);
  assert.ok(b.got.equals(data));
  await fh.close();
});

test('Unix-domain sockets', async () => {
  const { path, data } = makeFile(SIZE);
  const f = await openFile(path);
  const { n, got } = await sendThrough('unix', f, 3, undefined);
  assert.is(n, SIZE - 3);
  assert.ok(got.equals(data.subarray(3)));
  await f.close();
});

test('IPv6 loopback', async () => {
  if (!(await hasIPv6())) {
    console.log('skip: IPv6 loopback (::1) is not available on this machine');
    return;
  }
  const { path, data } = makeFile(200_000);
  const f = await openFile(path);
  const { n, got } = await sendThrough('tcp6', f, 0, undefined);
  assert.is(n, 200_000);
  assert.ok(got.equals(data));
  await f.close();
});

test('the buffered path over TLS (CPython refuses; the docs say fall back)', async () => {
  const { path, data } = makeFile(SIZE);
  const f = await openFile(path);
  const r = await receiver('tls');
  const sock = await connectTo(r.address, 'tls');
  const rep = await within(30_000, sockSendfileWithReport(sock, f, 5, undefined));
  sock.end();
  const got = await within(30_000, r.received);
  assert.is(rep.bytesSent, SIZE - 5);
  assert.is(rep.path, 'buffered', 'TLS never goes native');
  assert.is(rep.nativeBytes, 0);
  assert.ok(got.equals(data.subarray(5)));
  sock.destroy();
  await r.close();
  await f.close();
});

test('fallback: false where nothing native exists rejects with SendfileNotAvailableError, nothing sent', async () => {
  const { path } = makeFile(10_000);
  const f = await openFile(path);
  const r = await receiver('tls');
  const sock = await connectTo(r.address, 'tls');
  const err = await rejection(sockSendfile(sock, f, 0, undefined, { fallback: false }));
  assert.instance(err, SendfileNotAvailableError);
  assert.is(err.name, 'SendfileNotAvailableError');
  assert.is(err.code, 'ERR_SENDFILE_NOT_AVAILABLE');
  assert.is(err.bytesSent, 0);
  assert.is(f.tell(), 0);
  sock.end();
  assert.is((await within(10_000, r.received)).length, 0);
  sock.destroy();
  await r.close();
  // A generic Writable has no native path either.
  const err2 = await rejection(sockSendfile(new PassThrough(), f, 0, undefined, { fallback: false }));
  assert.instance(err2, SendfileNotAvailableError);
  if (!nativeOn || underDeno) {
    // With native off, or under Deno, a plain TCP socket has none.
    const r2 = await receiver('tcp');
    const s2 = await connectTo(r2.address);
    const err3 = await rejection(sockSendfile(s2, f, 0, undefined, { fallback: false }));
    assert.instance(err3, SendfileNotAvailableError);
    s2.end();
    assert.is((await within(10_000, r2.received)).length, 0);
    s2.destroy();
    await r2.close();
  }
  await f.close();
});

test('writes before (still queued behind a slow reader) and after keep their order', async () => {
  const { path, data } = makeFile(SIZE);
  const f = await openFile(path);
  const r = await receiver('tcp', { pauseFirst: 300 });
  const sock = await connectTo(r.address);
  const before = Buffer.alloc(8 * 1024 * 1024, 0x61); // more than the kernel buffers hold
  sock.write(before);
  assert.ok(sock.writableLength > 0, 'the earlier write is still queued in Node');
  const n = await within(30_000, sockSendfile(sock, f, 0, undefined));
  sock.end(Buffer.from('AFTER'));
  const got = await within(30_000, r.received);
  assert.is(n, SIZE);
  assert.is(got.length, before.length + SIZE + 5);
  assert.ok(got.subarray(0, before.length).equals(before), 'earlier bytes first');
  assert.ok(got.subarray(before.length, before.length + SIZE).equals(data), 'then the file');
  assert.is(got.subarray(before.length + SIZE).toString(), 'AFTER');
  sock.destroy();
  await r.close();
  await f.close();
});

test('a slow reader: backpressure is honoured and nothing is lost', async () => {
  const { path, data } = makeFile(4 * 1024 * 1024);
  const f = await openFile(path);
  const { n, got } = await sendThrough('tcp', f, 0, undefined, {}, { slow: 2 });
  assert.is(n, data.length);
  assert.is(sha(got), sha(data));
  await f.close();
});

test('a generic Writable that keeps every chunk gets chunks it owns', async () => {
  const { path, data } = makeFile(SIZE);
  const f = await openFile(path);
  const kept = [];
  const sink = new Writable({
    highWaterMark: 1024,
    write(chunk, _enc, cb) { kept.push(chunk); setImmediate(cb); },
  });
  const n = await within(30_000, sockSendfile(sink, f, 0, undefined));
  assert.is(n, SIZE);
  assert.ok(Buffer.concat(kept).equals(data), 'kept chunks are intact after the slots were reused');
  const pt = new PassThrough();
  const chunks = [];
  const sent = sockSendfile(pt, f, 100, 600_000);
  pt.on('data', (c) => chunks.push(c));
  assert.is(await within(30_000, sent), 600_000);
  assert.ok(Buffer.concat(chunks).equals(data.subarray(100, 600_100)));
  await f.close();
});

test('onProgress: running totals after each chunk, ending at the total', async () => {
  const { path } = makeFile(SIZE);
  const f = await openFile(path);
  const seen = [];
  const { n } = await sendThrough('tcp', f, 0, undefined, { onProgress: (b) => seen.push(b) });
  assert.ok(seen.length >= 1);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i] > seen[i - 1], 'totals grow');
  assert.is(seen.at(-1), n);
  await f.close();
});

test('a second transfer on a busy socket is refused; the first completes', async () => {
  const { path, data } = makeFile(SIZE);
  const f = await openFile(path);
  const g = await openFile(path);
  const r = await receiver('tcp', { pauseFirst: 200 });
  const sock = await connectTo(r.address);
  const first = sockSendfile(sock, f, 0, undefined);
  const err = await rejection(sockSendfile(sock, g, 0, undefined));
  assert.is(err.code, 'ERR_SENDFILE_IN_PROGRESS');
  assert.is(err.bytesSent, 0);
  assert.is(g.tell(), 0);
  assert.is(await within(30_000, first), SIZE);
  // Afterwards the socket is free again.
  assert.is(await within(30_000, sockSendfile(sock, g, 0, 10)), 10);
  sock.end();
  const got = await within(30_000, r.received);
  assert.ok(got.subarray(0, SIZE).equals(data));
  assert.ok(got.subarray(SIZE).equals(data.subarray(0, 10)));
  sock.destroy();
  await r.close();
  await f.close();
  await g.close();
});

test('a socket still connecting is waited for', async () => {
  const { path, data } = makeFile(50_000);
  const f = await openFile(path);
  const r = await receiver('tcp');
  const sock = net.connect(r.address.port, r.address.host);
  assert.ok(sock.connecting);
  const n = await within(30_000, sockSendfile(sock, f, 0, undefined));
  sock.end();
  assert.is(n, 50_000);
  assert.ok((await within(30_000, r.received)).equals(data));
  sock.destroy();
  await r.close();
  await f.close();
});

test('abort while the socket is still connecting', async () => {
  const { path } = makeFile(1000);
  const f = await openFile(path);
  // The abort comes before the connection can complete: the wait for 'connect' must end with it.
  const r = await receiver('tcp');
  const sock = net.connect(r.address.port, r.address.host);
  const ac = new AbortController();
  const p = sockSendfile(sock, f, 0, undefined, { signal: ac.signal });
  ac.abort(new Error('changed my mind'));
  const err = await rejection(within(5000, p));
  assert.is(err.name, 'AbortError');
  assert.is(err.bytesSent, 0);
  assert.is(f.tell(), 0);
  sock.destroy();
  await r.close();
  await f.close();
});

test('a socket that never connected, or was destroyed: rejects, bytesSent 0', async () => {
  const { path } = makeFile(1000);
  const f = await openFile(path);
  const err = await rejection(sockSendfile(new net.Socket(), f, 0, undefined));
  assert.is(err.code, 'ENOTCONN');
  assert.is(err.bytesSent, 0);
  const r = await receiver('tcp');
  const sock = await connectTo(r.address);
  sock.destroy();
  const err2 = await rejection(sockSendfile(sock, f, 0, undefined));
  assert.is(err2.code, 'ERR_STREAM_DESTROYED');
  assert.is(err2.bytesSent, 0);
  // A connection that is refused rejects with the connect error.
  const port = r.address.port;
  await r.close();
  const refused = net.connect(port, '127.0.0.1');
  refused.on('error', () => {});
  const err3 = await rejection(sockSendfile(refused, f, 0, undefined));
  assert.is(err3.code, 'ECONNREFUSED');
  assert.is(err3.bytesSent, 0);
  assert.is(f.tell(), 0);
  await f.close();
});

test('many transfers at once share the fixed slot pool', async () => {
  const { path, data } = makeFile(700_000);
  const runs = [];
  for (let i = 0; i < 40; i++) {
    runs.push((async () => {
      const f = await openFile(path);
      const { n, got } = await sendThrough('tcp', f, i * 1000, 500_000);
      await f.close();
      assert.is(n, 500_000);
      assert.ok(got.equals(data.subarray(i * 1000, i * 1000 + 500_000)), `transfer ${i}`);
    })());
  }
  await within(60_000, Promise.all(runs));
});

test('a pipe (FIFO) is read sequentially at offset 0; a non-zero offset is ESPIPE', async () => {
  const { execFileSync } = await import('node:child_process');
  const fifo = join(tempDir(), 'fifo');
  try {
    execFileSync('mkfifo', [fifo]);
  } catch {
    console.log('skip: mkfifo is not available');
    return;
  }
  const { spawn } = await import('node:child_process');
  const payload = Buffer.alloc(300_000, 0x5a);
  const src = join(tempDir(), 'src.bin');
  writeFileSync(src, payload);
  const writer = spawn('sh', ['-c', `cat "${src}" > "${fifo}"`], { stdio: 'ignore' });
  const fd = await new Promise((res, rej) => import('node:fs').then((fs) => fs.open(fifo, 'r', (e, d) => (e ? rej(e) : res(d)))));
  const { n, got } = await sendThrough('tcp', fd, 0, undefined);
  assert.is(n, payload.length);
  assert.ok(got.equals(payload));
  closeSync(fd);
  writer.kill();
  const writer2 = spawn('sh', ['-c', `echo hi > "${fifo}"`], { stdio: 'ignore' });
  const fd2 = await new Promise((res, rej) => import('node:fs').then((fs) => fs.open(fifo, 'r', (e, d) => (e ? rej(e) : res(d)))));
  const r = await receiver('tcp');
  const sock = await connectTo(r.address);
  const err = await rejection(sockSendfile(sock, fd2, 1, undefined));
  assert.is(err.code, 'ESPIPE');
  assert.is(err.bytesSent, 0);
  sock.destroy();
  await r.close();
  closeSync(fd2);
  writer2.kill();
});

test.run();
