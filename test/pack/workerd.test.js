// The README's Worker, bundled by esbuild from the installed tarball both ways the README gives
// for the .wasm import (`--loader:.wasm=copy`, and `--external:*.wasm` with core.wasm copied
// beside the output), then run in workerd (the npm devDependency) against a loopback TCP
// receiver that checks the bytes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { packed, project, root, run, start, unavailable, within } from './_pack.js';
import { freePort, receiver, sha, waitHttp } from '../web/_helpers.js';

const workerd = join(root, 'node_modules/.bin/workerd');
const version = existsSync(workerd) ? await run(workerd, ['--version'], { ms: 30_000 }).catch((err) => ({ code: -1, stderr: err.message })) : { code: -1, stderr: `${workerd} missing` };

/** Bundles the README Worker into `<dir>/<name>/`; returns the module list for workerd's config. */
async function bundleWorker(dir, name, wasm) {
  const out = join(dir, name);
  await build({
    entryPoints: [join(dir, 'worker.js')], bundle: true, format: 'esm', platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'], external: ['cloudflare:sockets', ...(wasm === 'external' ? ['*.wasm'] : [])],
    loader: wasm === 'copy' ? { '.wasm': 'copy' } : {}, outdir: out, logLevel: 'error',
  });
  if (wasm === 'external') copyFileSync(join(dir, '../node_modules/sock-sendfile/dist/core.wasm'), join(out, 'core.wasm'));
  const src = readFileSync(join(out, 'worker.js'), 'utf8');
  assert.not.match(src, /from\s+["']node:/, 'a node: import in a Worker bundle');
  // The first module is the Worker's main module.
  return ['worker.js', ...readdirSync(out).filter((f) => f.endsWith('.wasm'))].map((f) => (f.endsWith('.wasm')
    ? `(name = "${f}", wasm = embed "${name}/${f}")`
    : `(name = "${f}", esModule = embed "${name}/${f}")`));
}

function config(port, workers) {
  const names = Object.keys(workers);
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    ${names.map((n) => `(name = "${n}", worker = .${n}),`).join('\n    ')}
    (name = "loopback", network = (allow = ["local"])),
  ],
  sockets = [
    ${names.map((n, i) => `(name = "${n}", address = "127.0.0.1:${port + i}", http = (), service = "${n}")`).join(',\n    ')}
  ],
);
${names.map((n) => `const ${n} :Workerd.Worker = (
  modules = [ ${workers[n].join(', ')} ],
  compatibilityDate = "2025-06-01",
  globalOutbound = "loopback",
);`).join('\n')}
`;
}

if (version.code !== 0) {
  unavailable('workerd', `workerd does not start: ${(version.stderr || version.stdout || '').trim().split('\n').pop()}`);
} else {
  let server, rx, port;
  const kinds = ['copy', 'external'];

  test.before(async () => {
    const { consumer } = packed();
    const dir = project(consumer, 'worker-app', { 'worker.js': readFileSync(join(root, 'test/web/fixtures/readme-worker.js'), 'utf8') });
    const workers = {};
    for (const k of kinds) workers[k] = await bundleWorker(dir, k, k);
    rx = await receiver();
    // A port picked here can be taken before workerd binds it: try a few.
    for (let attempt = 0; attempt < 3 && !port; attempt++) {
      const p = await freePort();
      writeFileSync(join(dir, 'config.capnp'), config(p, workers));
      server = start(workerd, ['serve', join(dir, 'config.capnp')], { cwd: dir });
      if (await waitHttp(`http://127.0.0.1:${p}/`, server, 20_000) && await waitHttp(`http://127.0.0.1:${p + 1}/`, server, 5000)) port = p;
      else await server.kill();
    }
    assert.ok(port, `workerd did not serve: ${server?.out.stderr.slice(-2000)}`);
  });

  test.after(async () => { await server?.kill(); await rx?.close(); });

  kinds.forEach((kind, i) => {
    test(`esbuild with the .wasm ${kind === 'copy' ? 'copied by --loader:.wasm=copy' : 'left external, core.wasm beside the bundle'}: the Worker sends bytes 100..1099`, async () => {
      const data = randomBytes(5000);
      const res = await within(30_000, fetch(`http://127.0.0.1:${port + i}/?host=127.0.0.1&port=${rx.port}`, { method: 'POST', body: data }), 'the Worker');
      assert.equal(await res.json(), { sent: 1000 });
      const got = await within(10_000, rx.conn(), 'the receiver');
      assert.is(got.sha, sha(data.subarray(100, 1100)));
    });
  });
}

test.run();
