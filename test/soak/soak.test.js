// The soak (test/soak/soak.js) for 30 seconds with a fixed seed: mixed transfers over TCP, Unix
// and TLS, native and buffered, with faults, checked byte by byte; the run must end with no
// violation and with the load it claims (1,000 transfers in flight at once, every fault kind
// injected). `npm run soak -- --seconds N --seed S` runs it for longer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FAULTS } from './plan.js';

const soak = fileURLToPath(new URL('./soak.js', import.meta.url));
const SECONDS = 30, SEED = 15;

function run() {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [soak, '--seconds', String(SECONDS), '--seed', String(SEED), '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), (SECONDS + 150) * 1000);
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, out }); });
  });
}

test(`soak: ${SECONDS} s, seed ${SEED}: no violation`, async () => {
  const { code, signal, out } = await run();
  process.stdout.write(out.split('\nSOAK_RESULT ')[0] + '\n');
  const line = out.split('\n').find((l) => l.startsWith('SOAK_RESULT '));
  assert.ok(line, `the soak printed no result (exit ${code}, signal ${signal})`);
  const result = JSON.parse(line.slice('SOAK_RESULT '.length));
  assert.is(result.violations, 0, 'violations (listed in the table above)');
  assert.is(code, 0);
  const byName = Object.fromEntries(result.workers.map((w) => [w.name, w]));
  for (const name of ['native', 'buffered', 'lowfd']) assert.ok(byName[name]?.transfers > 100, `${name} ran transfers`);
  assert.ok(byName.native.peakInFlight >= 1000 && byName.buffered.peakInFlight >= 1000, '1,000 transfers in flight at once');
  for (const fault of FAULTS.filter((f) => f !== 'none')) {
    const n = result.workers.reduce((a, w) => a + (w.faults[fault] ?? 0), 0);
    assert.ok(n > 0, `fault ${fault} was injected`);
  }
  for (const fault of ['slow-reader', 'resume', 'busy-pool', 'in-flight burst', 'descriptors exhausted']) {
    assert.ok(result.workers.some((w) => w.faults[fault] > 0), `fault ${fault} was injected`);
  }
});

test.run();
