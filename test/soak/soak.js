#!/usr/bin/env node
// The soak: `npm run soak -- --seconds N --seed S [--json]`. Runs the library (dist/) under a
// long mixed load with faults arriving at random, and prints what it checked: transfers, bytes
// verified, faults injected, outcomes, process figures and violations (0 or exit status 1).
//
// Three workers run at once, each with its own receiver process (test/soak/receiver.js):
//   native    the native path as loaded, default core sizes, a busy libuv pool at times,
//             bursts of held transfers past the core's 1,024 entries, one 256 MiB file
//   buffered  SOCK_SENDFILE_NATIVE=0, a small core (128 entries, 8 slots of 64 KiB, depth 2)
//             so that transfers wait for entries and slots, bursts as well, one 256 MiB file
//   lowfd     `ulimit -n 64`: descriptor exhaustion at connect, open and the off-thread dup
// Loopback and Unix-domain sockets only; every child is bounded in time and killed by pid.
//
// SOAK_TRACE=1 makes each worker print its transfers in flight and stages every 200 ms;
// SOAK_NODE_ARGS passes flags to the workers (e.g. --cpu-prof).
//
// Invariants: the same seed draws the same plans (test/soak/plan.js); the run stops by
// itself; a worker that crashes or overruns is a violation, not a hang.
import { fork, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatMachine, machine } from '../../bench/machine.js';
import { makePatternFile } from './pattern.js';
import { FAULTS } from './plan.js';

const here = fileURLToPath(new URL('.', import.meta.url));

function parseArgs(argv) {
  const out = { seconds: 30, seed: Date.now() % 1_000_000, json: false, workers: 'native,buffered,lowfd' };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    if (a === '--seconds') out.seconds = Number(argv[++k]);
    else if (a === '--seed') out.seed = Number(argv[++k]);
    else if (a === '--json') out.json = true;
    else if (a === '--workers') out.workers = argv[++k];
    else { console.error(`unknown option ${a}\nusage: soak.js --seconds N --seed S [--json] [--workers native,buffered,lowfd]`); process.exit(2); }
  }
  if (!(out.seconds >= 1 && out.seconds <= 24 * 3600) || !Number.isSafeInteger(out.seed)) {
    console.error('--seconds must be 1..86400 and --seed an integer');
    process.exit(2);
  }
  return out;
}

const MiB = 2 ** 20;
// Every size the plans draw from, by band; keys give each file its own pattern phase.
const SIZES = {
  tiny: [0, 1, 2, 100, 4095, 4096, 4097, 777, 1500, 3000],
  small: [8191, 65535, 65536, 65537, 100_000, 200_003, 262_143, 262_144, 262_145],
  medium: [300_000, 524_288, 786_433, MiB, 2 * MiB + 1, 3 * MiB - 5, 4 * MiB],
  big: [16 * MiB, 32 * MiB + 3, 64 * MiB],
  huge: [256 * MiB],
};

function makeFiles(dir) {
  const files = [];
  let key = 1;
  for (const [band, sizes] of Object.entries(SIZES)) {
    for (const size of sizes) {
      const path = join(dir, `f${key}-${size}.bin`);
      makePatternFile(path, key, size);
      files.push({ path, key, size, band });
      key++;
    }
  }
  return files;
}

const WORKERS = {
  native: { env: {}, concurrency: 48, burst: 1100, hog: true, huge: true, profile: 'default' },
  buffered: {
    env: { SOCK_SENDFILE_NATIVE: '0' }, concurrency: 32, burst: 1050, hog: true, huge: true, profile: 'default',
    configure: { maxTransfers: 128, slots: 8, slotSize: 65536, depth: 2 },
  },
  lowfd: { env: {}, concurrency: 16, burst: 0, hog: false, huge: false, profile: 'lowfd', ulimit: 64 },
};

function runWorker(name, index, opts, files, dir) {
  const w = WORKERS[name];
  const config = {
    name, worker: index, seed: opts.seed, seconds: opts.seconds, dir, files,
    concurrency: w.concurrency, burst: w.burst, burstEverySeconds: 10, hog: w.hog, huge: w.huge,
    profile: w.profile, configure: w.configure, rssLimitMiB: 96,
  };
  const env = { ...process.env, ...w.env, SOAK_CONFIG: JSON.stringify(config) };
  // SOAK_NODE_ARGS: extra flags for the workers, e.g. --cpu-prof to see where a turn went.
  const nodeArgs = ['--expose-gc', ...(process.env.SOAK_NODE_ARGS?.split(' ').filter(Boolean) ?? []), join(here, 'sender.js')];
  // The descriptor limit applies to the worker only: its receiver is started from here.
  const child = w.ulimit
    ? spawn('bash', ['-c', `ulimit -n ${w.ulimit} && exec "$0" "$@"`, process.execPath, ...nodeArgs], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    : spawn(process.execPath, nodeArgs, { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const receiver = fork(join(here, 'receiver.js'), [dir], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const limitMs = (opts.seconds + 300) * 1000;
  return new Promise((resolve) => {
    let result = null;
    const killAll = () => { for (const c of [child, receiver]) { try { c.kill('SIGKILL'); } catch {} } };
    const timer = setTimeout(() => { killAll(); }, limitMs);
    receiver.on('message', (m) => {
      if (m.addresses) child.send({ addresses: m.addresses });
      else if (m.reports && child.connected) child.send(m);
    });
    child.on('message', (m) => {
      if (m.result) result = m.result;
      if (m.release && receiver.connected) receiver.send(m);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      try { receiver.disconnect(); } catch {}
      setTimeout(() => { try { receiver.kill('SIGKILL'); } catch {} }, 2000).unref();
      if (!result) {
        result = { stats: { name, transfers: 0, faults: {}, outcomes: {} }, violations: [{ worker: name, what: `the worker ended without a result (exit ${code}, signal ${signal})` }] };
      }
      resolve(result);
    });
  });
}

const pad = (s, n) => String(s).padStart(n);
const fmtInt = (n) => Math.round(n).toLocaleString('en-US');

function table(opts, results) {
  const lines = [];
  const names = results.map((r) => r.stats.name);
  const col = 20;
  lines.push(`sock-sendfile soak: ${opts.seconds} s, seed ${opts.seed}, workers ${names.join(', ')}`);
  lines.push('  (quiet points: after warm-up / after phase 2 / after phase 3, nothing in flight, after a GC)');
  const row = (label, f, total = true) => {
    const vals = results.map((r) => f(r.stats));
    const sum = total ? vals.reduce((a, b) => a + (Number(b) || 0), 0) : '';
    lines.push(`  ${label.padEnd(34)}${vals.map((v) => pad(typeof v === 'number' ? fmtInt(v) : v, col)).join('')}${pad(typeof sum === 'number' ? fmtInt(sum) : sum, col)}`);
  };
  lines.push(`  ${''.padEnd(34)}${names.map((n) => pad(n, col)).join('')}${pad('total', col)}`);
  row('transfers (sockSendfile calls)', (s) => s.transfers ?? 0);
  row('bytes verified at the peer', (s) => s.bytesVerified ?? 0);
  row('peak transfers in flight', (s) => s.peakInFlight ?? 0, false);
  row('event-loop delay p99 (ms)', (s) => (s.eventLoop ? s.eventLoop.p99.toFixed(1) : '-'), false);
  row('event-loop delay max (ms)', (s) => (s.eventLoop ? s.eventLoop.max.toFixed(1) : '-'), false);
  const q = (s, f) => (s.memory ? [s.memory.afterWarmup, s.memory.middle, s.memory.atEnd].map(f).join(' / ') : '-');
  row('RSS at quiet points (MiB)', (s) => q(s, (p) => p.rss.toFixed(0)), false);
  row('Buffers at quiet points (MiB)', (s) => q(s, (p) => p.buffers.toFixed(1)), false);
  row('JS heap at quiet points (MiB)', (s) => q(s, (p) => p.heap.toFixed(0)), false);
  row('open fds: after warm-up / end', (s) => (s.memory ? `${s.memory.afterWarmup.fds} / ${s.memory.atEnd.fds}` : '-'), false);
  lines.push('  after a cut connection, what arrived against bytesSent (most over / most under)');
  for (const [k, label] of [['destroy', 'destroy() of a TCP/Unix socket'], ['tlsDestroy', 'destroy() of a TLS socket'], ['peerReset', 'peer reset or closed']]) {
    row(`    ${label}`, (s) => (s.accounting ? `+${fmtInt(s.accounting[k].maxOver)}/-${fmtInt(s.accounting[k].maxUnder)}` : '-'), false);
  }
  lines.push('  faults injected');
  const faultKinds = [...new Set([...FAULTS.filter((f) => f !== 'none'), 'slow-reader', 'resume', 'busy-pool', 'in-flight burst', ...results.flatMap((r) => Object.keys(r.stats.faults ?? {}))])].filter((k) => k !== 'none');
  for (const k of faultKinds) row(`    ${k}`, (s) => s.faults?.[k] ?? 0);
  lines.push('  outcomes');
  const outcomeKinds = [...new Set(results.flatMap((r) => Object.keys(r.stats.outcomes ?? {})))].sort();
  for (const k of outcomeKinds) row(`    ${k}`, (s) => s.outcomes?.[k] ?? 0);
  const violations = results.flatMap((r) => r.violations);
  lines.push(`  violations: ${violations.length}`);
  for (const v of violations.slice(0, 20)) lines.push(`    ${JSON.stringify(v)}`);
  if (violations.length > 20) lines.push(`    ... ${violations.length - 20} more`);
  return lines.join('\n');
}

const opts = parseArgs(process.argv.slice(2));
const dir = mkdtempSync(join(tmpdir(), 'sock-sendfile-soak-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));
const host = machine();
console.log(formatMachine(host));
const started = Date.now();
const files = makeFiles(dir);
const names = opts.workers.split(',').filter(Boolean);
for (const n of names) if (!WORKERS[n]) { console.error(`unknown worker ${n}`); process.exit(2); }
const results = await Promise.all(names.map((n) => runWorker(n, Object.keys(WORKERS).indexOf(n), opts, files, dir)));
for (const r of results) {
  const w = WORKERS[r.stats.name];
  if (w?.burst >= 1000 && (r.stats.peakInFlight ?? 0) < 1000) {
    r.violations.push({ worker: r.stats.name, what: `the load never had 1,000 transfers in flight at once (peak ${r.stats.peakInFlight})` });
  }
}
console.log(table(opts, results));
console.log(`  wall time: ${((Date.now() - started) / 1000).toFixed(0)} s`);
const violations = results.reduce((a, r) => a + r.violations.length, 0);
if (opts.json) console.log(`SOAK_RESULT ${JSON.stringify({ seconds: opts.seconds, seed: opts.seed, machine: host, violations, workers: results.map((r) => r.stats) })}`);
process.exitCode = violations > 0 ? 1 : 0;
