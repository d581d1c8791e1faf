// The edge bundle in real workerd: a Worker that imports dist/workerd.js (with core.wasm beside
// it, as a Worker project would) sends a Blob slice and a whole body stream through
// `connect()` to a TCP receiver on 127.0.0.1, which checks the bytes by SHA-256. workerd's
// globalOutbound is a network service that allows local addresses only.
// Outside CI a workerd that cannot start is a skip; with CI=true, a failure.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root, sha, stage, receiver, freePort, start, run, within, unavailable, waitHttp } from './_helpers.js';

// TEST_WORKERD: another workerd binary (and a way to see the skip path).
const workerd = process.env.TEST_WORKERD || join(root, 'node_modules/.bin/workerd');
const bundle = join(root, 'dist/workerd.js');
const wasm = join(root, 'dist/core.wasm');

// What any Worker project relies on, whether or not workerd runs here.
test('dist/workerd.js: default-imports ./core.wasm beside it, no node:* imports', () => {
  assert.ok(existsSync(bundle) && existsSync(wasm), 'run build.sh first');
  const src = readFileSync(bundle, 'utf8');
  assert.match(src, /^import \w+ from "\.\/core\.wasm";$/m);
  assert.not.match(src, /from\s+["']node:/);
  assert.not.match(src, /import\s*\{[^}]*\}\s*from\s*["'][^"']*\.wasm["']/, 'named wasm imports fail at Worker start-up');
  assert.not.match(src, /new WebAssembly\.Module\(|WebAssembly\.compile/, 'workerd refuses to compile bytes');
});

let why = '';
const version = await run(workerd, ['--version'], { ms: 30_000 }).catch((err) => ({ code: -1, stderr: err.message }));
if (!existsSync(workerd)) why = `${workerd} missing`;
else if (version.code !== 0) why = `workerd does not start: ${(version.stderr || version.stdout || 'no output').trim().split('\n').pop()}`;

function config(httpPort) {
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "readme", worker = .readme),
    (name = "loopback", network = (allow = ["local"])),
  ],
  sockets = [
    (name = "http", address = "127.0.0.1:${httpPort}", http = (), service = "main"),
    (name = "readme", address = "127.0.0.1:${httpPort + 1}", http = (), service = "readme"),
  ],
);

const readme :Workerd.Worker = (
  modules = [
    (name = "readme.js", esModule = embed "readme.js"),
    (name = "sock-sendfile", esModule = embed "workerd.js"),
    (name = "core.wasm", wasm = embed "core.wasm"),
  ],
  compatibilityDate = "2025-06-01",
  globalOutbound = "loopback",
);

const worker :Workerd.Worker = (
  modules = [
    (name = "main.js", esModule = embed "main.js"),
    (name = "workerd.js", esModule = embed "workerd.js"),
    (name = "core.wasm", wasm = embed "core.wasm"),
  ],
  compatibilityDate = "2025-06-01",
  globalOutbound = "loopback",
);
`;
}

if (why) {
  unavailable('workerd', why);
} else {
  let server, rx, base, readmeBase;

  test.before(async () => {
    rx = await receiver();
    const dir = stage({
      'main.js': join(root, 'test/web/fixtures/worker.js'),
      'readme.js': join(root, 'test/web/fixtures/readme-worker.js'),
      'workerd.js': bundle,
      'core.wasm': wasm,
    });
    // A port picked here can be taken before workerd binds it: try a few.
    for (let attempt = 0; attempt < 3 && !base; attempt++) {
      const port = await freePort();
      writeFileSync(join(dir, 'config.capnp'), config(port));
      server = start(workerd, ['serve', join(dir, 'config.capnp'), '--verbose'], { cwd: dir });
      const up = await waitHttp(`http://127.0.0.1:${port}/health`, server, 20_000);
      if (up) { base = `http://127.0.0.1:${port}`; readmeBase = `http://127.0.0.1:${port + 1}`; }
      else await server.kill();
    }
    assert.ok(base, `workerd did not serve: ${server?.out.stderr.slice(-2000)}`);
  });

  test.after(async () => {
    await server?.kill();
    await rx?.close();
  });

  test('workerd: a Blob slice (offset, count) through connect(), then the caller writes again', async () => {
    const data = randomBytes(1_000_000 + 17);
    const offset = 123_457, count = 654_321;
    const res = await within(30_000, fetch(`${base}/?mode=blob&port=${rx.port}&offset=${offset}&count=${count}`, { method: 'POST', body: data }), 'the Worker');
    const body = await res.json();
    assert.is(res.status, 200, JSON.stringify(body));
    assert.is(body.sent, count);
    assert.ok(body.progressCalls >= 1);
    assert.equal(body.capabilities.native, false);
    const got = await within(10_000, rx.conn(), 'the receiver');
    const expected = Buffer.concat([data.subarray(offset, offset + count), Buffer.from(`\n-- sent ${count} --\n`)]);
    assert.is(got.bytes.length, expected.length);
    assert.is(got.sha, sha(expected));
  });

  test("workerd: the README's Worker example, importing 'sock-sendfile' by name", async () => {
    const data = randomBytes(5000);
    const res = await within(30_000, fetch(`${readmeBase}/?host=127.0.0.1&port=${rx.port}`, { method: 'POST', body: data }), 'the Worker');
    const body = await res.json();
    assert.equal(body, { sent: 1000 });
    const got = await within(10_000, rx.conn(), 'the receiver');
    assert.is(got.sha, sha(data.subarray(100, 1100)));
  });

  test('workerd: the whole request body stream', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 5);
    const res = await within(30_000, fetch(`${base}/?mode=stream&port=${rx.port}`, { method: 'POST', body: data }), 'the Worker');
    const body = await res.json();
    assert.is(res.status, 200, JSON.stringify(body));
    assert.is(body.sent, data.length);
    const got = await within(10_000, rx.conn(), 'the receiver');
    assert.is(got.sha, sha(Buffer.concat([data, Buffer.from(`\n-- sent ${data.length} --\n`)])));
  });

  test('workerd: fallback: false rejects with SendfileNotAvailableError and sends nothing', async () => {
    const res = await within(30_000, fetch(`${base}/?mode=blob&port=${rx.port}&fallback=false`, { method: 'POST', body: randomBytes(1000) }), 'the Worker');
    const body = await res.json();
    assert.is(res.status, 500);
    assert.is(body.name, 'SendfileNotAvailableError');
    assert.is(body.code, 'ERR_SENDFILE_NOT_AVAILABLE');
    assert.is(body.bytesSent, 0);
    const got = await within(10_000, rx.conn(), 'the receiver');
    assert.is(got.bytes.length, 0);
  });

  test('workerd: a stream with an offset skips that many bytes; count past the end stops at EOF', async () => {
    const data = randomBytes(200_000);
    const res = await within(30_000, fetch(`${base}/?mode=stream&port=${rx.port}&offset=70000&count=999999`, { method: 'POST', body: data }), 'the Worker');
    const body = await res.json();
    assert.is(res.status, 200, JSON.stringify(body));
    assert.is(body.sent, 130_000);
    const got = await within(10_000, rx.conn(), 'the receiver');
    assert.is(got.sha, sha(Buffer.concat([data.subarray(70_000), Buffer.from('\n-- sent 130000 --\n')])));
  });
}

test.run();
