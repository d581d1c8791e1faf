// RFC 9110 semantics of sendFile/serveStatic over a real loopback server, checked with
// http.request: status, headers and exact bytes for 200, HEAD, 206 (single and multipart),
// 304, 412, 416, If-Range, directories, dotfiles, precompressed siblings, options and the
// kinds of `file`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { open } from 'node:fs/promises';
import { openSync, closeSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lib, node, nativeHttp, makeRoot, startServer, request, parseMultipart, sha, openFds, fdsSettle } from './helpers.js';

const { root, data } = makeRoot({
  'a.bin': 200_000, 'big.bin': 8 * 1024 * 1024 + 3, 'page.html': '<p>hello</p>\n', 'empty.txt': '',
  'dir/index.html': '<p>index</p>', 'noindex/x.txt': 'x', '.hidden': 'secret', 'app.js': 'console.log(1)\n',
  'app.js.br': 'BR-BYTES', 'app.js.gz': 'GZ-BYTES-LONGER', 'tiny.txt': 'abcdefghij',
});
utimesSync(join(root, 'a.bin'), new Date('2024-01-02T03:04:05.678Z'), new Date('2024-01-02T03:04:05.678Z'));

let handler = lib.serveStatic(root);
let last;
const srv = await startServer((req, res) => {
  Promise.resolve(handler(req, res)).then((r) => { last = r; });
});
const get = (path, opts) => request(srv.url + path, opts);
let fdsAtStart;

test('200: exact bytes, Content-Length (never chunked), type, validators, the native path when loaded', async () => {
  const r = await get('/a.bin');
  await new Promise((r) => setTimeout(r, 100)); // the connection closes; lazy loads are done
  fdsAtStart = openFds();
  assert.is(r.status, 200);
  assert.is(sha(r.body), sha(data['a.bin']));
  assert.is(r.headers['content-length'], '200000');
  assert.is(r.headers['transfer-encoding'], undefined);
  assert.is(r.headers['content-type'], 'application/octet-stream');
  assert.is(r.headers['accept-ranges'], 'bytes');
  assert.is(r.headers['last-modified'], 'Tue, 02 Jan 2024 03:04:05 GMT');
  assert.match(r.headers.etag, /^"[0-9a-f]+-[0-9a-f]+"$/, 'a strong ETag');
  assert.is(r.headers['cache-control'], 'public, max-age=0');
  assert.is(last.path, nativeHttp ? 'native' : 'buffered');
  assert.is(last.bytesSent, 200000);
  assert.ok(last.complete);
  const big = await get('/big.bin');
  assert.is(sha(big.body), sha(data['big.bin']));
  const html = await get('/page.html');
  assert.is(html.headers['content-type'], 'text/html; charset=utf-8');
  assert.is((await get('/app.js')).headers['content-type'], 'text/javascript; charset=utf-8');
});

test('HEAD: the GET headers, no body; empty file: Content-Length 0', async () => {
  const r = await get('/a.bin', { method: 'HEAD' });
  assert.is(r.status, 200);
  assert.is(r.headers['content-length'], '200000');
  assert.is(r.body.length, 0);
  const e = await get('/empty.txt');
  assert.is(e.status, 200);
  assert.is(e.headers['content-length'], '0');
  assert.is(e.body.length, 0);
});

test('405 with Allow for other methods', async () => {
  for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
    const r = await get('/a.bin', { method });
    assert.is(r.status, 405, method);
    assert.is(r.headers.allow, 'GET, HEAD');
  }
});

test('304: If-None-Match (weak comparison, lists, *) and If-Modified-Since; INM wins over IMS', async () => {
  const { headers } = await get('/a.bin');
  const etag = headers.etag;
  for (const inm of [etag, `W/${etag}`, `"nope", ${etag}`, '*']) {
    const r = await get('/a.bin', { headers: { 'if-none-match': inm } });
    assert.is(r.status, 304, inm);
    assert.is(r.headers.etag, etag);
    assert.is(r.body.length, 0);
  }
  assert.is((await get('/a.bin', { headers: { 'if-none-match': '"other"' } })).status, 200);
  assert.is((await get('/a.bin', { headers: { 'if-modified-since': headers['last-modified'] } })).status, 304);
  assert.is((await get('/a.bin', { headers: { 'if-modified-since': 'Mon, 01 Jan 2024 00:00:00 GMT' } })).status, 200);
  // If-None-Match present: If-Modified-Since is not evaluated (RFC 9110 13.1.3).
  assert.is((await get('/a.bin', { headers: { 'if-none-match': '"other"', 'if-modified-since': headers['last-modified'] } })).status, 200);
  // Other date forms of RFC 9110 5.6.7, and malformed dates ignored.
  assert.is((await get('/a.bin', { headers: { 'if-modified-since': 'Tuesday, 02-Jan-24 03:04:05 GMT' } })).status, 304);
  assert.is((await get('/a.bin', { headers: { 'if-modified-since': 'Tue Jan  2 03:04:05 2024' } })).status, 304);
  for (const bad of ['yesterday', '2024-01-02', 'Tue, 32 Jan 2024 03:04:05 GMT', 'x'.repeat(200)]) {
    assert.is((await get('/a.bin', { headers: { 'if-modified-since': bad } })).status, 200, bad);
  }
});

test('412: If-Match (strong only) and If-Unmodified-Since', async () => {
  const { headers } = await get('/a.bin');
  assert.is((await get('/a.bin', { headers: { 'if-match': headers.etag } })).status, 200);
  assert.is((await get('/a.bin', { headers: { 'if-match': '*' } })).status, 200);
  assert.is((await get('/a.bin', { headers: { 'if-match': `W/${headers.etag}` } })).status, 412);
  assert.is((await get('/a.bin', { headers: { 'if-match': '"nope"' } })).status, 412);
  assert.is((await get('/a.bin', { headers: { 'if-unmodified-since': 'Mon, 01 Jan 2024 00:00:00 GMT' } })).status, 412);
  assert.is((await get('/a.bin', { headers: { 'if-unmodified-since': headers['last-modified'] } })).status, 200);
  assert.is((await get('/a.bin', { headers: { 'if-unmodified-since': 'garbage' } })).status, 200);
});

test('206: single ranges of every form, exact bytes and Content-Range', async () => {
  const d = data['a.bin'];
  const cases = [['bytes=0-0', 0, 0], ['bytes=10-19', 10, 19], ['bytes=199990-', 199990, 199999], ['bytes=-5', 199995, 199999],
    ['bytes=5-999999999', 5, 199999], ['bytes=0-99999999999999999999999', 0, 199999], ['bytes=-999999', 0, 199999],
    ['BYTES=1-2', 1, 2], ['bytes=1-2, ', 1, 2], ['bytes=300000-,3-4', 3, 4]];
  for (const [range, a, b] of cases) {
    const r = await get('/a.bin', { headers: { range } });
    assert.is(r.status, 206, range);
    assert.is(r.headers['content-range'], `bytes ${a}-${b}/200000`, range);
    assert.is(r.headers['content-length'], String(b - a + 1));
    assert.ok(r.body.equals(d.subarray(a, b + 1)), range);
  }
});

test('206 multipart/byteranges: parts in request order, exact bytes, exact length', async () => {
  const d = data['a.bin'];
  const r = await get('/a.bin', { headers: { range: 'bytes=100-199,0-9,-10' } });
  assert.is(r.status, 206);
  assert.match(r.headers['content-type'], /^multipart\/byteranges; boundary=/);
  assert.is(Number(r.headers['content-length']), r.body.length);
  const parts = parseMultipart(r.body, r.headers['content-type']);
  assert.equal(parts.map((p) => p.range), ['100-199/200000', '0-9/200000', '199990-199999/200000']);
  assert.ok(parts[0].body.equals(d.subarray(100, 200)));
  assert.ok(parts[1].body.equals(d.subarray(0, 10)));
  assert.ok(parts[2].body.equals(d.subarray(199990)));
  assert.match(parts[0].head, /Content-Type: application\/octet-stream/);
});

test('Range ignored (200): invalid syntax, other units, overlapping, too many, multipart larger than twice the file', async () => {
  for (const range of ['bytes=5-1', 'bytes=a-b', 'items=0-1', 'bytes 0-1', 'bytes=0-1-2', 'bytes=', 'bytes=--1',
    'bytes=0-100,50-150', 'bytes=0-0,0-0', Array.from({ length: 17 }, (_, i) => `${i * 10}-${i * 10 + 1}`).join(',').replace(/^/, 'bytes='),
    `bytes=${Array.from({ length: 1000 }, (_, i) => `${i}-${i}`).join(',')}`]) {
    const r = await get('/a.bin', { headers: { range } });
    assert.is(r.status, 200, range.slice(0, 40));
    assert.is(r.body.length, 200000);
  }
  const t = await get('/tiny.txt', { headers: { range: 'bytes=0-0,2-2,4-4' } });
  assert.is(t.status, 200, 'multipart overhead would exceed twice a 10-byte file');
  assert.is(t.body.toString(), 'abcdefghij');
  assert.is((await get('/a.bin', { method: 'HEAD', headers: { range: 'bytes=0-1' } })).status, 200, 'Range applies to GET only');
});

test('416: no satisfiable range, with Content-Range bytes */size', async () => {
  for (const range of ['bytes=200000-', 'bytes=999999-1000000', 'bytes=-0', 'bytes=99999999999999999999-']) {
    const r = await get('/a.bin', { headers: { range } });
    assert.is(r.status, 416, range);
    assert.is(r.headers['content-range'], 'bytes */200000');
  }
  assert.is((await get('/empty.txt', { headers: { range: 'bytes=0-' } })).status, 416);
});

test('If-Range: strong ETag or exact date honours Range; anything else gives the full 200', async () => {
  const { headers } = await get('/a.bin');
  const ask = (ifRange) => get('/a.bin', { headers: { range: 'bytes=0-9', 'if-range': ifRange } });
  assert.is((await ask(headers.etag)).status, 206);
  assert.is((await ask(headers['last-modified'])).status, 206);
  assert.is((await ask(`W/${headers.etag}`)).status, 200);
  assert.is((await ask('"stale"')).status, 200);
  assert.is((await ask('Mon, 01 Jan 2024 00:00:00 GMT')).status, 200);
  assert.is((await ask('not a date')).status, 200);
});

test('directories: index.html, 301 to the trailing slash with a local Location, 404 without index', async () => {
  assert.is((await get('/dir/')).body.toString(), '<p>index</p>');
  const r = await get('/dir?x=1');
  assert.is(r.status, 301);
  assert.is(r.headers.location, '/dir/?x=1');
  assert.is((await get('/noindex/')).status, 404);
  assert.is((await get('/')).status, 404, 'the root has no index.html');
  handler = lib.serveStatic(root, { redirect: false });
  assert.is((await get('/dir')).status, 404);
  handler = lib.serveStatic(root, { index: ['x.txt'] });
  assert.is((await get('/noindex/')).body.toString(), 'x');
  handler = lib.serveStatic(root);
});

test('dotfiles: ignored (404) by default, deny (403), allow', async () => {
  assert.is((await get('/.hidden')).status, 404);
  handler = lib.serveStatic(root, { dotfiles: 'deny' });
  assert.is((await get('/.hidden')).status, 403);
  handler = lib.serveStatic(root, { dotfiles: 'allow' });
  assert.is((await get('/.hidden')).body.toString(), 'secret');
  handler = lib.serveStatic(root);
});

test('precompressed: br preferred, gzip next, q=0 refused, Vary always, own ETag, ranges on the encoded bytes', async () => {
  handler = lib.serveStatic(root, { precompressed: true });
  const br = await get('/app.js', { headers: { 'accept-encoding': 'gzip, br' } });
  assert.is(br.headers['content-encoding'], 'br');
  assert.is(br.body.toString(), 'BR-BYTES');
  assert.is(br.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.is(br.headers.vary, 'Accept-Encoding');
  const gz = await get('/app.js', { headers: { 'accept-encoding': 'gzip;q=0.5, br;q=0' } });
  assert.is(gz.headers['content-encoding'], 'gzip');
  assert.is(gz.body.toString(), 'GZ-BYTES-LONGER');
  assert.is.not(gz.headers.etag, br.headers.etag);
  const plain = await get('/app.js', { headers: { 'accept-encoding': 'identity' } });
  assert.is(plain.headers['content-encoding'], undefined);
  assert.is(plain.headers.vary, 'Accept-Encoding');
  assert.is(plain.body.toString(), 'console.log(1)\n');
  const part = await get('/app.js', { headers: { 'accept-encoding': 'br', range: 'bytes=0-1' } });
  assert.is(part.body.toString(), 'BR');
  handler = lib.serveStatic(root);
});

test('options: maxAge/immutable/cacheControl, etag and lastModified off, contentType, acceptRanges off, headers hook', async () => {
  handler = lib.serveStatic(root, { maxAge: 86_400_000, immutable: true });
  assert.is((await get('/a.bin')).headers['cache-control'], 'public, max-age=86400, immutable');
  handler = lib.serveStatic(root, { cacheControl: false, etag: false, lastModified: false, acceptRanges: false, contentType: 'text/x-test' });
  const r = await get('/a.bin', { headers: { range: 'bytes=0-1', 'if-none-match': '*' } });
  assert.is(r.status, 304, "'*' matches any current representation");
  const r2 = await get('/a.bin', { headers: { range: 'bytes=0-1' } });
  assert.is(r2.status, 200);
  assert.is(r2.headers['cache-control'], undefined);
  assert.is(r2.headers.etag, undefined);
  assert.is(r2.headers['last-modified'], undefined);
  assert.is(r2.headers['accept-ranges'], undefined);
  assert.is(r2.headers['content-type'], 'text/x-test');
  let seen;
  handler = lib.serveStatic(root, { headers: (h, info) => { seen = info; h['x-extra'] = 'yes'; delete h['cache-control']; } });
  const r3 = await get('/a.bin');
  assert.is(r3.headers['x-extra'], 'yes');
  assert.is(r3.headers['cache-control'], undefined);
  assert.is(seen.status, 200);
  assert.is(seen.stat.size, 200000);
  assert.ok(seen.path.endsWith('a.bin'));
  assert.throws(() => lib.serveStatic(root, { dotfiles: 'maybe' }), (e) => e.code === 'ERR_INVALID_ARG_VALUE');
  assert.throws(() => lib.serveStatic(root, { maxAge: -1 }), (e) => e.code === 'ERR_INVALID_ARG_VALUE');
  assert.throws(() => lib.serveStatic(''), (e) => e.code === 'ERR_INVALID_ARG_TYPE');
  handler = lib.serveStatic(root);
});

test('sendFile with a path under root, an absolute path, an fd, a SendfileFile and a FileHandle (caller keeps them open)', async () => {
  const d = data['a.bin'];
  handler = (req, res) => lib.sendFile(req, res, 'a.bin', { root });
  assert.ok((await get('/anything')).body.equals(d));
  handler = (req, res) => lib.sendFile(req, res, '../a.bin', { root });
  assert.is((await get('/x')).status, 403);
  handler = (req, res) => lib.sendFile(req, res, join(root, 'page.html'));
  assert.is((await get('/x')).headers['content-type'], 'text/html; charset=utf-8');
  const fd = openSync(join(root, 'a.bin'), 'r');
  handler = (req, res) => lib.sendFile(req, res, fd);
  const r = await get('/x', { headers: { range: 'bytes=5-9' } });
  assert.ok(r.body.equals(d.subarray(5, 10)));
  closeSync(fd); // throws if sendFile had closed it
  const f = await node.openFile(join(root, 'page.html'));
  handler = (req, res) => lib.sendFile(req, res, f);
  const r2 = await get('/x');
  assert.is(r2.body.toString(), '<p>hello</p>\n');
  assert.is(r2.headers['content-type'], 'text/html; charset=utf-8', 'type from SendfileFile.path');
  await f.close();
  const fh = await open(join(root, 'a.bin'));
  handler = (req, res) => lib.sendFile(req, res, fh, { contentType: 'video/mp4' });
  const r3 = await get('/x');
  assert.ok(r3.body.equals(d));
  assert.is(r3.headers['content-type'], 'video/mp4');
  await fh.close();
  handler = lib.serveStatic(root);
});

test('sendFile rejects programming errors only: bad arguments, headers already sent', async () => {
  let err;
  handler = async (req, res) => {
    try { await lib.sendFile(req, res, 42.5); } catch (e) { err = e; }
    try { await lib.sendFile(req, res, 'a.bin', { dotfiles: 3 }); } catch (e) { err = [err, e]; }
    res.writeHead(200, { 'content-length': 2 }).write('ok');
    try { await lib.sendFile(req, res, 'a.bin', { root }); } catch (e) { err.push(e); }
    res.end();
  };
  await get('/x');
  assert.equal(err.map((e) => e.code), ['ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE', 'ERR_HTTP_HEADERS_SENT']);
  handler = lib.serveStatic(root);
});

test('a file replaced after start is served as opened; descriptors all closed', async () => {
  writeFileSync(join(root, 'tiny.txt'), 'replaced!');
  assert.is((await get('/tiny.txt')).body.toString(), 'replaced!');
  const n = await fdsSettle(fdsAtStart);
  if (n !== null) assert.ok(n <= fdsAtStart, `descriptors: ${fdsAtStart} at start, ${n} now`);
});

test.after(() => srv.close());
test.run();
