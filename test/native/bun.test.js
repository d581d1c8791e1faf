// The addon under Bun: loads through N-API (no libuv), finds the socket fd Bun exposes as
// `socket._handle.fd`, and sends byte-exact over loopback, sync and async.
// Outside CI a Bun that cannot start is a skip; with CI=true, a failure.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CI, bun, bunStartFailure, ensureAddon, bundleAddon, runChild, lastJson, fixture } from './_setup.js';

assert.ok(ensureAddon(), 'native/build.sh did not produce the addon');
const bundle = await bundleAddon();
const why = bunStartFailure();

if (why) {
  if (CI) {
    test('Bun starts (required with CI=true)', () => { assert.unreachable(why); });
  } else {
    console.log(`skip: Bun tests (${why})`);
    test.skip('addon under Bun', () => {});
    test('skip reason recorded', () => { assert.ok(why); });
  }
} else {
  test('addon under Bun: byte-exact sendfile and sendfileAsync, EAGAIN, errnos', async () => {
    const r = await runChild(bun, [fixture('child-check.js'), bundle], { env: { SOCK_SENDFILE_NATIVE: '' } });
    const report = lastJson(r.stdout);
    assert.match(report.runtime, /^bun /);
    assert.is(report.backend, 'linux-sendfile', report.reason);
    assert.equal(report.failures, [], JSON.stringify(report.checks));
    assert.ok(Object.keys(report.checks).length >= 10);
  });

  test("Bun: SOCK_SENDFILE_NATIVE=0 and 'none' behave as in Node", async () => {
    const off = lastJson((await runChild(bun, [fixture('child-check.js'), bundle], { env: { SOCK_SENDFILE_NATIVE: '0' } })).stdout);
    assert.is(off.backend, null);
    assert.is(off.reason, 'disabled by SOCK_SENDFILE_NATIVE=0');
    const none = lastJson((await runChild(bun, [fixture('child-check.js'), bundle], { env: { SOCK_SENDFILE_NATIVE: 'none' } })).stdout);
    assert.is(none.backend, 'none');
    assert.match(none.failures.join('\n'), /ENOSYS/, 'the ENOSYS variant sends nothing');
  });
}

test.run();
