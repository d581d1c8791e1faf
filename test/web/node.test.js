// The Web-streams host in Node, in-process, through the package's own `sock-sendfile/web`
// (a self-reference, as a user would import it): Blob and byte-stream sources, WritableStream
// sinks, including one whose desiredSize forces backpressure, one that keeps every chunk it is
// given, one that errors mid-way, one that never finishes a write (abort), and a real loopback
// socket seen as a WritableStream. Small slots make the core reuse them many times per test.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Writable } from 'node:stream';
import { sha, receiver, within } from './_helpers.js';
import { watchWrites } from './fixtures/streams.js';

const web = await import('sock-sendfile/web');
const { sockSendfile, sockSendfileWithReport, capabilities, configure, openFile, SendfileNotAvailableError, AbortError, ErrorCodes } = web;
configure({ slots: 4, slotSize: 16 * 1024, depth: 3 });

const SLOT = 16 * 1024;

/** A WritableStream that records what it is given; `delay` ms per write; `fail` on the nth write. */
function sink({ delay = 0, failAt = -1, hwm = 1, strategy } = {}) {
  const chunks = [];
  let writes = 0;
  const stream = new WritableStream({
    async write(chunk) {
      writes++;
      if (writes === failAt) throw Object.assign(new Error('sink broke'), { code: 'ESINK' });
      if (delay) await new Promise((r) => setTimeout(r, delay));
      chunks.push(chunk); // kept as given: never copied here
    },
  }, strategy ?? new CountQueuingStrategy({ highWaterMark: hwm }));
  return { stream, chunks, bytes: () => Buffer.concat(chunks), writes: () => writes };
}

function byteStream(data, { chunk = 10_000 } = {}) {
  let at = 0;
  return new ReadableStream({
    type: 'bytes',
    pull(c) {
      if (at >= data.length) { c.close(); c.byobRequest?.respond(0); return; }
      const req = c.byobRequest;
      if (req) {
        const n = Math.min(req.view.byteLength, chunk, data.length - at);
        req.view.set(data.subarray(at, at + n));
        at += n;
        req.respond(n);
      } else {
        const n = Math.min(chunk, data.length - at);
        c.enqueue(new Uint8Array(data.subarray(at, at + n))); // a copy: enqueue transfers its buffer
        at += n;
      }
    },
  });
}

test('sock-sendfile/web resolves to the web entry with the contract names', () => {
  for (const name of ['sockSendfile', 'sockSendfileWithReport', 'SendfileNotAvailableError', 'AbortError', 'ErrorCodes', 'capabilities', 'configure', 'openFile']) {
    assert.ok(name in web, name);
  }
  assert.equal(capabilities(), { native: false, backend: null, reason: capabilities().reason });
  assert.match(capabilities().reason, /no socket descriptor/);
});

test('Blob slice into a WritableStream: bytes, result, progress, report, lock released', async () => {
  const data = randomBytes(200_000);
  const s = sink();
  const progress = [];
  const report = await sockSendfileWithReport(s.stream, new Blob([data]), 1234, 150_000, { onProgress: (n) => progress.push(n) });
  assert.equal(report, { bytesSent: 150_000, nativeBytes: 0, path: 'buffered' });
  assert.is(sha(s.bytes()), sha(data.subarray(1234, 151_234)));
  assert.is(progress.at(-1), 150_000);
  assert.ok(progress.every((n, i) => i === 0 || n > progress[i - 1]));
  assert.is(s.stream.locked, false);
  // The caller writes after the transfer, on the same stream, in order.
  const w = s.stream.getWriter();
  await w.write(new Uint8Array([1, 2, 3]));
  await w.close();
  assert.equal([...s.bytes().subarray(-3)], [1, 2, 3]);
});

test('a File; count past EOF stops at EOF; offset at or past EOF and an empty Blob send 0', async () => {
  const data = randomBytes(50_000);
  const s = sink();
  assert.is(await sockSendfile(s.stream, new File([data], 'f.bin'), 40_000, 1e9), 10_000);
  assert.is(sha(s.bytes()), sha(data.subarray(40_000)));
  assert.is(await sockSendfile(s.stream, new Blob([data]), 50_000), 0);
  assert.is(await sockSendfile(s.stream, new Blob([data]), 90_000, 5n), 0);
  assert.is(await sockSendfile(s.stream, new Blob([])), 0);
});

test('a sink whose desiredSize forces backpressure: every write waits for room', async () => {
  const data = randomBytes(300_000);
  // 1 byte of room: desiredSize is <= 0 as soon as one chunk is queued.
  const s = sink({ delay: 2, strategy: new ByteLengthQueuingStrategy({ highWaterMark: 1 }) });
  const seen = watchWrites(s.stream);
  const n = await within(20_000, sockSendfile(s.stream, new Blob([data])), 'transfer');
  assert.is(n, data.length);
  assert.is(sha(s.bytes()), sha(data));
  assert.ok(seen.length >= data.length / SLOT, `${seen.length} writes`);
  assert.ok(seen.every((d) => d > 0), `a write went in while desiredSize <= 0: ${seen.join(',')}`);
});

test('a sink with highWaterMark 0 (never any room): one write at a time, no deadlock', async () => {
  const data = randomBytes(10 * SLOT + 5);
  const s = sink({ delay: 1, hwm: 0 });
  const seen = watchWrites(s.stream);
  assert.is(await within(10_000, sockSendfile(s.stream, new Blob([data])), 'transfer'), data.length);
  assert.is(sha(s.bytes()), sha(data));
  assert.ok(seen.every((d) => d === 0), seen.join(','));
});

test('a sink that keeps every chunk it is given: bytes stay intact after slots are reused', async () => {
  const data = randomBytes(40 * SLOT + 77);
  const s = sink();
  assert.is(await sockSendfile(s.stream, new Blob([data])), data.length);
  assert.ok(s.chunks.length >= 40);
  const buffers = new Set(s.chunks.map((c) => c.buffer));
  assert.is(buffers.size, s.chunks.length, 'every chunk owns its own buffer');
  assert.ok(s.chunks.every((c) => !(c.buffer instanceof SharedArrayBuffer) && c.byteOffset === 0 && c.buffer.byteLength === c.byteLength));
  assert.is(sha(Buffer.concat(s.chunks)), sha(data));
});

test('a sink that errors mid-way: its error, its code, bytesSent = what it accepted', async () => {
  const data = randomBytes(20 * SLOT);
  const s = sink({ failAt: 5 });
  const err = await within(10_000, sockSendfile(s.stream, new Blob([data])).then(() => null, (e) => e), 'transfer');
  assert.ok(err, 'it rejected');
  assert.is(err.message, 'sink broke');
  assert.is(err.code, 'ESINK');
  assert.is(err.bytesSent, 4 * SLOT);
  assert.is(sha(s.bytes()), sha(data.subarray(0, 4 * SLOT)));
  assert.is(s.stream.locked, false);
});

test('an errored, closed or locked stream rejects before anything is read, bytesSent 0', async () => {
  const broken = new WritableStream({ start(c) { c.error(Object.assign(new Error('dead'), { code: 'EDEAD' })); } });
  await new Promise((r) => setTimeout(r, 0));
  const e1 = await sockSendfile(broken, new Blob([randomBytes(10)])).catch((e) => e);
  assert.is(e1.code, 'EDEAD');
  assert.is(e1.bytesSent, 0);
  const closed = sink();
  await closed.stream.close();
  const e3 = await within(5_000, sockSendfile(closed.stream, new Blob([randomBytes(10)])).catch((e) => e), 'closed stream');
  assert.instance(e3, TypeError);
  assert.is(e3.bytesSent, 0);
  const s = sink();
  const held = s.stream.getWriter();
  const e2 = await sockSendfile(s.stream, new Blob([randomBytes(10)])).catch((e) => e);
  assert.is(e2.code, 'ERR_INVALID_STATE');
  assert.is(e2.bytesSent, 0);
  held.releaseLock();
});

test('validation: the contract order and messages, rejections only', async () => {
  const s = sink();
  const blob = new Blob([randomBytes(10)]);
  const cases = [
    [[{}, blob], TypeError, ErrorCodes.INVALID_ARG_TYPE, 'only SOCK_STREAM type sockets are supported'],
    [[s.stream, 'x'], TypeError, ErrorCodes.INVALID_ARG_TYPE, "file must be a Blob or File, a ReadableStream of bytes or a Deno.FsFile (got 'x')"],
    [[s.stream, blob, 0, 0], RangeError, ErrorCodes.OUT_OF_RANGE, 'count must be a positive integer (got 0)'],
    [[s.stream, blob, 0, '1'], TypeError, ErrorCodes.INVALID_ARG_TYPE, "count must be a positive integer (got '1')"],
    [[s.stream, blob, -1n], RangeError, ErrorCodes.OUT_OF_RANGE, 'offset must be a non-negative integer (got -1n)'],
    [[s.stream, blob, NaN, -5], RangeError, ErrorCodes.OUT_OF_RANGE, 'count must be a positive integer (got -5)'],
  ];
  for (const [args, Kind, code, message] of cases) {
    let p;
    assert.not.throws(() => { p = sockSendfile(...args); });
    const e = await p.then(() => null, (x) => x);
    assert.instance(e, Kind);
    assert.is(e.code, code);
    assert.is(e.message, message);
    assert.is(e.bytesSent, 0);
  }
  assert.is(s.writes(), 0);
  assert.is(s.stream.locked, false);
});

test('fallback: false rejects with SendfileNotAvailableError and writes nothing', async () => {
  const s = sink();
  const e = await sockSendfile(s.stream, new Blob([randomBytes(100)]), 0, undefined, { fallback: false }).catch((x) => x);
  assert.instance(e, SendfileNotAvailableError);
  assert.is(e.name, 'SendfileNotAvailableError');
  assert.is(e.code, 'ERR_SENDFILE_NOT_AVAILABLE');
  assert.is(e.bytesSent, 0);
  assert.is(s.writes(), 0);
  assert.is(s.stream.locked, false);
});

test('fallback: false with an offset into a byte stream rejects before reading any of it', async () => {
  const data = randomBytes(5000);
  for (const offset of [500, 9000]) {
    const src = new Blob([data]).stream();
    const e = await sockSendfile(sink().stream, src, offset, undefined, { fallback: false }).catch((x) => x);
    assert.instance(e, SendfileNotAvailableError, `offset ${offset}`);
    const rest = Buffer.from(await new Response(src).arrayBuffer());
    assert.is(rest.length, data.length, `offset ${offset}: the stream was not read`);
  }
});

test('openFile is not available here: a coded rejection', async () => {
  let p;
  assert.not.throws(() => { p = openFile('/etc/hostname'); });
  const e = await p.catch((x) => x);
  assert.is(e.code, 'ERR_METHOD_NOT_IMPLEMENTED');
});

test('a byte ReadableStream: the offset skips, count stops exactly, the rest stays readable', async () => {
  const data = randomBytes(100_000);
  const src = byteStream(data);
  const s = sink();
  assert.is(await sockSendfile(s.stream, src, 12_345, 40_000), 40_000);
  assert.is(sha(s.bytes()), sha(data.subarray(12_345, 52_345)));
  assert.is(src.locked, false);
  // The source is left just after the slice: nothing past count was consumed.
  const rest = [];
  for await (const c of src) rest.push(c);
  assert.is(sha(Buffer.concat(rest)), sha(data.subarray(52_345)));
});

test('a plain ReadableStream of Uint8Array chunks to EOF; an offset past its end sends 0', async () => {
  const data = randomBytes(70_000);
  const make = () => new ReadableStream({
    start(c) { for (let i = 0; i < data.length; i += 7_000) c.enqueue(data.slice(i, i + 7_000)); c.enqueue(new Uint8Array(0)); c.close(); },
  });
  const s = sink();
  assert.is(await sockSendfile(s.stream, make()), data.length);
  assert.is(sha(s.bytes()), sha(data));
  assert.is(await sockSendfile(sink().stream, make(), 80_000), 0);
  const bad = new ReadableStream({ start(c) { c.enqueue('text'); c.close(); } });
  const e = await sockSendfile(sink().stream, bad).catch((x) => x);
  assert.is(e.code, 'ERR_INVALID_ARG_TYPE');
  assert.is(e.bytesSent, 0);
});

test('abort against a sink that never finishes a write: prompt AbortError, bytesSent, guard', async () => {
  let first = true;
  const pending = [];
  const stream = new WritableStream({
    write(chunk) {
      pending.push(chunk);
      if (first) { first = false; return; }
      return new Promise(() => {}); // stalls forever from the second chunk on
    },
  }, new CountQueuingStrategy({ highWaterMark: 8 }));
  const ac = new AbortController();
  const reason = new Error('stop');
  const data = randomBytes(20 * SLOT);
  const p = sockSendfile(stream, new Blob([data]), 0, undefined, { signal: ac.signal });
  await new Promise((r) => setTimeout(r, 50));
  // One transfer per stream at a time.
  const busy = await sockSendfile(stream, new Blob([data])).catch((x) => x);
  assert.is(busy.code, 'ERR_SENDFILE_IN_PROGRESS');
  assert.is(busy.bytesSent, 0);
  const t0 = Date.now();
  ac.abort(reason);
  const e = await within(2_000, p.then(() => null, (x) => x), 'abort');
  assert.ok(Date.now() - t0 < 500, 'the abort landed promptly');
  assert.instance(e, AbortError);
  assert.is(e.code, 'ABORT_ERR');
  assert.is(e.cause, reason);
  // Chunks handed to the stream cannot be withdrawn: they count, and they are all there, in order.
  assert.ok(e.bytesSent >= SLOT && e.bytesSent < data.length, String(e.bytesSent));
  assert.is(e.bytesSent % SLOT, 0);
  assert.is(stream.locked, false);
  await new Promise((r) => setTimeout(r, 20));
  assert.is(sha(Buffer.concat(pending)), sha(data.subarray(0, pending.reduce((a, c) => a + c.length, 0))));
  // A signal already aborted: nothing is written.
  const s = sink();
  const e2 = await sockSendfile(s.stream, new Blob([data]), 0, undefined, { signal: AbortSignal.abort(reason) }).catch((x) => x);
  assert.is(e2.code, 'ABORT_ERR');
  assert.is(e2.bytesSent, 0);
  assert.is(s.writes(), 0);
});

test('onProgress that throws stops the transfer with that error and bytesSent', async () => {
  const s = sink();
  const boom = new Error('progress broke');
  const e = await sockSendfile(s.stream, new Blob([randomBytes(10 * SLOT)]), 0, undefined, {
    onProgress: (n) => { if (n >= 2 * SLOT) throw boom; },
  }).catch((x) => x);
  assert.is(e, boom);
  assert.ok(e.bytesSent >= 2 * SLOT);
  assert.is(s.stream.locked, false);
});

test('a real loopback socket as a WritableStream (Writable.toWeb): SHA-256 at the receiver', async () => {
  const rx = await receiver({ slow: 1 });
  try {
    const sock = net.connect(rx.port, '127.0.0.1');
    await new Promise((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject); });
    const ws = Writable.toWeb(sock);
    const data = randomBytes(4 * 1024 * 1024 + 1);
    const n = await within(30_000, sockSendfile(ws, new Blob([data]), 1, 4 * 1024 * 1024), 'transfer');
    assert.is(n, 4 * 1024 * 1024);
    await ws.close();
    const got = await within(30_000, rx.conn(), 'receiver');
    assert.is(got.sha, sha(data.subarray(1)));
  } finally {
    await rx.close();
  }
});

test.run();
