// One soak worker: runs transfers through the library (dist/node.js) for a while, with the
// faults its plans name, and checks every outcome against the README's rules. Started by
// test/soak/soak.js with its configuration in SOAK_CONFIG; it reports over the IPC channel,
// which also brings the receiver's per-connection reports (test/soak/receiver.js).
//
// Invariants:
// - Every transfer ends, or is reported as a hang: the call, the header and the receiver's
//   report are each bounded in time.
// - A violation is recorded, never thrown: the run goes on and all of them are reported.
// - Around a call, the socket has no error listener of ours: an error the library does not
//   catch during a transfer reaches 'uncaughtException' and is a violation.
// - The process-level figures are taken at quiet points: after warm-up and after the run,
//   with nothing in flight and the garbage collected.
import {
  close as fsClose, closeSync, ftruncateSync, open as fsOpen, openSync, read as fsRead, readFileSync, readSync, readdirSync,
  readlinkSync, rmSync, writeSync,
} from 'node:fs';
import { open as openHandle } from 'node:fs/promises';
import net from 'node:net';
import tls from 'node:tls';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { makePlan, seeded } from './plan.js';
import { makePatternFile, writePattern } from './pattern.js';

const cfg = JSON.parse(process.env.SOAK_CONFIG);
const lib = await import('../../dist/node.js');
const { sockSendfile, openFile, capabilities, configure, ErrorCodes } = lib;
if (cfg.configure) configure(cfg.configure);
const DEPTH = cfg.configure?.depth ?? 4, SLOT = cfg.configure?.slotSize ?? 262144;
const cert = readFileSync(new URL('../fixtures/cert.pem', import.meta.url));
const nativeLseek = capabilities().backend === 'linux-sendfile';
const openFd = promisify(fsOpen), closeFd = promisify(fsClose);

// A call is hung when it moves no byte for STALL_MS (a 256 MiB file behind a thousand held
// transfers may take minutes, but it moves); CALL_TIMEOUT_MS bounds even a moving one.
const STALL_MS = 60_000;
const CALL_TIMEOUT_MS = 600_000;
const BURST_HOLD_MS = 20_000;
const REPORT_TIMEOUT_MS = 60_000;

// ---- the documented set of codes: ErrorCodes and the codes the README's Errors section names
function documentedCodes() {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = /### Errors\n([\s\S]*?)\n### /.exec(readme)?.[1] ?? '';
  const named = [...section.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]);
  return new Set([...Object.values(ErrorCodes), ...named]);
}
const DOCUMENTED = documentedCodes();

// ---- figures
const stats = {
  name: cfg.name, transfers: 0, calls: 0, bytesVerified: 0, bytesSent: 0, peakInFlight: 0,
  faults: {}, outcomes: {}, nullReports: 0,
  // After a cut connection: how far what arrived went over (or under) bytesSent, at most.
  accounting: { destroy: { n: 0, maxOver: 0, maxUnder: 0 }, tlsDestroy: { n: 0, maxOver: 0, maxUnder: 0 }, peerReset: { n: 0, maxOver: 0, maxUnder: 0 } },
};
const violations = [];
const bump = (o, k, n = 1) => { o[k] = (o[k] ?? 0) + n; };
function violation(plan, what, detail = {}) {
  violations.push({ worker: cfg.name, seed: cfg.seed, i: plan?.i, what, plan: plan && summarize(plan), ...detail });
}
const summarize = (p) => ({
  kind: p.kind, fault: p.fault, source: p.source, offset: String(p.offset), count: String(p.count),
  size: p.file.size, expect: p.expect, waitConnect: p.waitConnect, headerFlushed: p.headerFlushed,
  ...(p.mutateTo ? { mutateTo: p.mutateTo } : {}), ...(p.fault !== 'none' ? { at: p.at, byTimer: p.byTimer, delayMs: p.delayMs } : {}),
});

process.on('unhandledRejection', (err) => violation(null, 'unhandled rejection', { error: String(err?.stack ?? err) }));
process.on('uncaughtException', (err) => violation(null, 'uncaught exception', { error: String(err?.stack ?? err) }));

// ---- receiver reports, relayed by the orchestrator
const reports = new Map();
const waiters = new Map();
let addresses;
const gotAddresses = new Promise((resolve) => {
  process.on('message', (m) => {
    if (m.addresses) { addresses = m.addresses; resolve(); }
    for (const r of m.reports ?? []) {
      if (r.id === null) {
        stats.nullReports++;
        if (r.bad >= 0) violation(null, 'a connection without a header carried bad bytes', { report: r });
        continue;
      }
      const w = waiters.get(r.id);
      if (w) { waiters.delete(r.id); w(r); } else reports.set(r.id, r);
    }
  });
});
function reportOf(id) {
  const r = reports.get(id);
  if (r) { reports.delete(id); return Promise.resolve(r); }
  return new Promise((resolve) => {
    const timer = setTimeout(() => { waiters.delete(id); resolve(null); }, REPORT_TIMEOUT_MS);
    waiters.set(id, (rep) => { clearTimeout(timer); resolve(rep); });
  });
}

function bounded(ms, promise) {
  let timer;
  return Promise.race([promise, new Promise((resolve) => { timer = setTimeout(() => resolve(TIMEOUT), ms); })])
    .finally(() => clearTimeout(timer));
}
const TIMEOUT = Symbol('timeout');

// ---- sources: a SendfileFile, an integer fd or a FileHandle; each knows its OS or own position
async function openSource(plan, path) {
  if (plan.source === 'sendfile-file') {
    const f = await openFile(path);
    return { arg: f, fd: f.fd, close: () => f.close(), position: () => f.tell(), setPosition: (p) => f.seek(p) };
  }
  if (plan.source === 'fd') {
    const fd = await openFd(path, 'r');
    return { arg: fd, fd, close: () => closeFd(fd), position: () => osPosition(fd), setPosition: (p) => advance(fd, p) };
  }
  const h = await openHandle(path, 'r');
  return { arg: h, fd: h.fd, close: () => h.close(), position: () => osPosition(h.fd), setPosition: (p) => advance(h.fd, p) };
}

// null when the fd-starved worker has no descriptor left to read it with.
function osPosition(fd) {
  try {
    return Number(/^pos:\s+(\d+)/m.exec(withReserve(() => readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8')))[1]);
  } catch (err) {
    if (err?.code === 'EMFILE' || err?.code === 'ENFILE') return null;
    throw err;
  }
}
const scratch = Buffer.alloc(1000);
// Moves an fd's OS position forward by reading (Node has no lseek); returns where it got to.
function advance(fd, p) { return readSync(fd, scratch, 0, p, null); }

// ---- connections
function connect(plan) {
  const via = plan.kind === 'writable' ? (plan.i % 2 ? 'unix' : 'tcp') : plan.kind;
  const a = addresses[via];
  const opts = a.path ? { path: a.path } : { host: a.host, port: a.port };
  const raw = plan.kind === 'tls' ? tls.connect({ ...opts, ca: cert, servername: 'localhost' }) : net.connect(opts);
  const conn = { raw, sink: raw, error: null, ourListener: (e) => { conn.error ??= e; } };
  raw.on('error', conn.ourListener);
  conn.connected = new Promise((resolve) => {
    raw.once(plan.kind === 'tls' ? 'secureConnect' : 'connect', () => resolve(true));
    raw.once('close', () => resolve(false));
  });
  if (plan.kind === 'writable') {
    // A generic Writable in front of a socket: the buffered path with chunks the sink owns,
    // written on after a random delay (a slow sink).
    const r = seeded(cfg.seed, 77, plan.i);
    conn.sink = new Writable({
      highWaterMark: 1 + Math.floor(r() * 200_000),
      write(chunk, _enc, cb) {
        const go = () => (raw.destroyed ? cb(Object.assign(new Error('socket gone'), { code: 'ERR_STREAM_DESTROYED' })) : raw.write(chunk, cb));
        if (r() < 0.2) setTimeout(go, Math.floor(r() * 3)); else go();
      },
      final(cb) { raw.end(cb); },
    });
    conn.sink.on('error', conn.ourListener);
  }
  return conn;
}

function writeHeader(conn, plan) {
  const header = JSON.stringify({
    id: plan.i, key: plan.file.key, offset: Number(plan.offset), pauseFirst: plan.pauseFirst,
    slowEvery: plan.slowEvery, slowMs: plan.slowMs, reset: plan.reset, hold: plan.hold,
    // Bytes past a truncation that were already queued may arrive as zeros (README,
    // Semantics): sendfile queues page references, not copies, and a read racing the
    // truncation may see zeros.
    zeroFrom: plan.fault === 'truncate' ? plan.mutateTo : null,
  }) + '\n';
  return new Promise((resolve) => conn.raw.write(header, (err) => resolve(!err)));
}

// Ends the connection the way the outcome allows: gracefully when the socket is intact (the
// receiver then gets every byte the kernel accepted), else it is already gone.
function closeConn(conn) {
  return new Promise((resolve) => {
    const s = conn.sink;
    if (conn.raw.destroyed) { s.destroy(); resolve(); return; }
    const t = setTimeout(() => { bump(stats.outcomes, 'peer slow to close (destroyed after 10 s)'); conn.raw.destroy(); resolve(); }, 10_000);
    conn.raw.once('close', () => { clearTimeout(t); resolve(); });
    if (s.destroyed) conn.raw.end(); else s.end();
    // The peer closes after reading everything; a peer that reset closes at once.
  });
}

// ---- one transfer
let inFlight = 0;
// A burst's transfers that have not yet called sockSendfile (nor ended before it), and the
// number of the current burst (a held header names it; the release names it too).
let burstWaiting = 0;
let burst = 0;
function track(promise, plan) {
  if (plan?.hold && !plan.called) { plan.called = true; burstWaiting--; }
  stats.calls++;
  inFlight++;
  if (inFlight > stats.peakInFlight) stats.peakInFlight = inFlight;
  return promise.finally(() => { inFlight--; });
}

let mutationsInFlight = 0;
const stage = { open: 0, connect: 0, header: 0, report: 0, close: 0 };

async function runPlan(plan) {
  bump(stats.faults, plan.fault);
  if (plan.pauseFirst > 0 || plan.slowEvery > 0) bump(stats.faults, 'slow-reader');
  let path = plan.file.path, mutFd = -1;
  if (plan.fault === 'truncate' || plan.fault === 'extend') {
    path = join(cfg.dir, `mut-${cfg.name}-${plan.i}.bin`);
    makePatternFile(path, plan.file.key, plan.file.size);
    mutFd = openSync(path, 'r+');
  }
  let src;
  try {
    stage.open++;
    src = await openSource(plan, path).finally(() => stage.open--);
  } catch (err) {
    await outcomeOfOpen(plan, err);
    if (mutFd >= 0) { closeSync(mutFd); rmSync(path, { force: true }); }
    return;
  }
  try {
    await transfer(plan, src, mutFd);
  } finally {
    await src.close().catch((err) => violation(plan, 'closing the file failed', { error: String(err) }));
    if (mutFd >= 0) { closeSync(mutFd); rmSync(path, { force: true }); }
  }
}

async function outcomeOfOpen(plan, err) {
  // Only the fd-starved worker may run out of descriptors; anywhere else it is a harness bug.
  bump(stats.outcomes, `open failed: ${err?.code}`);
  if (!(cfg.profile === 'lowfd' && (err?.code === 'EMFILE' || err?.code === 'ENFILE'))) violation(plan, 'opening the file failed', { error: String(err) });
  else await new Promise((resolve) => setTimeout(resolve, 20)); // let descriptors free up before the next try
}

async function transfer(plan, src, mutFd) {
  const conn = connect(plan);
  stage.connect++;
  if (plan.waitConnect && !(await bounded(30_000, conn.connected).finally(() => stage.connect--) === true)) {
    bump(stats.outcomes, `connect failed: ${conn.error?.code ?? 'timeout'}`);
    if (!(cfg.profile === 'lowfd' && ['EMFILE', 'ENFILE'].includes(conn.error?.code))) violation(plan, 'connect failed', { error: String(conn.error) });
    conn.raw.destroy();
    return;
  }
  if (!plan.waitConnect) stage.connect--;
  const headerWritten = writeHeader(conn, plan);
  if (plan.headerFlushed && !(await bounded(30_000, headerWritten) === true)) {
    bump(stats.outcomes, `header not written: ${conn.error?.code ?? 'timeout'}`);
    conn.raw.destroy();
    return;
  }
  let p0 = src.position();
  if (plan.p0 > 0) p0 = src.setPosition(Math.min(plan.p0, plan.file.size)) ?? p0;

  const reason = new Error('soak abort');
  const thrown = Object.assign(new Error('soak onProgress throws'), { code: 'SOAK_PROGRESS' });
  const ac = new AbortController();
  if (plan.fault === 'abort-before') ac.abort(reason);
  let faulted = false; // the fault was applied before the transfer settled
  let settled = false;
  let lastProgress = 0;
  const upper = plan.fault === 'extend' ? Math.max(0, Math.min(plan.count == null ? Infinity : Number(plan.offset) + Number(plan.count), plan.mutateTo) - Number(plan.offset)) : plan.expect;
  const applyFault = () => {
    if (faulted || settled) return;
    faulted = true;
    switch (plan.fault) {
      case 'abort-timer': case 'abort-progress': ac.abort(reason); break;
      case 'destroy': conn.sink.destroy(); break;
      case 'truncate': ftruncateSync(mutFd, plan.mutateTo); break;
      case 'extend': writePattern(mutFd, plan.file.key, plan.file.size, plan.mutateTo); break;
      default: faulted = false;
    }
  };
  let lastProgressAt = Date.now();
  const onProgress = (n) => {
    lastProgressAt = Date.now();
    if (!(n > lastProgress) || n > upper) violation(plan, 'onProgress totals must grow and stay within the slice', { n, lastProgress, upper });
    lastProgress = n;
    if (plan.fault === 'progress-throws' && n >= plan.at) { faulted = true; throw thrown; }
    if (!plan.byTimer && n >= plan.at) applyFault();
  };
  if (plan.byTimer && plan.fault !== 'progress-throws') setTimeout(applyFault, plan.delayMs);
  // A destroy aimed at the off-thread sendfile: the first report is the bounded on-thread call.
  if (plan.fault === 'destroy' && !plan.byTimer && plan.at === 0) plan.at = 1;

  if (conn.sink === conn.raw) conn.raw.off('error', conn.ourListener);
  // Some calls go without options; the 256 MiB file keeps onProgress, which the stall watch reads.
  const options = plan.fault === 'none' && plan.i % 5 === 0 && plan.file.band !== 'huge' ? undefined : { signal: ac.signal, onProgress };
  const call = track(sockSendfile(conn.sink, src.arg, plan.offset, plan.count, options), plan);
  // Settled into a value at once: its rejection comes before the first call's.
  const second = plan.fault === 'second-call' ? track(sockSendfile(conn.sink, src.arg, 0, 1)).then((n) => ({ ok: true, n }), (err) => ({ ok: false, err })) : null;
  const r = await watched(call, () => lastProgressAt);
  settled = true;
  if (conn.sink === conn.raw) conn.raw.on('error', conn.ourListener);
  stats.transfers++;
  if (r === TIMEOUT) {
    violation(plan, 'sockSendfile stopped moving bytes and never settled', { stallMs: STALL_MS, lastProgress });
    conn.raw.destroy();
    return;
  }
  if (second) {
    const s = await second;
    if (s.ok || s.err?.code !== ErrorCodes.IN_PROGRESS || s.err.bytesSent !== 0) violation(plan, 'a second transfer on a busy socket must be refused', { got: describe(s) });
  }
  let sent = checkOutcome(plan, r, { reason, thrown, faulted, upper, conn });
  if (sent === null) { conn.raw.destroy(); return; }
  checkPosition(plan, src, p0, Number(plan.offset), sent, 'after the transfer');

  // After an abort (or a throwing onProgress) the socket stays usable: a resumed transfer
  // from offset + bytesSent must continue the byte stream exactly.
  const stopped = !r.ok && (r.err?.code === ErrorCodes.ABORTED || r.err === thrown);
  if (stopped && plan.resume && !conn.sink.destroyed && !conn.raw.destroyed && plan.fault !== 'truncate' && plan.fault !== 'extend') {
    const from = Number(plan.offset) + sent;
    const left = plan.count == null ? undefined : Number(plan.count) - sent;
    if (left === undefined || left > 0) {
      bump(stats.faults, 'resume');
      if (conn.sink === conn.raw) conn.raw.off('error', conn.ourListener);
      const p1 = src.position();
      let movedAt = Date.now();
      const r2 = await watched(track(sockSendfile(conn.sink, src.arg, from, left, { onProgress: () => { movedAt = Date.now(); } })), () => movedAt);
      if (conn.sink === conn.raw) conn.raw.on('error', conn.ourListener);
      stats.transfers++;
      if (r2 === TIMEOUT) { violation(plan, 'the resumed sockSendfile did not settle'); conn.raw.destroy(); return; }
      const want = Math.max(0, plan.expect - sent);
      if (!r2.ok || r2.n !== want) violation(plan, 'the resumed transfer must send the rest', { want, got: describe(r2) });
      bump(stats.outcomes, r2.ok ? 'resolved (resumed)' : `rejected ${r2.err?.code} (resumed)`);
      const n2 = r2.ok ? r2.n : (r2.err?.bytesSent ?? 0);
      checkPosition(plan, src, p1, from, n2, 'after the resumed transfer');
      sent += n2;
    }
  }
  stats.bytesSent += sent;

  const destroyedByUs = plan.fault === 'destroy' && faulted;
  const headerOk = await bounded(30_000, headerWritten);
  stage.close++;
  await closeConn(conn);
  stage.close--;
  if (headerOk !== true) { bump(stats.outcomes, 'header lost'); return; }
  stage.report++;
  const rep = await reportOf(plan.i);
  stage.report--;
  if (!rep) { violation(plan, 'the receiver never reported the connection'); return; }
  if (!rep.header) { violation(plan, 'the header did not arrive first'); return; }
  if (rep.bad >= 0) violation(plan, 'the peer received a wrong byte (gap, duplicate or another file)', { at: rep.bad, arrived: rep.arrived, sent, sample: rep.sample, peerError: rep.error });
  else stats.bytesVerified += rep.arrived;
  if (rep.zeroed) bump(stats.outcomes, `zeros past a truncation (${plan.kind})`);
  checkArrival(plan, rep, sent, destroyedByUs);
}

// What arrived against bytesSent, by the README's rules (Semantics, "Precise accounting").
function checkArrival(plan, rep, sent, destroyedByUs) {
  const excess = rep.arrived - sent;
  // Writes in flight when the socket broke: at most `depth` chunks of a slot each.
  const inFlight = DEPTH * SLOT;
  if (destroyedByUs || plan.fault === 'peer-reset') {
    const figure = destroyedByUs ? (plan.kind === 'tls' ? 'tlsDestroy' : 'destroy') : 'peerReset';
    const m = stats.accounting[figure];
    m.n++;
    m.maxOver = Math.max(m.maxOver, excess);
    m.maxUnder = Math.max(m.maxUnder, -excess);
    if (excess > inFlight) violation(plan, 'more arrived past bytesSent than the writes in flight can hold', { arrived: rep.arrived, sent, inFlight });
    // A plain socket closed by destroy() ends with a FIN after every byte the kernel took: a
    // TLS socket's writes complete when the TLS layer took them, which destroy() may discard.
    if (figure === 'destroy' && excess < 0) violation(plan, 'bytesSent above what arrived after destroy()', { arrived: rep.arrived, sent, peerError: rep.error });
  } else if (excess !== 0) {
    violation(plan, 'bytesSent differs from what arrived', { arrived: rep.arrived, sent, peerError: rep.error });
  }
}

// Settles into { ok, n } or { ok, err }, or TIMEOUT once the call moved nothing for STALL_MS
// (lastMove() says when it last did) or ran CALL_TIMEOUT_MS in all.
async function watched(call, lastMove) {
  const outcome = call.then((n) => ({ ok: true, n }), (err) => ({ ok: false, err }));
  const started = Date.now();
  for (;;) {
    const r = await bounded(5_000, outcome);
    if (r !== TIMEOUT) return r;
    if (Date.now() - lastMove() > STALL_MS || Date.now() - started > CALL_TIMEOUT_MS) return TIMEOUT;
  }
}

function describe(r) {
  return r.ok ? { resolved: r.n } : { code: r.err?.code, name: r.err?.name, message: String(r.err?.message ?? r.err), bytesSent: r.err?.bytesSent };
}

// Returns the bytes the call reports as sent, or null when the outcome is beyond checking.
function checkOutcome(plan, r, { reason, thrown, faulted, upper, conn }) {
  const lower = plan.fault === 'truncate' ? Math.min(plan.expect, Math.max(0, plan.mutateTo - Number(plan.offset))) : plan.expect;
  if (r.ok) {
    bump(stats.outcomes, 'resolved');
    if (!Number.isSafeInteger(r.n) || r.n < lower || r.n > upper) violation(plan, 'resolved with a count outside the slice', { n: r.n, lower, upper });
    if (plan.fault === 'abort-before') violation(plan, 'an aborted signal must reject');
    return r.n;
  }
  const err = r.err;
  const code = err?.code;
  bump(stats.outcomes, `rejected ${code ?? String(err)}`);
  const bytesSent = err?.bytesSent;
  if (!Number.isSafeInteger(bytesSent) || bytesSent < 0 || bytesSent > upper) {
    violation(plan, 'a rejection must carry bytesSent within the slice', { got: describe(r), upper });
    return null;
  }
  if (err === thrown) return bytesSent;
  // The socket's own error (README: passed through, its own code), e.g. EMFILE at its connect.
  if (err === conn.error || (err && (err === conn.raw.errored || err === conn.sink.errored))) return bytesSent;
  if (!DOCUMENTED.has(code)) violation(plan, 'a rejection code the README does not document', { got: describe(r) });
  if (code === ErrorCodes.ABORTED) {
    if (!['abort-before', 'abort-timer', 'abort-progress'].includes(plan.fault)) violation(plan, 'an AbortError without an abort', { got: describe(r) });
    else if (err.cause !== reason) violation(plan, 'an AbortError must carry the signal reason as its cause');
    if (plan.fault === 'abort-before' && bytesSent !== 0) violation(plan, 'an abort before the call must send nothing', { got: describe(r) });
    return bytesSent;
  }
  // Other rejections need a cause among the faults: the peer, our destroy, fd starvation.
  const explained = plan.fault === 'peer-reset' || (plan.fault === 'destroy' && faulted) || cfg.profile === 'lowfd';
  if (!explained) violation(plan, 'a rejection with no fault to explain it', { got: describe(r) });
  return bytesSent;
}

function checkPosition(plan, src, before, offset, sent, when) {
  // The OS position of an fd moves only with a native backend that can lseek (README, openFile).
  const tracks = plan.source === 'sendfile-file' || nativeLseek;
  const want = tracks && sent > 0 ? offset + sent : before;
  const got = src.position();
  if (got === null || before === null) { bump(stats.outcomes, 'position unreadable (no descriptor left)'); return; }
  if (got !== want) violation(plan, `position rule broken ${when}`, { want, got, sent, before });
}

// ---- a busy libuv pool: every pool thread blocked on a FIFO read for a while
let hogs = 0;
function poolHog() {
  const fifo = join(cfg.dir, `hog-${cfg.name}-${hogs++}.fifo`);
  execFileSync('mkfifo', [fifo]);
  const fd = openSync(fifo, 'r+'); // O_RDWR: the open itself never blocks
  const threads = Number(process.env.UV_THREADPOOL_SIZE || 4);
  let timer = null, stopping = false, blocked = 0;
  const r = seeded(cfg.seed, 99, 0);
  const phase = () => {
    if (stopping) return;
    bump(stats.faults, 'busy-pool');
    for (let k = 0; k < threads; k++) {
      blocked++;
      // A one-byte read of an empty FIFO holds its pool thread until the write below.
      fsRead(fd, Buffer.alloc(1), 0, 1, null, () => { blocked--; });
    }
    timer = setTimeout(() => {
      writeSync(fd, Buffer.alloc(threads));
      timer = setTimeout(phase, 500 + Math.floor(r() * 2000));
    }, 50 + Math.floor(r() * 300));
  };
  timer = setTimeout(phase, 200);
  return {
    stop: async () => {
      stopping = true;
      clearTimeout(timer);
      if (blocked > 0) writeSync(fd, Buffer.alloc(blocked));
      while (blocked > 0) await new Promise((resolve) => setTimeout(resolve, 10));
      closeSync(fd);
      rmSync(fifo, { force: true });
    },
  };
}

// ---- descriptor exhaustion: every free descriptor taken for a moment, now and then, so that
// opens, connects and the off-thread sendfile's dup() meet EMFILE mid-transfer
function fdHog() {
  const r = seeded(cfg.seed, 98, 0);
  let timer = null, held = [];
  const release = () => { for (const fd of held) closeSync(fd); held = []; };
  const phase = () => {
    for (;;) {
      try { held.push(openSync('/dev/null', 'r')); } catch { break; }
    }
    bump(stats.faults, 'descriptors exhausted');
    timer = setTimeout(() => {
      release();
      timer = setTimeout(phase, 200 + Math.floor(r() * 800));
    }, 20 + Math.floor(r() * 130));
  };
  timer = setTimeout(phase, 100);
  return { stop: () => { clearTimeout(timer); release(); } };
}

// ---- the run
const elDelay = monitorEventLoopDelay({ resolution: 10 });

// One descriptor kept in reserve, so that counting them works even when a leak used them up.
let reserve = openSync('/dev/null', 'r');
function withReserve(fn) {
  if (reserve >= 0) closeSync(reserve);
  try {
    return fn();
  } finally {
    // Another thread may have taken the slot meanwhile: then there is no reserve until later.
    try { reserve = openSync('/dev/null', 'r'); } catch { reserve = -1; }
  }
}
const fdCount = () => withReserve(() => readdirSync('/proc/self/fd').length);

async function quiet() {
  elDelay.disable(); // the collections below are ours, not the library's
  for (let k = 0; k < 3; k++) { global.gc?.(); await new Promise((resolve) => setTimeout(resolve, 50)); }
  const m = process.memoryUsage();
  const q = { rss: m.rss / 2 ** 20, heap: m.heapUsed / 2 ** 20, buffers: m.arrayBuffers / 2 ** 20, fds: fdCount() };
  elDelay.enable();
  return q;
}

async function load(seconds, startIndex) {
  const deadline = Date.now() + seconds * 1000;
  let i = startIndex;
  const running = new Set();
  let normal = 0, held = 0, wake = null;
  const launch = (opts) => {
    const plan = makePlan(cfg.seed, cfg.worker, i++, cfg.files, { profile: cfg.profile, ...opts });
    if (plan.hold) plan.hold = burst;
    if (plan.hold) burstWaiting++;
    const p = runPlan(plan).catch((err) => violation(plan, 'the harness itself failed', { error: String(err?.stack ?? err) }))
      .finally(() => { if (plan.hold && !plan.called) { plan.called = true; burstWaiting--; } });
    running.add(p);
    if (opts.burst) held++; else normal++;
    p.finally(() => {
      running.delete(p);
      if (opts.burst) held--; else normal--;
      wake?.();
    });
  };
  // Bursts of transfers whose readers wait before reading: at least cfg.burst in flight at
  // once, past the core's table of entries (the rest wait for one), with the normal load.
  let nextBurst = Date.now(), releaseAt = 0;
  if (cfg.huge) launch({ huge: true });
  while (Date.now() < deadline) {
    if (cfg.burst > 0 && held === 0 && Date.now() >= nextBurst) {
      bump(stats.faults, 'in-flight burst');
      burst++;
      // In slices, so that starting them is not one long turn of the event loop.
      for (let k = 0; k < cfg.burst; k++) {
        launch({ burst: true });
        if (k % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
      }
      releaseAt = Date.now() + BURST_HOLD_MS;
      nextBurst = Date.now() + cfg.burstEverySeconds * 1000;
    }
    // Released once every transfer of the burst is in flight, or after BURST_HOLD_MS at most.
    if (releaseAt && (burstWaiting === 0 || Date.now() >= releaseAt)) {
      releaseAt = 0;
      process.send({ release: burst });
    }
    while (normal < cfg.concurrency) launch({});
    await new Promise((resolve) => { wake = resolve; setTimeout(resolve, 50); });
    wake = null;
  }
  if (releaseAt) process.send({ release: burst });
  const drained = await bounded(CALL_TIMEOUT_MS + 2 * REPORT_TIMEOUT_MS, Promise.allSettled([...running]));
  if (drained === TIMEOUT) violation(null, 'transfers still running long after the run ended', { running: running.size });
  return i;
}

await gotAddresses;
try {
  const trace = (what) => { if (process.env.SOAK_TRACE) process.stderr.write(`${cfg.name}: ${what}\n`); };
  if (process.env.SOAK_TRACE) setInterval(() => process.stderr.write(`${cfg.name} inFlight ${inFlight} peak ${stats.peakInFlight} calls ${stats.calls} bw ${burstWaiting} ${JSON.stringify(stage)} ${JSON.stringify(stats.outcomes)}\n`), 200).unref();
  const hog = cfg.hog ? poolHog() : null;
  elDelay.enable();
  // Three phases with a quiet point after each (nothing in flight, garbage collected): the
  // first lets the allocator and the pools reach their working size, the other two carry the
  // same load, so the memory they leave behind can be compared.
  const warmSeconds = Math.max(3, cfg.seconds * 0.2);
  const phaseSeconds = Math.max(1, (cfg.seconds - warmSeconds) / 2);
  const quietPoints = [];
  const startedAt = Date.now();
  let next = 0;
  for (const seconds of [warmSeconds, phaseSeconds, phaseSeconds]) {
    const hog = cfg.hog ? poolHog() : null;
    const starve = cfg.profile === 'lowfd' ? fdHog() : null;
    next = await load(seconds, next);
    starve?.stop();
    await hog?.stop();
    quietPoints.push(await quiet());
    trace(`phase done at ${((Date.now() - startedAt) / 1000).toFixed(1)} s: ${JSON.stringify(quietPoints.at(-1))}`);
  }
  elDelay.disable();
  const [afterWarmup, middle, atEnd] = quietPoints;
  // Descriptors close asynchronously: give them a moment before calling one a leak.
  for (let k = 0; k < 40 && fdCount() > afterWarmup.fds; k++) await new Promise((resolve) => setTimeout(resolve, 50));
  atEnd.fds = fdCount();
  if (atEnd.fds !== afterWarmup.fds) violation(null, 'open descriptors did not return to their baseline', { baseline: afterWarmup.fds, end: atEnd.fds, open: openDescriptors() });
  // Same load, same memory: what the last phase adds over the one before is a leak.
  const rssGrowth = atEnd.rss - middle.rss;
  if (rssGrowth > cfg.rssLimitMiB) violation(null, 'RSS grew from one phase to the next', { afterWarmup: afterWarmup.rss, middle: middle.rss, atEnd: atEnd.rss, limit: cfg.rssLimitMiB });
  const bufferGrowth = atEnd.buffers - middle.buffers;
  if (bufferGrowth > 16) violation(null, 'Buffers held grew from one phase to the next', { middle: middle.buffers, atEnd: atEnd.buffers });
  stats.eventLoop = { p50: elDelay.percentile(50) / 1e6, p99: elDelay.percentile(99) / 1e6, max: elDelay.max / 1e6 };
  stats.memory = { afterWarmup, middle, atEnd, rssGrowth };
  stats.native = capabilities();
  process.send({ result: { stats, violations } }, () => process.exit(0));
} catch (err) {
  violation(null, 'the worker itself failed', { error: String(err?.stack ?? err) });
  process.send({ result: { stats, violations } }, () => process.exit(1));
}

function openDescriptors() {
  return withReserve(() => readdirSync('/proc/self/fd')).map((f) => { try { return `${f} -> ${readlinkSync(`/proc/self/fd/${f}`)}`; } catch { return f; } });
}
