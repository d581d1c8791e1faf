// loadNativeBackend's choices under SOCK_SENDFILE_NATIVE, and the ENOSYS variant loaded on purpose.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, openSync } from 'node:fs';
import { ensureAddon, bundleAddon, importBundle } from './_setup.js';
import { E, connectedPair, makeFile, socketFd } from './fixtures/lib.js';

assert.ok(ensureAddon(), 'native/build.sh did not produce the addon');
const mod = await importBundle(await bundleAddon());
const bare = await importBundle(await bundleAddon({ withNative: false }));

function withEnv(value, fn) {
  const before = process.env.SOCK_SENDFILE_NATIVE;
  if (value === undefined) delete process.env.SOCK_SENDFILE_NATIVE;
  else process.env.SOCK_SENDFILE_NATIVE = value;
  try { return fn(); } finally {
    if (before === undefined) delete process.env.SOCK_SENDFILE_NATIVE;
    else process.env.SOCK_SENDFILE_NATIVE = before;
  }
}

test('unset: the addon', () => {
  const r = withEnv(undefined, () => mod.loadNativeBackend());
  assert.ok(r.backend, r.reason);
  assert.is(r.backend.name, 'linux-sendfile');
  assert.is(r.reason, undefined);
});

test("'0': no backend, with the reason", () => {
  const r = withEnv('0', () => mod.loadNativeBackend());
  assert.is(r.backend, null);
  assert.is(r.reason, 'disabled by SOCK_SENDFILE_NATIVE=0');
});

test("'ffi' on a Node without node:ffi: no backend, a reason, no throw, never the addon", () => {
  if (Number(process.versions.node.split('.')[0]) >= 26) return; // ffi.test.js covers 26+
  const r = withEnv('ffi', () => mod.loadNativeBackend());
  assert.is(r.backend, null);
  assert.match(r.reason, /^node:ffi backend unavailable: /);
});

test('no addon beside the bundle: no backend, the reason says so', () => {
  const r = withEnv(undefined, () => bare.loadNativeBackend());
  assert.is(r.backend, null);
  assert.match(r.reason, /native addon not built/);
});

test("'none': the ENOSYS variant, every call -ENOSYS", async () => {
  const { backend: b, reason } = withEnv('none', () => mod.loadNativeBackend());
  assert.ok(b, reason);
  assert.is(b.name, 'none');
  const file = makeFile(1000);
  const fd = openSync(file.path, 'r');
  const p = await connectedPair();
  try {
    assert.is(b.sendfile(socketFd(p.client), fd, 0, 1000), -E.ENOSYS);
    assert.is(b.lseek(fd, 10), -E.ENOSYS);
    const out = new Float64Array([7, 7]);
    assert.is(b.fstat(fd, out), -E.ENOSYS);
    assert.equal([...out], [7, 7], 'out untouched');
    assert.is(b.fadviseDontneed(fd), -E.ENOSYS);
    let sync = true;
    const r = await new Promise((resolve) => {
      assert.is(b.sendfileAsync(socketFd(p.client), fd, 0, 1000, resolve), 0);
      sync = false;
    });
    assert.not.ok(sync);
    assert.is(r, -E.ENOSYS);
    // Argument checks stay in the glue, so they behave as in the real backend.
    assert.is(b.sendfile(socketFd(p.client), fd, -1, 10), -E.EINVAL);
  } finally {
    p.close();
    closeSync(fd);
    file.cleanup();
  }
  p.client.end();
});

test('the env is read on each call', () => {
  assert.is(withEnv('0', () => mod.loadNativeBackend()).backend, null);
  assert.is(withEnv('none', () => mod.loadNativeBackend()).backend.name, 'none');
  assert.is(withEnv(undefined, () => mod.loadNativeBackend()).backend.name, 'linux-sendfile');
});

test.run();
