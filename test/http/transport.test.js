// How the body travels: pipelined requests on one raw connection (bytes in order, never
// interleaved), keep-alive latency (no Nagle stall between header and body), a file that
// shrinks under its Content-Length, clients that leave mid-body, Unix-domain sockets, HTTPS,
// HTTP/2 (compat API and raw streams) and curl.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { truncateSync, writeFileSync, openSync, ftruncateSync, closeSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import { join } from 'node:path';
import {
  lib, nativeHttp, isBun, makeRoot, startServer, rawClient, request, parseMultipart, sha, openFds, fdsSettle, tempDir, within,
} from './helpers.js';

const { root, data } = makeRoot({ 'one.bin': 1024 * 1024 + 7, 'f16k.bin': 16384, 'small.txt': 'small body', 'm.bin': 100_000 });
// A large sparse file: the disconnect tests need a body far larger than the socket buffers.
const hugePath = join(root, 'huge.bin');
closeSync(openSync(hugePath, 'w'));
truncateSync(hugePath, 256 * 1024 * 1024);

const unhandled = [];
process.on('unhandledRejection', (e) => unhandled.push(e));
process.on('uncaughtException', (e) => unhandled.push(e));

function collecting(handlerOptions = {}) {
  const results = [];
  const handler = lib.serveStatic(root, { ...handlerOptions, onResult: (req, r) => results.push({ ...r, url: req.url }) });
  return { results, handler };
}

/** Resolves once `cond()` holds: a client may see the last byte before the server's promise settles. */
const until = (cond, what = 'the server to report') => within(10_000, (async () => { while (!cond()) await new Promise((q) => setTimeout(q, 5)); })(), what);

for (const inlineMax of [undefined, 0]) test(`pipelined requests on one connection: every response in order, bytes exact, nothing interleaved (inlineMax ${inlineMax ?? 'default'})`, async () => {
  const { results, handler } = collecting({ inlineMax });
  const s = await startServer(handler);
  const c = rawClient(s.port);
  await c.ready;
  const reqs = ['GET /one.bin', 'GET /small.txt', 'HEAD /one.bin', 'GET /m.bin\r\nRange: bytes=0-9,50000-50009', 'GET /nope', 'GET /one.bin', 'GET /f16k.bin'];
  c.write(reqs.map((r) => `${r.replace(/^(\w+ \S+)/, '$1 HTTP/1.1')}\r\nHost: x\r\n\r\n`).join(''));
  const got = [];
  for (const r of reqs) got.push(await within(20_000, c.read({ head: r.startsWith('HEAD') }), r));
  assert.ok(got[0].body.equals(data['one.bin']));
  assert.is(got[1].body.toString(), 'small body');
  assert.is(got[2].headers['content-length'], String(data['one.bin'].length));
  assert.is(got[2].body.length, 0);
  const parts = parseMultipart(got[3].body, got[3].headers['content-type']);
  assert.ok(parts[1].body.equals(data['m.bin'].subarray(50000, 50010)));
  assert.is(got[4].status, 404);
  assert.ok(got[5].body.equals(data['one.bin']));
  assert.ok(got[6].body.equals(data['f16k.bin']));
  assert.is(c.pending(), 0, 'no stray bytes after the last response');
  await until(() => results.length === reqs.length);
  const limit = inlineMax ?? 65536;
  const expected = (r) => (r.bytesSent === 0 || r.status === 404 ? 'none' : r.bytesSent <= limit && !r.url.startsWith('/m.bin') ? 'inline' : nativeHttp ? 'native' : 'buffered');
  for (const r of results) assert.is(r.path, expected(r), `${r.url}: ${r.path}`);
  c.sock.destroy();
  await s.close();
});

/** Latencies (ms, sorted) of `n` sequential keep-alive GETs of a 16 KiB body from `handler`. */
async function keepAliveLatencies(handler, n) {
  const s = await startServer(handler);
  const c = rawClient(s.port);
  await c.ready;
  const times = [];
  for (let i = 0; i < n + 50; i++) {
    const t0 = process.hrtime.bigint();
    c.write('GET /f16k.bin HTTP/1.1\r\nHost: x\r\n\r\n');
    const r = await c.read();
    if (r.body?.length !== 16384) throw new Error('short body');
    if (i >= 50) times.push(Number(process.hrtime.bigint() - t0) / 1e6); // after a warm-up
  }
  c.sock.destroy();
  await s.close();
  return times.sort((a, b) => a - b);
}

test('keep-alive, one client, sequential 16 KiB requests: no Nagle stall between header and body (median far below the 40 ms delayed ACK, tail within the noise of an in-memory server)', async () => {
  const inMemory = (req, res) => { res.writeHead(200, { 'content-length': 16384 }); res.end(data['f16k.bin']); };
  const pct = (t, p) => t[Math.floor(t.length * p)];
  let ok = false;
  let line = '';
  // Rounds alternate the two servers; a stall (~40 ms per response) would show in every round
  // and at the median, a busy shared machine only in the tail of some rounds. The latency
  // itself (p99 under 1 ms on a quiet machine) is a figure for the benchmark, not a pass mark.
  for (let round = 0; round < 3 && !ok; round++) {
    // inlineMax 0: header write then sendfile, the pair a Nagle stall would sit between.
    const ours = await keepAliveLatencies(collecting({ inlineMax: 0 }).handler, 400);
    const mem = await keepAliveLatencies(inMemory, 400);
    line = `p50 ${pct(ours, 0.5).toFixed(3)} ms, p99 ${pct(ours, 0.99).toFixed(3)} ms (in-memory res.end: p50 ${pct(mem, 0.5).toFixed(3)}, p99 ${pct(mem, 0.99).toFixed(3)})`;
    console.log(`  keep-alive 16 KiB, round ${round + 1}: ${line}`);
    ok = pct(ours, 0.5) < 5 && (pct(ours, 0.99) < 1 || pct(ours, 0.99) <= 2 * pct(mem, 0.99) + 5);
  }
  assert.ok(ok, line);
});

test('a file that shrinks under its Content-Length: the connection closes, the next response never follows a short body', async () => {
  const path = join(root, 'shrinks.bin');
  writeFileSync(path, data['one.bin']);
  const results = [];
  const s = await startServer((req, res) => {
    lib.sendFile(req, res, req.url.slice(1), {
      root,
      headers: () => { if (req.url === '/shrinks.bin') truncateSync(path, 1000); }, // after fstat, before the body
    }).then((r) => results.push(r));
  });
  const c = rawClient(s.port);
  await c.ready;
  c.write('GET /shrinks.bin HTTP/1.1\r\nHost: x\r\n\r\nGET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n');
  const r = await within(10_000, c.read(), 'the short response');
  assert.ok(r.closed, 'connection closed');
  assert.is(r.status, 200);
  assert.is(r.headers['content-length'], String(data['one.bin'].length));
  assert.is(r.rest.length, 1000);
  assert.ok(r.rest.equals(data['one.bin'].subarray(0, 1000)));
  await until(() => results.length === 2);
  const shrunk = results.find((r) => r.status === 200 && r.path !== 'none' && r.bytesSent === 1000) ?? results;
  assert.is(shrunk.complete, false, JSON.stringify(results));
  assert.is(shrunk.error.code, 'ERR_FILE_SHRANK');
  assert.ok(results.some((r) => r.complete === false && r.bytesSent === 0), 'the queued response never went');
  await s.close();
});

async function disconnectMidBody(kind) {
  const results = [];
  const s = await startServer((req, res) => { lib.serveStatic(root)(req, res).then((r) => results.push(r)); }, kind);
  await request(`${s.url}/small.txt`); // lazy loads happen before the count
  await new Promise((r) => setTimeout(r, 100));
  const before = openFds();
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve, reject) => {
      const mod = kind === 'https' ? require_https : http;
      const req = mod.get(`${s.url}/huge.bin`, { agent: false, rejectUnauthorized: false }, (res) => {
        let n = 0;
        res.on('data', (d) => { n += d.length; if (n > 200_000) { req.destroy(); resolve(); } });
        res.on('error', () => {});
      });
      req.on('error', (e) => { if (e.code !== 'ECONNRESET' && !/aborted|socket hang up/.test(e.message)) reject(e); });
    });
  }
  await until(() => results.length === 4, 'every transfer to end');
  const cut = results.slice(1);
  for (const r of cut) {
    assert.is(r.complete, false);
    assert.ok(r.bytesSent < 256 * 1024 * 1024);
    assert.ok(r.error, 'an error says why');
  }
  const after = await fdsSettle(before);
  if (after !== null) assert.ok(after <= before, `descriptors: ${before} before, ${after} after`);
  assert.equal(unhandled, []);
  // Still serving.
  assert.is((await request(`${s.url}/small.txt`)).body.toString(), 'small body');
  await s.close();
  return cut;
}
const require_https = await import('node:https').then((m) => m.default);

test('a client that leaves mid-body (HTTP): the transfer ends, the file is closed, nothing thrown', async () => {
  const cut = await disconnectMidBody('http');
  if (nativeHttp) assert.is(cut[0].path, 'native');
});

test('HTTPS: bytes exact through the buffered path, ranges, a client that leaves mid-body', async () => {
  const { results, handler } = collecting();
  const s = await startServer(handler, 'https');
  const r = await request(`${s.url}/one.bin`);
  assert.ok(r.body.equals(data['one.bin']));
  await until(() => results.length === 1);
  assert.is(results[0].path, 'buffered');
  const p = await request(`${s.url}/m.bin`, { headers: { range: 'bytes=10-20,-5' } });
  const parts = parseMultipart(p.body, p.headers['content-type']);
  assert.ok(parts[0].body.equals(data['m.bin'].subarray(10, 21)));
  assert.ok(parts[1].body.equals(data['m.bin'].subarray(-5)));
  await s.close();
  await disconnectMidBody('https');
});

test('Unix-domain socket server: bytes exact', async () => {
  const { results, handler } = collecting();
  const server = http.createServer(handler);
  const path = join(tempDir('http-unix'), 's.sock');
  await new Promise((r) => server.listen(path, r));
  const body = await new Promise((resolve, reject) => {
    http.get({ socketPath: path, path: '/one.bin', agent: false }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => resolve(Buffer.concat(chunks)));
    }).on('error', reject);
  });
  assert.ok(body.equals(data['one.bin']));
  await until(() => results.length === 1);
  if (nativeHttp) assert.is(results[0].path, 'native');
  await new Promise((r) => server.close(r));
});

function h2get(client, path, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = client.request({ ':path': path, ...headers });
    const chunks = [];
    let head;
    req.on('response', (h) => { head = h; });
    req.on('data', (d) => chunks.push(d));
    req.on('end', () => resolve({ headers: head, body: Buffer.concat(chunks) }));
    req.on('error', reject);
    req.end();
  });
}

test('HTTP/2: the compat API and a raw stream; respondWithFD for one range, multipart through the stream', async () => {
  const results = [];
  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    if (headers[':path'].startsWith('/raw/')) {
      lib.sendFile(headers, stream, headers[':path'].slice(5), { root }).then((r) => results.push(r));
    }
  });
  server.on('request', (req, res) => {
    if (!req.url.startsWith('/raw/')) lib.serveStatic(root)(req, res).then((r) => results.push(r));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const client = http2.connect(`http://127.0.0.1:${server.address().port}`);
  try {
    const a = await h2get(client, '/one.bin');
    assert.is(a.headers[':status'], 200);
    assert.ok(a.body.equals(data['one.bin']));
    assert.is(a.headers['content-length'], String(data['one.bin'].length));
    const b = await h2get(client, '/raw/one.bin', { range: 'bytes=100-199' });
    assert.is(b.headers[':status'], 206);
    assert.ok(b.body.equals(data['one.bin'].subarray(100, 200)));
    const m = await h2get(client, '/raw/m.bin', { range: 'bytes=0-1,10-11' });
    const parts = parseMultipart(m.body, m.headers['content-type']);
    assert.ok(parts[1].body.equals(data['m.bin'].subarray(10, 12)));
    const n = await h2get(client, '/raw/nope');
    assert.is(n.headers[':status'], 404);
    const etag = a.headers.etag;
    assert.is((await h2get(client, '/one.bin', { 'if-none-match': etag })).headers[':status'], 304);
    assert.equal(results.slice(0, 2).map((r) => r.path), ['respondWithFD', 'respondWithFD']);
    assert.is(results[2].path, 'buffered');
  } finally {
    client.close();
    await new Promise((r) => server.close(r));
  }
});

function run(cmd, args) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    let err = '';
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout: Buffer.concat(out), stderr: err }); });
  });
}

test('curl (where installed): a range and a second file on one reused connection, HEAD', async () => {
  if (spawnSync('curl', ['--version']).error) { console.log('skip: curl is not installed'); return; }
  const { handler } = collecting();
  const s = await startServer(handler);
  let connections = 0;
  s.server.on('connection', () => { connections++; });
  const r = await run('curl', ['-sS', '-r', '0-99', '-o', '-', `${s.url}/one.bin`, '-o', '-', `${s.url}/small.txt`]);
  assert.is(r.code, 0, r.stderr);
  assert.ok(r.stdout.equals(Buffer.concat([data['one.bin'].subarray(0, 100), Buffer.from('small body')])));
  assert.is(connections, 1, 'curl reused the keep-alive connection');
  const h = await run('curl', ['-sS', '-I', `${s.url}/one.bin`]);
  assert.match(h.stdout.toString(), /content-length: 1048583/i);
  await s.close();
});

test.after(() => { if (unhandled.length) throw unhandled[0]; });
test.run();
