// The core against its reference model, 100,000 generated scenarios in all (test/core/
// property.js). The seed is new each run and printed; FC_SEED=n replays one. `npm run fuzz`
// runs the same property for much longer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { check, runSeed } from './property.js';
import { runScenario } from './model.js';

const seed = runSeed();
console.log(`fast-check seed ${seed} (FC_SEED=${seed} replays it)`);

test('release build: 80,000 scenarios keep every rule of the model', () => {
  check(80_000, { seed, build: 'release' });
});

test('debug build (assertions on): 20,000 scenarios', () => {
  check(20_000, { seed: seed + 1, build: 'debug' });
});

test('the model catches a core that breaks a rule', () => {
  const s = {
    config: 1,
    specs: [{ offset: 3, count: 20, size: 50, real: 50, sizeKnown: true, native: false, fallback: true }],
    steps: [[0, 0, 0]],
  };
  assert.is(runScenario(s)[0].completed, 20, 'a plain scenario sends its slice');
  // A core that reads one byte too far on, and one that counts a byte it never sent.
  assert.throws(() => runScenario(s, 'release', (x) => ({ ...x, actOffset: () => x.actOffset() + 1 })), /cursor/);
  assert.throws(() => runScenario(s, 'release', (x) => ({ ...x, sent: (t) => x.sent(t) + 1 })), /completed bytes/);
});

test.run();
