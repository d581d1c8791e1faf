#!/usr/bin/env node
// npm run bench [-- --quick] [-- --json FILE]
//
// Sends files over loopback with every sender side by side in one run, runs alternating
// between senders (A B C D E, A B C D E, ...) so that drift in the machine (page cache, CPU
// frequency, a neighbour) lands on all of them alike. Each sender lives in its own child
// process; the receiver is a C program in another one. See bench/README.md for what each
// number means.
//
// Imports only dist/ (through sender-node.js) and, to make a file cold, the built addon.
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, fsyncSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { killAll, lineChild } from './children.js';
import { formatMachine, machine } from './machine.js';
import { caseTable, summarize, targetTable, targets } from './report.js';
import { launch, wasiOnce, wasiPlan } from './wasi.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..');
const KiB = 1024, MiB = 1024 * KiB, GiB = 1024 * MiB;

// ---- arguments --------------------------------------------------------------------------------
const argv = process.argv.slice(2);
const opts = { quick: false, json: null, only: null };
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--quick') opts.quick = true;
  else if (a === '--json') opts.json = argv[++i];
  else if (a.startsWith('--json=')) opts.json = a.slice(7);
  else if (a === '--only') opts.only = argv[++i].split(',');
  else if (a === '--help' || a === '-h') {
    console.log('usage: node bench/run.js [--quick] [--json FILE] [--only 16k,1m,64m,1g,cold,wasi]');
    process.exit(0);
  } else {
    console.error(`unknown argument ${a}`);
    process.exit(2);
  }
}
const log = (...a) => process.stderr.write(`[bench] ${a.join(' ')}\n`);

// ---- cleanup: only what we started ------------------------------------------------------------
let tmp = null;
function cleanup() {
  killAll();
  if (tmp) { rmSync(tmp, { recursive: true, force: true }); tmp = null; }
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => { log(`${sig}: cleaning up`); cleanup(); process.exit(130); });
}
// The benchmark must end by itself even if a sender wedges in a way its per-run timeout
// does not catch.
const deadlineMs = opts.quick ? 5 * 60_000 : 25 * 60_000;
const deadline = setTimeout(() => { log(`overall deadline of ${deadlineMs / 60_000} min passed: giving up`); cleanup(); process.exit(3); }, deadlineMs);
deadline.unref();

// ---- the plan ---------------------------------------------------------------------------------
const have = (cmd, args) => spawnSync(cmd, args, { stdio: 'ignore', timeout: 10_000 }).status === 0;
const hasPython = have('python3', ['--version']);
const hasCc = have('cc', ['--version']);

const node = process.execPath;
const senderJs = join(here, 'sender-node.js');
const envWithout = (extra) => {
  const e = { ...process.env, ...extra };
  if (!('SOCK_SENDFILE_NATIVE' in extra)) delete e.SOCK_SENDFILE_NATIVE;
  return e;
};
// In table order; runs alternate in this order too.
const SENDERS = [
  { id: 'native', label: 'this library, native', cmd: node, args: [senderJs, 'lib'], env: envWithout({}) },
  { id: 'buffered', label: 'this library, SOCK_SENDFILE_NATIVE=0', cmd: node, args: [senderJs, 'lib'], env: envWithout({ SOCK_SENDFILE_NATIVE: '0' }) },
  { id: 'pipe64k', label: 'pipeline(createReadStream) hwm 64K (dflt)', cmd: node, args: [senderJs, 'pipeline'], env: envWithout({}) },
  { id: 'pipe1m', label: 'pipeline(createReadStream) hwm 1M', cmd: node, args: [senderJs, 'pipeline', String(MiB)], env: envWithout({}) },
  hasPython && { id: 'cpython', label: 'CPython asyncio loop.sock_sendfile', cmd: 'python3', args: [join(here, 'sender_asyncio.py')], env: process.env },
  hasCc && { id: 'c', label: 'C blocking sendfile loop (floor)', cmd: null, args: [], env: process.env },
  // Information only, 16 KiB case: the idioms that open files asynchronously.
  { id: 'openfile', label: 'this library, native, openFile()', cmd: node, args: [senderJs, 'lib-openfile'], env: envWithout({}) },
  { id: 'pipepath', label: 'pipeline(createReadStream(path)) dflt', cmd: node, args: [senderJs, 'pipeline-path'], env: envWithout({}) },
  { id: 'raw', label: 'no library: addon syscalls from JS', cmd: node, args: [senderJs, 'raw'], env: envWithout({}) },
  hasCc && { id: 'clib', label: "C: the library's syscalls, non-blocking", cmd: null, args: ['lib'], env: process.env },
].filter(Boolean);

const INFO_16K = ['openfile', 'pipepath', 'raw', 'clib'];
const ALL = SENDERS.map((s) => s.id).filter((id) => !INFO_16K.includes(id));
const CASES = [
  { id: '16k', title: '2,000 distinct 16 KiB files on one connection (each: open, send whole, close)',
    mode: 'many', file: 'small', transfers: 2000, bytesPerTransfer: 16 * KiB, reps: opts.quick ? 5 : 21, warmup: true,
    senders: [...ALL, ...INFO_16K.filter((id) => SENDERS.some((s) => s.id === id))], timeoutMs: 60_000 },
  { id: '1m', title: '1 MiB file, sent 64 times on one connection (each: open, send, close)',
    mode: 'one', file: '1m.bin', transfers: 64, bytesPerTransfer: MiB, reps: opts.quick ? 5 : 21, warmup: true,
    senders: ALL, timeoutMs: 60_000 },
  { id: '64m', title: '64 MiB file, sent 4 times on one connection',
    mode: 'one', file: '64m.bin', transfers: 4, bytesPerTransfer: 64 * MiB, reps: opts.quick ? 3 : 15, warmup: true,
    senders: ALL, timeoutMs: 60_000 },
  { id: '1g', title: '1 GiB file, warm page cache', full: true,
    mode: 'one', file: '1g.bin', transfers: 1, bytesPerTransfer: GiB, reps: 11, warmup: false,
    senders: ALL, timeoutMs: 120_000 },
  { id: 'cold', title: '1 GiB file, COLD (fadvise DONTNEED before each run); event-loop delay sampled every 10 ms',
    full: true, cold: true, eld: true,
    mode: 'one', file: '1g.bin', transfers: 1, bytesPerTransfer: GiB, reps: 9, warmup: false,
    senders: ['native', 'buffered', 'cpython', 'c'].filter((id) => ALL.includes(id)), timeoutMs: 180_000 },
  // One fresh process per run (a runtime starts, sends, exits): see bench/wasi.js.
  { id: 'wasi', title: '1 GiB file through the WASI artifacts (a process per run), socat as the native reference',
    full: true, wasi: true,
    mode: 'one', file: '1g.bin', transfers: 1, bytesPerTransfer: GiB, reps: 5, warmup: true,
    senders: [], timeoutMs: 180_000 },
].filter((c) => (!opts.quick || !c.full) && (!opts.only || opts.only.includes(c.id)));
const wasi = CASES.some((c) => c.wasi) ? wasiPlan() : null;

// ---- files ------------------------------------------------------------------------------------
function makeFiles(dir) {
  const block = randomBytes(MiB);
  const needed = new Set(CASES.map((c) => c.file));
  if (needed.has('small')) {
    mkdirSync(join(dir, 'small'));
    for (let i = 0; i < 2000; i++) {
      const off = (i * 16 * KiB) % (MiB - 16 * KiB);
      writeFileSync(join(dir, 'small', String(i)), block.subarray(off, off + 16 * KiB));
    }
  }
  for (const [name, size] of [['1m.bin', MiB], ['64m.bin', 64 * MiB], ['1g.bin', GiB]]) {
    if (!needed.has(name)) continue;
    const fd = openSync(join(dir, name), 'w');
    for (let done = 0; done < size; done += block.length) writeSync(fd, block, 0, Math.min(block.length, size - done));
    // Written back now, so its pages are clean: DONTNEED can then really drop them.
    fsyncSync(fd);
    closeSync(fd);
  }
}

// fadvise(DONTNEED) from the built addon; python3's os.posix_fadvise if the addon is missing.
let dropCache;
function makeDropper() {
  const addonPath = join(root, 'dist/native/linux-x64/sock_sendfile.node');
  if (existsSync(addonPath)) {
    const addon = createRequire(import.meta.url)(addonPath);
    if (typeof addon.fadviseDontneed === 'function') {
      return (path) => {
        const fd = openSync(path, 'r');
        try {
          const r = addon.fadviseDontneed(fd);
          if (r < 0) throw new Error(`fadviseDontneed failed: ${r}`);
        } finally { closeSync(fd); }
      };
    }
  }
  if (hasPython) {
    return (path) => execFileSync('python3', ['-c', 'import os,sys; fd=os.open(sys.argv[1], os.O_RDONLY); os.posix_fadvise(fd,0,0,os.POSIX_FADV_DONTNEED)', path]);
  }
  return null;
}

// Bytes of the file still in the page cache (fincore from util-linux), or null if unknown.
function residentBytes(path) {
  try {
    const out = execFileSync('fincore', ['--bytes', '--noheadings', '--output', 'RES', path], { encoding: 'utf8', timeout: 10_000 });
    return Number(out.trim());
  } catch {
    return null;
  }
}

// ---- main -------------------------------------------------------------------------------------
async function main() {
  const started = Date.now();
  const m = machine();
  console.log(`sock-sendfile benchmark (${opts.quick ? 'quick' : 'full'} run)\n`);
  console.log(formatMachine(m));

  tmp = mkdtempSync(join(tmpdir(), 'sock-sendfile-bench-'));
  let receiverBin = null, senderBin = null;
  if (hasCc) {
    receiverBin = join(tmp, 'receiver');
    senderBin = join(tmp, 'sender');
    execFileSync('cc', ['-O2', '-o', receiverBin, join(here, 'receiver.c')]);
    execFileSync('cc', ['-O2', '-o', senderBin, join(here, 'sender.c')]);
    if (wasi) {
      launch.bin = join(tmp, 'launch');
      execFileSync('cc', ['-O2', '-o', launch.bin, join(here, 'launch.c')]);
    }
    for (const s of SENDERS) if (s.id === 'c' || s.id === 'clib') s.cmd = senderBin;
  } else {
    throw new Error('cc is needed to build the receiver (bench/receiver.c)');
  }

  log('making files in', tmp);
  const t0 = Date.now();
  makeFiles(tmp);
  log(`files ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (CASES.some((c) => c.cold)) {
    dropCache = makeDropper();
    if (!dropCache) throw new Error('cannot make a file cold: neither the addon nor python3 is available');
  }

  // "report": the WASI senders close the connection themselves, so the receiver's line comes on
  // its stdout (other senders read it on the socket; lines nobody waits for are dropped).
  const receiver = lineChild(receiverBin, ['report']);
  const portLine = await receiver.ready();
  const port = Number(/port (\d+)/.exec(portLine)?.[1]);
  if (!port) throw new Error(`receiver said ${portLine}`);

  const needed = new Set(CASES.flatMap((c) => c.senders));
  const children = {};
  const hellos = {};
  for (const s of SENDERS.filter((x) => needed.has(x.id))) {
    const c = lineChild(s.cmd, s.args, { env: s.env, cwd: root });
    // The C sender says nothing until asked.
    hellos[s.id] = s.cmd === senderBin ? { hello: s.id } : JSON.parse(await c.ready());
    children[s.id] = c;
  }
  if (hellos.native && !hellos.native.capabilities?.native) {
    log(`WARNING: the native backend did not load (${hellos.native.capabilities?.reason}); "native" rows are buffered`);
  }
  if (hellos.buffered?.capabilities?.native) log('WARNING: SOCK_SENDFILE_NATIVE=0 did not turn native off');

  const results = { machine: m, options: opts, port, hellos, cases: {} };
  const summaries = {};

  for (const kase of CASES) {
    const senders = kase.wasi ? wasi.senders : SENDERS.filter((s) => kase.senders.includes(s.id));
    if (kase.wasi) for (const { id, why } of wasi.skipped) log(`case wasi: ${id} left out: ${why}`);
    const path = join(tmp, kase.file);
    const expected = kase.transfers * kase.bytesPerTransfer;
    const cmd = `run ${port} ${kase.mode} ${path} ${kase.transfers}${kase.eld ? ' eld' : ''}`;
    const runs = Object.fromEntries(senders.map((s) => [s.id, []]));
    log(`case ${kase.id}: ${kase.title}; ${kase.reps} reps x ${senders.map((s) => s.id).join(' ')}`);
    const tc = Date.now();

    const wasiCtx = { receiver, port, cwd: tmp, root, dist: join(root, 'dist', 'wasi'), file: kase.file,
      expected, env: wasi?.env, timeoutMs: kase.timeoutMs };
    const once = async (s, rep) => {
      if (kase.wasi) {
        const r = { ...(await wasiOnce(s, wasiCtx)), rep };
        if (!r.ok || !r.valid) log(`  ${s.id} rep ${rep}: ${r.error}`);
        return r;
      }
      const child = children[s.id];
      if (!child.alive) return { ok: false, error: 'the sender process is gone' };
      let resident = null;
      if (kase.cold) {
        dropCache(path);
        resident = residentBytes(path);
      }
      let r;
      try {
        r = await child.request(cmd, kase.timeoutMs);
      } catch (err) {
        r = { ok: false, error: err.message };
      }
      r.rep = rep;
      if (resident !== null) r.residentBeforeBytes = resident;
      if (r.ok) {
        const [rBytes, rCpuUs, rBusyNs] = String(r.receiver).split(' ').map(Number);
        r.receiver = { bytes: rBytes, cpuUs: rCpuUs, activeNs: rBusyNs };
        r.receiverBusy = (rCpuUs * 1e3) / r.wallNs;
        r.valid = r.bytes === expected && rBytes === expected;
        if (!r.valid) r.error = `byte count: sender ${r.bytes}, receiver ${rBytes}, expected ${expected}`;
      }
      if (!r.ok || !r.valid) log(`  ${s.id} rep ${rep}: ${r.error}`);
      return r;
    };

    if (kase.warmup) for (const s of senders) await once(s, -1);
    for (let rep = 0; rep < kase.reps; rep++) {
      for (const s of senders) runs[s.id].push(await once(s, rep));
    }
    summaries[kase.id] = Object.fromEntries(senders.map((s) => [s.id, summarize(kase, runs[s.id])]));
    results.cases[kase.id] = { ...kase, runs, summary: summaries[kase.id], seconds: (Date.now() - tc) / 1000 };
    log(`case ${kase.id} done in ${((Date.now() - tc) / 1000).toFixed(1)} s`);

    console.log(`\n## ${kase.id}: ${kase.title}`);
    console.log(`median of ${kase.reps} reps per sender${kase.warmup ? ' after one warm-up run each' : ''}; time is per transfer (per file)\n`);
    console.log(caseTable(kase, summaries[kase.id], senders));
    if (kase.wasi) for (const { id, why } of wasi.skipped) console.log(`${id}: not run: ${why}`);
    const nat = summaries[kase.id].native;
    if (nat?.ok && nat.nativeShare !== undefined) console.log(`\nnative row: sendfile(2) moved ${(nat.nativeShare * 100).toFixed(1)}% of the bytes`);
    if (kase.cold) {
      const res = Object.values(runs).flat().map((r) => r.residentBeforeBytes).filter((x) => x !== undefined);
      if (res.length) console.log(`page cache before each run: at most ${Math.max(...res)} bytes of the file resident (fincore)`);
    }
  }

  const verdict = targets(summaries);
  results.targets = verdict;
  console.log('\n## Targets (issues 3 and 13)\n');
  console.log(targetTable(verdict));
  // Judged on each row's median rep: a single rep can catch the receiver descheduled.
  const rows = Object.values(summaries).flatMap((c) => Object.values(c)).filter((s) => s.ok);
  const busy = Math.max(...rows.map((s) => s.receiverBusy));
  const worst = Math.max(...rows.map((s) => s.receiverBusyMax));
  console.log(`\nreceiver: busiest row (median rep) used ${(busy * 100).toFixed(0)}% of one core (CPU time / sender wall time), busiest single rep ${(worst * 100).toFixed(0)}%: ${busy < 0.7 ? 'never the bottleneck' : 'CHECK: it may have limited a sender'}`);
  results.seconds = (Date.now() - started) / 1000;
  results.loadavgAfter = loadavg();
  console.log(`load average at the end: ${results.loadavgAfter.map((x) => x.toFixed(2)).join(' ')} (other work on the machine adds noise)`);
  console.log(`total ${results.seconds.toFixed(0)} s`);

  for (const c of Object.values(children)) c.close();
  receiver.close();
  if (opts.json) writeFileSync(opts.json, JSON.stringify(results, null, 2));
}

main().then(
  () => { cleanup(); clearTimeout(deadline); },
  (err) => { console.error(err); cleanup(); process.exit(1); },
);
