// Small files served from memory (ts/http/cache.ts): a repeated request for an unchanged file
// opens nothing, and every change a client could see through a normal open is seen through the
// cache too: a file rewritten in place with the same size, replaced by rename, deleted, a
// symlink swapped in, a directory moved out of the root. Files only qualify once their ctime
// is 2 s old, so the test waits that long once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs, { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { lib, isBun, nativeHttp, makeRoot, startServer, request, sha, tempDir, openFds, fdsSettle } from './helpers.js';

const SIZE = 16 * 1024;
const { root, data } = makeRoot({ 'c.bin': SIZE, 'r.bin': SIZE, 'gone.bin': SIZE, 'sub/f.bin': SIZE, 'moved/f.bin': SIZE, 'x.txt': 'x'.repeat(100) });
const outside = tempDir('http-outside');
mkdirSync(join(outside, 'sub'));
writeFileSync(join(outside, 'sub', 'f.bin'), randomBytes(SIZE));

const results = [];
const handler = lib.serveStatic(root);
const noInline = lib.serveStatic(root, { inlineMax: 0 });
const srv = await startServer((req, res) => {
  const h = req.url.startsWith('/noinline') ? (req.url = req.url.slice('/noinline'.length), noInline) : handler;
  Promise.resolve(h(req, res)).then((r) => results.push(r));
});
const get = (path, opts) => request(srv.url + path, opts);

// Counts opens by this library (Node's builtin ESM exports follow the CJS object once synced).
let opens = 0;
const realOpenSync = fs.openSync;
const countOpens = !isBun;
if (countOpens) {
  fs.openSync = (...a) => { opens++; return realOpenSync(...a); };
  syncBuiltinESMExports();
}

await new Promise((r) => setTimeout(r, 2100)); // every file's ctime is now old enough to cache
const fdsAtStart = openFds();

test('an unchanged small file: exact bytes every time, the repeat opens nothing', async () => {
  const first = await get('/c.bin');
  assert.is(first.status, 200);
  assert.is(sha(first.body), sha(data['c.bin']));
  const before = opens;
  for (let i = 0; i < 3; i++) {
    const r = await get('/c.bin');
    assert.is(r.status, 200);
    assert.is(sha(r.body), sha(data['c.bin']));
    assert.is(r.headers['content-length'], String(SIZE));
    assert.is(r.headers.etag, first.headers.etag);
    assert.is(results.at(-1).path, 'inline');
  }
  if (countOpens) assert.is(opens, before, 'served from memory without an open');
  const head = await get('/c.bin', { method: 'HEAD' });
  assert.is(head.status, 200);
  assert.is(head.body.length, 0);
  const cond = await get('/c.bin', { headers: { 'if-none-match': first.headers.etag } });
  assert.is(cond.status, 304);
});

test('a Range request and a handler with inlineMax 0 do not take the cached copy', async () => {
  await get('/c.bin');
  const r = await get('/c.bin', { headers: { range: 'bytes=100-199' } });
  assert.is(r.status, 206);
  assert.is(sha(r.body), sha(data['c.bin'].subarray(100, 200)));
  const n = await get('/noinline/c.bin');
  assert.is(sha(n.body), sha(data['c.bin']));
  assert.is(results.at(-1).path, nativeHttp ? 'native' : 'buffered');
});

test('rewritten in place with the same size: the new bytes and a new ETag at once', async () => {
  const old = await get('/c.bin');
  const next = randomBytes(SIZE);
  writeFileSync(join(root, 'c.bin'), next);
  const r = await get('/c.bin');
  assert.is(sha(r.body), sha(next));
  assert.is.not(r.headers.etag, old.headers.etag);
});

test('replaced by rename with the same size: the new bytes', async () => {
  await get('/r.bin');
  await get('/r.bin');
  const next = randomBytes(SIZE);
  writeFileSync(join(root, 'r.bin.tmp'), next);
  renameSync(join(root, 'r.bin.tmp'), join(root, 'r.bin'));
  const r = await get('/r.bin');
  assert.is(sha(r.body), sha(next));
});

test('deleted: 404', async () => {
  await get('/gone.bin');
  await get('/gone.bin');
  rmSync(join(root, 'gone.bin'));
  assert.is((await get('/gone.bin')).status, 404);
});

test('a symlink out of the root put in place of a cached directory: 404', async () => {
  assert.is(sha((await get('/sub/f.bin')).body), sha(data['sub/f.bin']));
  await get('/sub/f.bin');
  renameSync(join(root, 'sub'), join(root, 'sub-old'));
  symlinkSync(join(outside, 'sub'), join(root, 'sub'));
  assert.is((await get('/sub/f.bin')).status, 404);
});

test('a directory moved out of the root, a symlink in its place: 404 within a second', async () => {
  await get('/moved/f.bin');
  await get('/moved/f.bin');
  renameSync(join(root, 'moved'), join(outside, 'moved'));
  symlinkSync(join(outside, 'moved'), join(root, 'moved'));
  // The same unchanged file, so the stat cannot tell; the cache rechecks every second.
  await new Promise((r) => setTimeout(r, 1100));
  assert.is((await get('/moved/f.bin')).status, 404);
});

test('no descriptor is held', async () => {
  await get('/x.txt');
  await get('/x.txt');
  assert.is(await fdsSettle(fdsAtStart), fdsAtStart);
  if (countOpens) { fs.openSync = realOpenSync; syncBuiltinESMExports(); }
  await srv.close();
});

test.run();
