#!/usr/bin/env node
// `npm run fuzz -- [--runs N] [--seed S]`: the core's property (test/core/property.js) for a long
// run, alternating the release and debug builds in batches of 100,000 scenarios, each batch with
// its own seed (seed, seed + 1, ...). Stops at the first failure, which prints the shrunk
// counterexample and the seed that replays it (FC_SEED=s node test/core/property.test.js).
import { check } from './property.js';

let runs = 2_000_000;
let seed = Math.floor(Math.random() * 2 ** 31);
const argv = process.argv.slice(2);
for (let k = 0; k < argv.length; k++) {
  if (argv[k] === '--runs') runs = Number(argv[++k]);
  else if (argv[k] === '--seed') seed = Number(argv[++k]);
  else { console.error('usage: fuzz.js [--runs N] [--seed S]'); process.exit(2); }
}
if (!(runs > 0) || !Number.isSafeInteger(seed)) { console.error('--runs must be positive and --seed an integer'); process.exit(2); }

const BATCH = 100_000;
const started = Date.now();
let done = 0;
for (let b = 0; done < runs; b++) {
  const n = Math.min(BATCH, runs - done);
  const build = b % 2 ? 'debug' : 'release';
  try {
    check(n, { seed: seed + b, build });
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
  done += n;
  console.log(`${done.toLocaleString('en-US')} scenarios (${build}, seed ${seed + b}), ${((Date.now() - started) / 1000).toFixed(0)} s`);
}
console.log(`fuzz: ${done.toLocaleString('en-US')} scenarios, no rule of the model broken (seeds ${seed}..${seed + Math.ceil(runs / BATCH) - 1})`);
