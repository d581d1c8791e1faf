// What one soak transfer will do, drawn from a generator seeded by (run seed, worker, index):
// the same seed gives the same plans, so a violation names a plan that can be replayed (the
// timing around it cannot be).
//
// Invariants:
// - Exactly one fault per plan (or none), so each outcome has one expected shape; a slow
//   reader is not a fault of the sender and may come with any of them.
// - A plan that destroys the socket waits for the connection and for its header to leave, so
//   the receiver always learns which transfer a connection carried.
// - Big files are rare and never go over TLS or a Writable (they would dominate the run).
import { rng } from '../core/sim.js';

export const FAULTS = [
  'none', 'peer-reset', 'abort-before', 'abort-timer', 'abort-progress', 'progress-throws',
  'destroy', 'second-call', 'truncate', 'extend',
];

// Weights of the faults above, per worker profile: the fd-starved worker keeps to plain
// transfers and the faults that hold descriptors longest.
const WEIGHTS = {
  default: [40, 9, 2, 7, 6, 3, 8, 3, 4, 4],
  lowfd: [60, 5, 0, 5, 5, 0, 10, 0, 0, 0],
};

export function seeded(seed, worker, i) {
  let h = (seed >>> 0) ^ Math.imul(worker + 1, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  return rng(h || 1);
}

const pick = (r, items) => items[Math.floor(r() * items.length)];
const between = (r, lo, hi) => lo + Math.floor(r() * (hi - lo + 1));

function weighted(r, names, weights) {
  let x = r() * weights.reduce((a, b) => a + b, 0);
  for (let k = 0; k < names.length; k++) if ((x -= weights[k]) < 0) return names[k];
  return names[names.length - 1];
}

/** files: [{ path, key, size, band }] with band 'tiny' | 'small' | 'medium' | 'big' | 'huge'. */
function pickFile(r, files, bands) {
  const band = weighted(r, bands.map((b) => b[0]), bands.map((b) => b[1]));
  const inBand = files.filter((f) => f.band === band);
  return pick(r, inBand.length ? inBand : files);
}

function sliceOf(r, size) {
  let offset;
  const o = r();
  if (o < 0.4) offset = 0;
  else if (o < 0.85) offset = between(r, 0, Math.max(0, size - 1));
  else if (o < 0.93) offset = size; // at EOF: 0 bytes
  else offset = size + between(r, 1, 1 << 20); // past EOF
  let count;
  const c = r();
  if (c < 0.3) count = undefined;
  else if (c < 0.35) count = null;
  else if (c < 0.85) count = between(r, 1, Math.max(1, size - Math.min(offset, size) + 10));
  else count = between(r, 1, 2 ** 40); // far past EOF
  // Some numbers cross as bigints, which the API accepts as well.
  if (r() < 0.08) offset = BigInt(offset);
  if (typeof count === 'number' && r() < 0.08) count = BigInt(count);
  return { offset, count };
}

/** Bytes the transfer must deliver for a file of `size` bytes (before any mutation). */
export function expectedLength(offset, count, size) {
  const off = Number(offset);
  const end = count === undefined || count === null ? size : Math.min(size, off + Number(count));
  return Math.max(0, end - off);
}

/**
 * A plan for transfer i of a worker. opts: { profile, burst (a held transfer for the
 * in-flight burst), huge (send the 256 MiB file) }.
 */
export function makePlan(seed, worker, i, files, opts = {}) {
  const r = seeded(seed, worker, i);
  const profile = opts.profile ?? 'default';
  let kind = weighted(r, ['tcp', 'unix', 'tls', 'writable'], [45, 30, 13, 12]);
  let fault = weighted(r, FAULTS, WEIGHTS[profile]);
  const bands = profile === 'lowfd'
    ? [['tiny', 15], ['small', 25], ['medium', 45], ['big', 15]]
    : [['tiny', 30], ['small', 35], ['medium', 30], ['big', 5]];
  let file = pickFile(r, files, bands);
  if (opts.burst) {
    // Held open by a reader that waits before reading: the transfer stays in flight, as a
    // Unix socket's buffers (about 200 KiB) and one write-through chunk hold less than the file.
    kind = 'unix';
    file = pick(r, files.filter((f) => f.band === 'medium' && f.size > 700_000 && f.size < 3_000_000));
    if (!['none', 'abort-progress', 'destroy'].includes(fault)) fault = 'none';
  }
  if (opts.huge) {
    kind = pick(r, ['tcp', 'unix']);
    file = files.find((f) => f.band === 'huge') ?? file;
    fault = 'none';
  }
  if ((file.band === 'big' || file.band === 'huge') && (kind === 'tls' || kind === 'writable')) kind = 'tcp';
  const mutation = fault === 'truncate' || fault === 'extend';
  const size = mutation ? between(r, 1 << 20, 6 << 20) : file.size;
  // A mutated file and a held transfer need a long slice: the fault, or the hold, comes mid-way.
  const { offset, count } = mutation ? { offset: between(r, 0, 1 << 19), count: r() < 0.5 ? undefined : between(r, 1 << 20, 8 << 20) }
    : opts.burst ? { offset: between(r, 0, 4096), count: r() < 0.5 ? undefined : size }
    : sliceOf(r, size);
  const expect = expectedLength(offset, count, size);
  const source = pick(r, ['sendfile-file', 'fd', 'filehandle']);
  const destroying = fault === 'destroy';
  const slow = opts.burst || mutation || destroying || r() < 0.25;
  const plan = {
    i, kind, fault, source, offset, count, expect,
    file: mutation ? { key: 1_000_000 + worker * 100_000 + i, size, band: 'mutation' } : { path: file.path, key: file.key, size, band: file.band },
    // The transfer is called while the socket still connects (its header still queued in Node).
    waitConnect: destroying || kind === 'writable' || r() < 0.75,
    headerFlushed: destroying || r() < 0.5,
    // Position before the call: a SendfileFile is seek()ed there, an fd read that far.
    p0: r() < 0.3 ? between(r, 1, 1000) : 0,
    // Receiver behaviour.
    // A held reader reads nothing until the worker releases its whole burst (every transfer
    // of it in flight), then waits pauseFirst more.
    hold: opts.burst ? 1 : 0, // the worker writes the burst's number here
    pauseFirst: slow ? between(r, 5, 200) : 0,
    slowEvery: slow && expect < (8 << 20) ? 0.2 : 0,
    slowMs: between(r, 1, 4),
    reset: fault === 'peer-reset' ? between(r, 0, Math.max(0, expect - 1)) : -1,
    // Fault timing: after the first progress report past `at` bytes, or after `delayMs`.
    at: between(r, 0, Math.max(0, expect - 1)),
    delayMs: between(r, 0, 30),
    byTimer: !opts.burst && r() < 0.5,
    resume: r() < 0.5,
    mutateTo: mutation ? (fault === 'truncate' ? between(r, 0, Math.floor(size / 4096)) * 4096 : size + between(r, 1, 1 << 20)) : 0,
  };
  if (plan.file.band === 'huge') { plan.offset = between(r, 0, 4096); plan.count = undefined; plan.expect = expectedLength(plan.offset, undefined, size); }
  return plan;
}
