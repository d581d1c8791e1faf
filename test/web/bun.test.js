// The generic Web-streams entry (`sock-sendfile/web`, dist/web.js) under Bun, with a socket made
// a WritableStream by Writable.toWeb: what the README's runtime table says works there.
// Outside CI a Bun that cannot start is a skip; with CI=true, a failure.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CI, bun, bunStartFailure, root, runChild, lastJson } from '../native/_setup.js';

const fixture = fileURLToPath(new URL('fixtures/bun-web.js', import.meta.url));
const why = bunStartFailure();

if (why && CI) {
  test('Bun starts (required with CI=true)', () => { assert.unreachable(why); });
} else if (why) {
  console.log(`skip: web entry under Bun (${why})`);
  test.skip('web entry under Bun', () => {});
} else {
  test('web entry under Bun: Writable.toWeb(socket) as the sink, Blob slices and a byte stream, SHA-256 exact', async () => {
    const r = await runChild(bun, [fixture, join(root, 'dist/web.js')]);
    const report = lastJson(r.stdout);
    assert.match(report.runtime, /^bun /);
    assert.is(report.capabilities.native, false);
    for (const [name, c] of Object.entries(report.cases)) {
      assert.is(c.sha, c.want, `${name}: bytes differ`);
      assert.is(c.n, c.bytes, `${name}: count ${c.n}, received ${c.bytes}`);
    }
    assert.is(Object.keys(report.cases).length, 3);
  });
}

test.run();
