// Property-based runs of the WASM core against the reference model (test/core/model.js):
// fast-check draws a core size, up to seven transfers (more than the core has entries, and
// always more than its slots can serve at once) and up to 120 host events (pump, complete an
// operation in full or short, EOF, an error, EAGAIN, a detached write, a report of more than
// was asked, abort, finish). A failure prints fast-check's shrunk counterexample and the seed
// that reproduces it.
import fc from 'fast-check';
import { CONFIGS, runScenario } from './model.js';

const spec = fc.record({
  offset: fc.nat(40),
  count: fc.oneof(fc.constant(-1), fc.integer({ min: 1, max: 60 })),
  size: fc.nat(60),
  real: fc.nat(60),
  sizeKnown: fc.boolean(),
  native: fc.boolean(),
  fallback: fc.boolean(),
});

export const scenario = fc.record({
  config: fc.nat(CONFIGS.length - 1),
  specs: fc.array(spec, { minLength: 1, maxLength: 7 }),
  steps: fc.array(fc.tuple(fc.nat(9), fc.nat(1000), fc.nat(1000)), { maxLength: 120 }),
});

/** Runs `runs` scenarios on a build; throws fast-check's report (counterexample, seed) on failure. */
export function check(runs, { seed, build = 'release' } = {}) {
  return assertProperty(fc.property(scenario, (s) => { runScenario(s, build); }), { numRuns: runs, seed }, `${build} core broke a rule of the model`);
}

/**
 * fc.check with a report that says what broke: the property's own error, the shrunk
 * counterexample, and the seed and path that replay it. Returns a promise for async properties.
 */
export function assertProperty(property, { numRuns, seed }, what = 'property failed') {
  const params = { numRuns, ...(seed !== undefined ? { seed } : {}) };
  const report = (details) => {
    if (!details.failed) return details;
    const why = details.errorInstance?.message ?? String(details.error);
    throw new Error(`${what}: ${why}\n`
      + `counterexample (shrunk ${details.numShrinks} times): ${fc.stringify(details.counterexample)}\n`
      + `seed ${details.seed}, path ${details.counterexamplePath} (FC_SEED=${details.seed} replays it)`);
  };
  const details = fc.check(property, params);
  return details instanceof Promise ? details.then(report) : report(details);
}

/** A seed for this run: FC_SEED, or a new one; printed so a failure can be replayed. */
export function runSeed() {
  return process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : Math.floor(Math.random() * 2 ** 31);
}
