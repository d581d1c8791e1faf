// Regression test for what the soak's fd-starved worker caught: an off-thread sendfile whose
// dup() fails with EMFILE failed the whole transfer ("sendfile failed: EMFILE", bytesSent at
// the first 2 MiB) although the transfer itself needs no new descriptor. It now sends that
// piece on the JS thread. Runs a child under `ulimit -n 64` that uses up its descriptors
// mid-transfer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CI } from '../lib.js';

const child = fileURLToPath(new URL('./fixtures/exhaust.js', import.meta.url));

test('descriptor exhaustion during an off-thread sendfile: the transfer completes, byte for byte', () => {
  const r = spawnSync('bash', ['-c', 'ulimit -n 64 && exec "$0" "$1"', process.execPath, child], { encoding: 'utf8', timeout: 120_000 });
  if (r.error?.code === 'ENOENT') {
    if (CI) assert.unreachable('bash is needed for ulimit');
    console.log('skip: bash is not available for ulimit');
    return;
  }
  assert.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop());
  assert.ok(out.exhausted > 0, 'descriptors were used up mid-transfer');
  assert.equal(out.outcome, { resolved: out.size }, JSON.stringify(out));
  assert.is(out.arrived, out.size);
  assert.ok(out.same, 'the peer got the file');
  assert.is(out.position, out.size, 'position = offset + bytesSent');
  if (!out.native) console.log(`note: no native backend here (${out.native}): the buffered path was exercised instead`);
});

test.run();
