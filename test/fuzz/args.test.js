// The public argument surface fuzzed with fast-check: random JavaScript values for every
// argument and option of sockSendfile, openFile and configure, on the Node entry (dist/node.js)
// and the web entry (dist/web.js), mixed with valid ones so that some calls transfer for real.
// Every outcome must be a rejection with a documented code (ErrorCodes and the codes the
// README names), an error thrown by the caller's own code (a getter, a trap, onProgress), or a
// correct transfer (the peer gets exactly the slice); never a synchronous throw, a hang or a
// crash. configure() is synchronous and documented to throw TypeError / RangeError with a code,
// and ERR_INVALID_STATE once a transfer ran.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { open as openHandle } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { tempDir, within } from '../lib.js';
import { assertProperty, runSeed } from '../core/property.js';

const node = await import('../../dist/node.js');
const web = await import('../../dist/web.js');

const seed = runSeed();
console.log(`fast-check seed ${seed} (FC_SEED=${seed} replays it)`);

// The documented codes: ErrorCodes, and every code the README names in backquotes (the Errors
// table, openFile's and configure's paragraphs).
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const DOCUMENTED = new Set([
  ...Object.values(node.ErrorCodes),
  ...[...readme.matchAll(/`([A-Z][A-Z0-9_]{2,})`/g)].map((m) => m[1]).filter((c) => /^(E[A-Z]+|ERR_[A-Z_]+|ABORT_ERR)$/.test(c)),
]);

// What the caller's own code throws: passed through as it is, by design.
const OURS = new Error('thrown by the caller');

const dir = tempDir('fuzz');
const DATA = randomBytes(70_000);
const path = join(dir, 'f.bin');
writeFileSync(path, DATA);

// ---- values
// Hostile values (a proxy whose every trap throws, a revoked proxy, a throwing getter, ...)
// would trip fast-check itself when it inspects what it generated: it draws a token, and the
// value is made at call time (materialize).
const EVIL = [
  () => new Proxy({}, { get() { throw OURS; }, getPrototypeOf() { throw OURS; }, ownKeys() { throw OURS; }, has() { throw OURS; }, getOwnPropertyDescriptor() { throw OURS; } }),
  () => { const r = Proxy.revocable({}, {}); r.revoke(); return r.proxy; },
  () => Object.create(null),
  () => Object.defineProperty({}, 'fallback', { get() { throw OURS; }, enumerable: true }),
  () => ({ [Symbol.toPrimitive]() { throw OURS; } }),
  () => ({ valueOf() { return 5; } }),
  () => Object.freeze({}),
  () => Symbol('s'),
  () => () => {},
];
class Token { constructor(i) { this.i = i; } toString() { return `evil#${this.i}`; } }
const evil = fc.nat(EVIL.length - 1).map((i) => new Token(i));
const materialize = (v) => (v instanceof Token ? EVIL[v.i]() : v);
const materializeOptions = (o) => {
  if (o instanceof Token) return materialize(o);
  if (o === null || typeof o !== 'object' || Object.getPrototypeOf(o) !== Object.prototype) return o;
  const out = {};
  for (const [k, v] of Object.entries(o)) out[k] = k === 'signal' ? materializeOptions(v) : materialize(v);
  return out;
};
const junk = fc.oneof(
  { weight: 5, arbitrary: fc.anything({ withBigInt: true, withBoxedValues: true, withMap: true, withSet: true, withTypedArray: true, withDate: true, withNullPrototype: true, withSparseArray: true }) },
  { weight: 2, arbitrary: evil },
  { weight: 1, arbitrary: fc.constantFrom(NaN, -0, Infinity, -Infinity, 2 ** 53, 2 ** 53 - 1, -1, 1.5, '10', 10n, -1n, 2n ** 64n) },
);
const position = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 80_000 }) },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 80_000n }) },
  { weight: 2, arbitrary: junk },
);
// An AbortSignal look-alike: the API accepts any object with `aborted` and addEventListener.
const fn = fc.constantFrom('noop', 'missing', 'number').map((k) => (k === 'noop' ? new Token(EVIL.length - 1) : k === 'number' ? 1 : undefined));
const fakeSignal = fc.record({ aborted: fc.oneof(fc.boolean(), junk), addEventListener: fn, removeEventListener: fn, reason: junk }, { requiredKeys: [] });
const signal = fc.oneof(
  fc.constant(undefined),
  fc.constant(new Token(-1)), // AbortSignal.abort(OURS)
  fc.integer({ min: 0, max: 3 }).map((ms) => new Token(-2 - ms)), // AbortSignal.timeout(ms)
  { weight: 3, arbitrary: fakeSignal },
  junk,
);
EVIL[-1] = () => AbortSignal.abort(OURS);
for (let ms = 0; ms <= 3; ms++) EVIL[-2 - ms] = () => AbortSignal.timeout(ms);
const onProgress = fc.constantFrom(undefined, null, 'f', new Token(EVIL.length - 1), new Token(-10));
EVIL[-10] = () => () => { throw OURS; };
const options = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 4, arbitrary: fc.record({ fallback: fc.oneof(fc.boolean(), junk), signal, onProgress }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: junk },
);

// ---- checks
// What a hostile argument throws when the library reads it (the caller's getter or trap: OURS;
// the engine's TypeError for a revoked proxy) passes through unchanged: the README says so.
const HOSTILE = new Set([0, 1, 3, 4]);
let hostileInCall = false;
const fromHostile = (err) => err === OURS || (hostileInCall && err instanceof TypeError && /revoked/.test(err.message));
function hostileIn(...values) {
  const seen = (v) => v instanceof Token ? HOSTILE.has(v.i) : v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype && Object.values(v).some(seen);
  hostileInCall = values.some(seen);
}

function checkRejection(err, where) {
  if (fromHostile(err)) return;
  const code = err?.code;
  if (!DOCUMENTED.has(code)) throw new Error(`${where}: a rejection with an undocumented code ${String(code)}: ${err?.stack ?? err}`);
  if (!Number.isSafeInteger(err.bytesSent) || err.bytesSent < 0) throw new Error(`${where}: a rejection without bytesSent (${code})`);
}

/** Calls fn(); a synchronous throw is a violation; the promise must settle within ms. */
async function settle(fn, where, ms = 10_000) {
  let p;
  try { p = fn(); } catch (err) { throw new Error(`${where}: threw synchronously: ${err?.stack ?? err}`); }
  if (!(p instanceof Promise)) throw new Error(`${where}: returned ${typeof p}, not a promise`);
  let timer;
  const r = await Promise.race([
    p.then((value) => ({ ok: true, value }), (err) => ({ ok: false, err })),
    new Promise((resolve) => { timer = setTimeout(() => resolve({ hang: true }), ms); }),
  ]);
  clearTimeout(timer);
  if (r.hang) throw new Error(`${where}: did not settle within ${ms} ms`);
  return r;
}

const expectedSlice = (offset, count) => {
  const off = Number(offset ?? 0);
  const end = count === undefined || count === null ? DATA.length : Math.min(DATA.length, off + Number(count));
  return DATA.subarray(Math.min(off, DATA.length), Math.max(off, end));
};

// ---- Node entry
const server = net.createServer();
const arrivals = []; // resolvers for connections, in order
server.on('connection', (s) => {
  const chunks = [];
  s.on('data', (d) => chunks.push(d));
  s.on('error', () => {});
  const done = new Promise((resolve) => s.on('close', () => resolve(Buffer.concat(chunks))));
  arrivals.shift()?.({ done }); // boxed: resolving with a promise would wait for the close
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));

async function connected() {
  const arrived = new Promise((resolve) => arrivals.push(resolve));
  const sock = net.connect(server.address().port, '127.0.0.1');
  sock.on('error', () => {});
  await new Promise((resolve) => sock.once('connect', resolve));
  return { sock, received: (await arrived).done };
}

const fd = openSync(path, 'r');
const handle = await openHandle(path, 'r');
const sendfileFile = await node.openFile(path);
const closedFile = await node.openFile(path);
await closedFile.close();
const dirFd = openSync(dir, 'r');
const nodeFile = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(fd, handle, sendfileFile) },
  { weight: 1, arbitrary: fc.constantFrom(closedFile, dirFd, -1, 2 ** 31, 987_654, 1.5) },
  { weight: 2, arbitrary: junk },
);

test('configure (Node entry): a random options value returns or throws a coded TypeError / RangeError', () => {
  assertProperty(fc.property(junk, fc.record({ maxTransfers: fc.oneof(fc.integer({ min: -2, max: 1 << 21 }), junk), slots: fc.oneof(fc.integer({ min: -2, max: 1 << 17 }), junk), slotSize: fc.oneof(fc.integer({ min: -2, max: 1 << 27 }), junk), depth: fc.oneof(fc.integer({ min: -2, max: 1 << 17 }), junk) }, { requiredKeys: [] }), fc.boolean(), (bad, record, useRecord) => {
    hostileIn(useRecord ? record : bad);
    try {
      node.configure(useRecord ? materializeOptions(record) : materialize(bad));
    } catch (err) {
      if (fromHostile(err)) return;
      const ok = (err instanceof TypeError && err.code === 'ERR_INVALID_ARG_TYPE') || (err instanceof RangeError && err.code === 'ERR_OUT_OF_RANGE');
      if (!ok) throw new Error(`configure threw ${err?.name} ${err?.code}: ${err?.message}`);
    }
  }), { numRuns: 3000, seed });
  node.configure({}); // the defaults again, for the transfers below
});

test('openFile (Node entry): a random path rejects with a documented code or opens', async () => {
  const samples = fc.sample(fc.oneof(junk, fc.string(), fc.constantFrom(path, dir, `${path}\0x`, 'no/such/file', new URL(`file://${path}`), new URL('http://example.invalid/'), '')), { numRuns: 400, seed });
  for (const p of samples) {
    hostileIn(p);
    const r = await settle(() => node.openFile(materialize(p)), `openFile(${fc.stringify(p).slice(0, 60)})`);
    if (r.ok) { assert.ok(node.SendfileFile && r.value.fd >= 0); await r.value.close(); continue; }
    if (fromHostile(r.err)) continue;
    if (!DOCUMENTED.has(r.err?.code)) assert.unreachable(`openFile rejected with an undocumented code ${r.err?.code}: ${r.err?.message}`);
  }
});

test('sockSendfile (Node entry): random arguments reject with a documented code or transfer exactly', async () => {
  let transfers = 0, rejections = 0;
  await assertProperty(fc.asyncProperty(fc.nat(3).map((k) => k > 0), junk, nodeFile, position, fc.oneof(position, fc.constant(undefined), fc.constant(null)), options, async (realSock, badSock, file, offset, count, opts) => {
    const conn = realSock ? await connected() : null;
    const sock = conn ? conn.sock : materialize(badSock);
    hostileIn(conn ? null : badSock, file, offset, count, opts);
    const args = [sock, materialize(file), materialize(offset), materialize(count), materializeOptions(opts)];
    const r = await settle(() => node.sockSendfile(...args), 'sockSendfile');
    if (!conn) { if (r.ok) throw new Error(`resolved ${r.value} without a socket`); checkRejection(r.err, 'sockSendfile'); rejections++; return; }
    conn.sock.end();
    const got = await within(10_000, conn.received, 'the peer seeing the end of the connection');
    if (r.ok) {
      const want = expectedSlice(materialize(offset), materialize(count));
      if (r.value !== want.length || !got.equals(want)) throw new Error(`resolved ${r.value}, the peer got ${got.length} bytes, the slice has ${want.length}`);
      transfers++;
    } else {
      checkRejection(r.err, 'sockSendfile');
      rejections++;
      // The caller's own error object is shared between calls: its bytesSent is another call's.
      const sent = fromHostile(r.err) ? 0 : r.err?.bytesSent ?? 0;
      if (got.length < sent) throw new Error(`rejected with bytesSent ${sent}, the peer got ${got.length}`);
      if (['ERR_INVALID_ARG_TYPE', 'ERR_OUT_OF_RANGE'].includes(r.err?.code) && got.length !== 0) throw new Error('an argument error sent bytes');
    }
    conn.sock.destroy();
  }), { numRuns: 1500, seed });
  console.log(`Node entry: ${transfers} transfers, ${rejections} rejections`);
  assert.ok(transfers > 10 && rejections > 100, 'both outcomes were exercised');
});

test('regression: a signal look-alike without removeEventListener is refused (it crashed the process after the bytes went)', async () => {
  // Found by the property above: it passed validation (aborted + addEventListener), sent the
  // file, then threw from the settle: an uncoded rejection, or an uncaught exception from an
  // I/O callback on the buffered path.
  for (const count of [10, undefined]) {
    const conn = await connected();
    const r = await settle(() => node.sockSendfile(conn.sock, fd, 0, count, { signal: { aborted: false, addEventListener() {} } }), 'sockSendfile');
    conn.sock.end();
    const got = await within(10_000, conn.received, 'the end of the connection');
    assert.not.ok(r.ok);
    assert.is(r.err.code, 'ERR_INVALID_ARG_TYPE');
    assert.is(got.length, 0, 'nothing was sent');
  }
});

test('configure (Node entry) after a transfer: ERR_INVALID_STATE whatever the argument', () => {
  assertProperty(fc.property(junk, (v) => {
    try { node.configure(materialize(v)); } catch (err) { if (err?.code === 'ERR_INVALID_STATE') return; throw err; }
    throw new Error('configure after the first transfer did not throw');
  }), { numRuns: 200, seed });
});

// ---- web entry
const webFile = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('blob', 'bytes', 'default').map((k) => ({ kind: k })) },
  { weight: 2, arbitrary: junk.map((v) => ({ kind: 'junk', v })) },
);
function makeWebFile(f) {
  if (f.kind === 'blob') return new Blob([DATA]);
  if (f.kind === 'bytes') {
    let at = 0;
    return new ReadableStream({
      type: 'bytes',
      pull(c) {
        if (at >= DATA.length) { c.close(); c.byobRequest?.respond(0); return; }
        const n = Math.min(5000, DATA.length - at);
        c.enqueue(new Uint8Array(DATA.subarray(at, at + n))); // a copy: enqueue detaches its buffer
        at += n;
      },
    });
  }
  if (f.kind === 'default') return new Blob([DATA]).stream();
  return materialize(f.v);
}

test('configure (web entry): a random options value returns or throws a coded TypeError / RangeError', () => {
  assertProperty(fc.property(junk, (bad) => {
    hostileIn(bad);
    try { web.configure(materialize(bad)); } catch (err) {
      if (fromHostile(err)) return;
      const ok = (err instanceof TypeError && err.code === 'ERR_INVALID_ARG_TYPE') || (err instanceof RangeError && err.code === 'ERR_OUT_OF_RANGE');
      if (!ok) throw new Error(`configure threw ${err?.name} ${err?.code}: ${err?.message}`);
    }
  }), { numRuns: 2000, seed });
  web.configure({});
});

test('openFile (web entry): always a rejection ERR_METHOD_NOT_IMPLEMENTED', async () => {
  for (const p of fc.sample(junk, { numRuns: 100, seed })) {
    const r = await settle(() => web.openFile(materialize(p)), 'web openFile');
    assert.not.ok(r.ok);
    assert.is(r.err.code, 'ERR_METHOD_NOT_IMPLEMENTED');
  }
});

test('sockSendfile (web entry): random arguments reject with a documented code or transfer exactly', async () => {
  let transfers = 0, rejections = 0;
  await assertProperty(fc.asyncProperty(fc.nat(3).map((k) => k > 0), junk, webFile, position, fc.oneof(position, fc.constant(undefined), fc.constant(null)), options, async (realSink, badSink, f, offset, count, opts) => {
    const chunks = [];
    const sink = realSink ? new WritableStream({ write(c) { chunks.push(Buffer.from(c)); } }) : materialize(badSink);
    hostileIn(realSink ? null : badSink, f.v, offset, count, opts);
    const args = [sink, makeWebFile(f), materialize(offset), materialize(count), materializeOptions(opts)];
    const r = await settle(() => web.sockSendfile(...args), 'web sockSendfile');
    if (r.ok) {
      if (!realSink) throw new Error(`resolved ${r.value} without a sink`);
      const want = expectedSlice(materialize(offset), materialize(count));
      const got = Buffer.concat(chunks);
      if (r.value !== want.length || !got.equals(want)) throw new Error(`resolved ${r.value}, the sink got ${got.length} bytes, the slice has ${want.length}`);
      transfers++;
    } else {
      checkRejection(r.err, 'web sockSendfile');
      rejections++;
    }
  }), { numRuns: 1500, seed });
  console.log(`web entry: ${transfers} transfers, ${rejections} rejections`);
  assert.ok(transfers > 10 && rejections > 100, 'both outcomes were exercised');
});

test('configure (web entry) after a transfer: ERR_INVALID_STATE', () => {
  assert.throws(() => web.configure({}), (err) => err.code === 'ERR_INVALID_STATE');
});

test.after(async () => {
  closeSync(fd);
  closeSync(dirFd);
  await handle.close();
  await sendfileFile.close();
  server.close();
});

test.run();
