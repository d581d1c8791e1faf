// The browser entry in a real browser: Debian's Chromium (installed by setup.sh when missing)
// driven by playwright-core with that executable, nothing downloaded. The page
// (test/web/fixtures/page.js) is bundled from the installed tarball twice, by esbuild and by
// Rollup, the way an application would; both bundles run. Bytes also go over a real WebSocket to a Node
// server (the `ws` package) that checks them against what it served the page.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { build } from 'esbuild';
import { rollup } from 'rollup';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import { WebSocketServer } from 'ws';
import { chromium } from 'playwright-core';
import { packed, project, root, setup, unavailable, within } from './_pack.js';
import { sha } from '../lib.js';

const browserPath = setup('chromium');

/** The page bundled by esbuild and by Rollup from a project beside the installed package. */
async function bundlePage(consumer) {
  const fixture = (f) => readFileSync(join(root, 'test/web/fixtures', f), 'utf8');
  const dir = project(consumer, 'browser-app', { 'page.js': fixture('page.js'), 'streams.js': fixture('streams.js') });
  await build({
    entryPoints: [join(dir, 'page.js')], bundle: true, format: 'esm', platform: 'browser',
    outfile: join(dir, 'out/esbuild.js'), logLevel: 'error',
  });
  const bundle = await rollup({ input: join(dir, 'page.js'), plugins: [nodeResolve({ browser: true })], logLevel: 'silent' });
  await bundle.write({ file: join(dir, 'out/rollup.js'), format: 'es' });
  await bundle.close();
  return { esbuild: readFileSync(join(dir, 'out/esbuild.js'), 'utf8'), rollup: readFileSync(join(dir, 'out/rollup.js'), 'utf8') };
}

/** Serves the page, its bundles and `data`; /ws receives binary messages and hashes them. */
async function serve(bundles, data) {
  const received = [];
  let onReceived;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/') {
      res.setHeader('content-type', 'text/html');
      res.end(`<!doctype html><script type="module">import { cases } from '/${url.searchParams.get('b')}.js'; window.ready = true;</script>`);
    } else if (url.pathname === '/esbuild.js' || url.pathname === '/rollup.js') {
      res.setHeader('content-type', 'text/javascript');
      res.end(bundles[url.pathname.slice(1, -3)]);
    } else if (url.pathname === '/data.bin') {
      res.setHeader('content-type', 'application/octet-stream');
      res.end(data);
    } else { res.statusCode = 404; res.end(); }
  });
  const wss = new WebSocketServer({ server, path: '/ws' });
  wss.on('connection', (ws) => {
    const chunks = [];
    let messages = 0;
    ws.on('message', (m) => { chunks.push(m); messages++; });
    ws.on('close', (code) => {
      const bytes = Buffer.concat(chunks);
      const r = { bytes: bytes.length, sha: sha(bytes), messages, code };
      if (onReceived) onReceived(r); else received.push(r);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${server.address().port}`,
    next: () => (received.length ? Promise.resolve(received.shift()) : new Promise((r) => { onReceived = r; })),
    close: () => { for (const c of wss.clients) c.terminate(); wss.close(); server.closeAllConnections(); return new Promise((r) => server.close(r)); },
  };
}

if (browserPath.why) {
  unavailable('Chromium', browserPath.why);
} else {
  const data = randomBytes(8 * 1024 * 1024 + 11);
  let browser, site, page;

  test.before(async () => {
    const { consumer } = packed();
    site = await serve(await bundlePage(consumer), data);
    browser = await chromium.launch({ executablePath: browserPath.path, args: ['--no-sandbox'] });
    console.log(`  Chromium ${browser.version()}`);
  });
  test.after(async () => { await browser?.close(); await site?.close(); });

  /** Loads the page with one bundle; `run(name, ...args)` runs a case in it. */
  async function open(bundler) {
    page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${site.base}/?b=${bundler}`);
    await within(20_000, page.waitForFunction(() => window.ready === true), `the ${bundler} page`).catch((err) => {
      throw new Error(`${err.message}: ${errors.join('; ')}`);
    });
  }
  const run = (name, ...args) => within(60_000, page.evaluate(([n, a]) => window.cases[n](...a), [name, args]), name);

  test('esbuild bundle: a File slice into a WritableStream, SHA-256 checked in the page', async () => {
    await open('esbuild');
    assert.equal(await run('fileSlice'), { sent: 2_000_000, match: true, unlocked: true });
  });

  test('a whole Blob', async () => {
    assert.equal(await run('wholeBlob'), { sent: 1_048_579, match: true });
  });

  test('a byte ReadableStream with an offset skips that many bytes; the stream is unlocked after', async () => {
    assert.equal(await run('byteStreamOffset'), { sent: 130_000, match: true, unlocked: true });
  });

  test('a slow sink with no room: every write waits for desiredSize > 0, nothing lost', async () => {
    const r = await run('slowSink');
    assert.is(r.sent, 600_000);
    assert.ok(r.match);
    assert.ok(r.writes >= 600_000 / 65_536, `${r.writes} writes`);
    assert.ok(r.allWaited, 'a write went in while the sink had no room');
  });

  test('abort while the sink hangs: AbortError at once, cause kept, bytesSent counts what went', async () => {
    const r = await run('abort');
    assert.is(r.name, 'AbortError');
    assert.is(r.code, 'ABORT_ERR');
    assert.ok(r.ms < 5000, `settled after ${r.ms} ms`);
    assert.ok(r.bytesSent >= r.sinkGot && r.sinkGot > 0, `bytesSent ${r.bytesSent}, the sink got ${r.sinkGot}`);
    assert.ok(r.causeIsReason, 'cause is signal.reason');
  });

  test('fallback: false rejects with SendfileNotAvailableError before any write', async () => {
    const r = await run('fallbackFalse');
    assert.is(r.name, 'SendfileNotAvailableError');
    assert.is(r.code, 'ERR_SENDFILE_NOT_AVAILABLE');
    assert.is(r.bytesSent, 0);
    assert.ok(r.instance);
    assert.is(r.writes, 0);
  });

  test('bad arguments: the contract errors and codes; nothing written', async () => {
    const r = await run('badArguments');
    assert.equal([r.sock.isTypeError, r.sock.code, r.sock.message], [true, 'ERR_INVALID_ARG_TYPE', 'only SOCK_STREAM type sockets are supported']);
    assert.equal([r.file.isTypeError, r.file.code], [true, 'ERR_INVALID_ARG_TYPE']);
    assert.equal([r.countString.isTypeError, r.countString.code, r.countString.message], [true, 'ERR_INVALID_ARG_TYPE', "count must be a positive integer (got '10')"]);
    assert.equal([r.countNegative.isRangeError, r.countNegative.code], [true, 'ERR_OUT_OF_RANGE']);
    assert.equal([r.offsetNegative.isRangeError, r.offsetNegative.message], [true, 'offset must be a non-negative integer (got -1n)']);
    assert.equal([r.locked.code, r.locked.bytesSent], ['ERR_INVALID_STATE', 0]);
    assert.is(r.openFile.code, 'ERR_METHOD_NOT_IMPLEMENTED');
    assert.is(r.writes, 0);
    assert.is(r.capabilities.native, false);
    assert.type(r.capabilities.reason, 'string');
  });

  test('over a real WebSocket (a sink honouring bufferedAmount) to a Node server that checks the bytes', async () => {
    const offset = 1_000_003, count = 6 * 1024 * 1024;
    const got = site.next();
    const r = await run('webSocket', `${site.base.replace('http', 'ws')}/ws`, `${site.base}/data.bin`, offset, count);
    assert.is(r.sent, count);
    assert.is(r.progress, count);
    const server = await within(20_000, got, 'the WebSocket server');
    assert.is(server.bytes, count);
    assert.is(server.sha, sha(data.subarray(offset, offset + count)));
    assert.is(server.code, 1000);
    assert.ok(r.maxBuffered <= r.limit + 256 * 1024, `bufferedAmount reached ${r.maxBuffered}`);
    await page.close();
  });

  test('the Rollup bundle runs the same page', async () => {
    await open('rollup');
    assert.equal(await run('fileSlice'), { sent: 2_000_000, match: true, unlocked: true });
    assert.equal(await run('byteStreamOffset'), { sent: 130_000, match: true, unlocked: true });
    assert.is((await run('fallbackFalse')).code, 'ERR_SENDFILE_NOT_AVAILABLE');
    await page.close();
  });
}

test.run();
