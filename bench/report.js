// Turns raw runs into medians, tables and the met/unmet verdict on the targets of issues 3 and 13.
// Pure functions over the result object run.js builds; nothing here measures.

export const median = (xs) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const GiB = 1 << 30;
const MiB = 1 << 20;

/** Medians and derived figures for one sender in one case. */
export function summarize(kase, runs) {
  const ok = runs.filter((r) => r.ok && r.valid);
  if (ok.length === 0) return { ok: false, error: runs.find((r) => !r.ok || !r.valid)?.error ?? 'no runs' };
  const wallNs = median(ok.map((r) => r.wallNs));
  const cpuUs = median(ok.map((r) => r.cpuUs));
  const bytes = ok[0].bytes;
  const s = {
    ok: true,
    reps: ok.length,
    wallNs,
    perTransferUs: wallNs / 1e3 / kase.transfers,
    cpuPerTransferUs: cpuUs / kase.transfers,
    cpuMsPerGiB: (cpuUs / 1e3) / (bytes / GiB),
    throughputMiBs: bytes / MiB / (wallNs / 1e9),
    minPerTransferUs: Math.min(...ok.map((r) => r.wallNs)) / 1e3 / kase.transfers,
    maxPerTransferUs: Math.max(...ok.map((r) => r.wallNs)) / 1e3 / kase.transfers,
    receiverBusy: median(ok.map((r) => r.receiverBusy)),
    receiverBusyMax: Math.max(...ok.map((r) => r.receiverBusy)),
  };
  if (ok[0].nativeBytes !== undefined) s.nativeShare = median(ok.map((r) => r.nativeBytes / r.bytes));
  if (ok[0].eld) {
    s.eldP99Ms = median(ok.map((r) => r.eld.p99Ms));
    s.eldP99WorstMs = Math.max(...ok.map((r) => r.eld.p99Ms));
    s.eldMaxMs = Math.max(...ok.map((r) => r.eld.maxMs));
  }
  return s;
}

const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');
const pad = (s, n) => String(s).padStart(n);
const padEnd = (s, n) => String(s).padEnd(n);

function timeCell(us) {
  if (!Number.isFinite(us)) return '-';
  if (us < 1000) return `${fmt(us, 1)} µs`;
  return `${fmt(us / 1000, us < 10_000 ? 2 : 1)} ms`;
}

/**
 * One table per case: median time per transfer, throughput, sender CPU, and each sender's time
 * as a multiple of the reference senders' (>1: slower than that reference).
 */
export function caseTable(kase, summaries, senders) {
  const refs = ['native', 'cpython', 'pipe64k', 'c', 'socat'].filter((id) => summaries[id]?.ok);
  const labels = { native: '÷native', cpython: '÷CPython', pipe64k: '÷pipe64K', c: '÷C', socat: '÷socat' };
  const big = kase.bytesPerTransfer >= 64 * MiB;
  const head = [
    padEnd('sender', 40), pad('median', 10), pad('min..max', 19), pad('MiB/s', 8),
    pad(big ? 'CPU ms/GiB' : 'CPU/xfer', 11), ...refs.map((r) => pad(labels[r], 9)), pad('rcv busy', 9),
  ];
  if (kase.eld) head.push(pad('ELD p99', 8), pad('ELD max', 8));
  const lines = [head.join(' '), '-'.repeat(head.join(' ').length)];
  for (const s of senders) {
    const m = summaries[s.id];
    if (!m) continue;
    if (!m.ok) { lines.push(`${padEnd(s.label, 40)} FAILED: ${m.error}`); continue; }
    const row = [
      padEnd(s.label, 40), pad(timeCell(m.perTransferUs), 10),
      pad(`${timeCell(m.minPerTransferUs)}..${timeCell(m.maxPerTransferUs)}`, 19),
      pad(fmt(m.throughputMiBs, 0), 8),
      pad(big ? fmt(m.cpuMsPerGiB, 0) : timeCell(m.cpuPerTransferUs), 11),
      ...refs.map((r) => pad(`${fmt(m.wallNs / summaries[r].wallNs, 2)}x`, 9)),
      pad(`${fmt(m.receiverBusy * 100, 0)}%`, 9),
    ];
    if (kase.eld) row.push(pad(m.eldP99Ms !== undefined ? `${fmt(m.eldP99Ms, 1)}` : '-', 8), pad(m.eldMaxMs !== undefined ? fmt(m.eldMaxMs, 1) : '-', 8));
    lines.push(row.join(' '));
  }
  return lines.join('\n');
}

/** The targets of issues 3 and 13, each met, unmet, or not measured in this run (and why). */
export function targets(S) {
  const get = (c, id) => (S[c]?.[id]?.ok ? S[c][id] : null);
  const out = [];
  const t = (name, need, fn) => {
    const missing = need.filter(([c, id]) => !get(c, id)).map(([c, id]) => `${c}/${id}`);
    if (missing.length) { out.push({ name, status: 'not measured', detail: `no result for ${missing.join(', ')}` }); return; }
    const { met, detail } = fn();
    out.push({ name, status: met ? 'met' : 'UNMET', detail });
  };
  t('16 KiB per file: >= 2x faster than CPython', [['16k', 'native'], ['16k', 'cpython']], () => {
    const r = get('16k', 'cpython').wallNs / get('16k', 'native').wallNs;
    return { met: r >= 2, detail: `${fmt(get('16k', 'native').perTransferUs)} vs ${fmt(get('16k', 'cpython').perTransferUs)} µs/file: ${fmt(r, 2)}x` };
  });
  t('16 KiB per file: >= 15x faster than pipeline (default hwm)', [['16k', 'native'], ['16k', 'pipe64k']], () => {
    const r = get('16k', 'pipe64k').wallNs / get('16k', 'native').wallNs;
    return { met: r >= 15, detail: `${fmt(get('16k', 'native').perTransferUs)} vs ${fmt(get('16k', 'pipe64k').perTransferUs)} µs/file: ${fmt(r, 2)}x` };
  });
  t('1 MiB: within 1.3x of CPython', [['1m', 'native'], ['1m', 'cpython']], () => {
    const r = get('1m', 'native').wallNs / get('1m', 'cpython').wallNs;
    return { met: r <= 1.3, detail: `${timeCell(get('1m', 'native').perTransferUs)} vs ${timeCell(get('1m', 'cpython').perTransferUs)}: ${fmt(r, 2)}x CPython's time` };
  });
  t('1 GiB: within 1.1x of CPython', [['1g', 'native'], ['1g', 'cpython']], () => {
    const r = get('1g', 'native').wallNs / get('1g', 'cpython').wallNs;
    return { met: r <= 1.1, detail: `${timeCell(get('1g', 'native').perTransferUs)} vs ${timeCell(get('1g', 'cpython').perTransferUs)}: ${fmt(r, 2)}x CPython's time` };
  });
  t('1 GiB: native sender CPU per GiB <= buffered path\'s', [['1g', 'native'], ['1g', 'buffered']], () => {
    const a = get('1g', 'native').cpuMsPerGiB, b = get('1g', 'buffered').cpuMsPerGiB;
    return { met: a <= b, detail: `${fmt(a, 0)} vs ${fmt(b, 0)} CPU ms/GiB` };
  });
  for (const c of ['64m', '1g']) {
    t(`${c === '64m' ? '64 MiB' : '1 GiB'}: buffered >= 1.5x pipeline (default hwm) throughput`, [[c, 'buffered'], [c, 'pipe64k']], () => {
      const r = get(c, 'buffered').throughputMiBs / get(c, 'pipe64k').throughputMiBs;
      return { met: r >= 1.5, detail: `${fmt(get(c, 'buffered').throughputMiBs, 0)} vs ${fmt(get(c, 'pipe64k').throughputMiBs, 0)} MiB/s: ${fmt(r, 2)}x` };
    });
  }
  t('cold 1 GiB, native: event-loop delay p99 <= 20 ms', [['cold', 'native']], () => {
    const m = get('cold', 'native');
    // Judged on the median rep like every other figure; the worst rep is shown because one
    // neighbour's burst on a 2-core machine is enough to move a single rep's p99.
    return { met: m.eldP99Ms <= 20, detail: `p99 ${fmt(m.eldP99Ms, 1)} ms (median rep; worst rep ${fmt(m.eldP99WorstMs, 1)}), max ${fmt(m.eldMaxMs, 1)} ms, raw histogram incl. the 10 ms interval` };
  });
  // Issue 13: the WASI artifacts in real runtimes, against socat on the same file.
  t('WASI: command component in wasmtime >= 500 MiB/s', [['wasi', 'wasmtime-cmd']], () => {
    const m = get('wasi', 'wasmtime-cmd').throughputMiBs;
    return { met: m >= 500, detail: `${fmt(m, 0)} MiB/s` };
  });
  t('WASI: command component in wasmtime >= 40% of socat', [['wasi', 'wasmtime-cmd'], ['wasi', 'socat']], () => {
    const r = get('wasi', 'wasmtime-cmd').throughputMiBs / get('wasi', 'socat').throughputMiBs;
    return { met: r >= 0.4, detail: `${fmt(get('wasi', 'wasmtime-cmd').throughputMiBs, 0)} vs ${fmt(get('wasi', 'socat').throughputMiBs, 0)} MiB/s: ${fmt(r * 100, 0)}%` };
  });
  t('WASI: preview1 in wasmtime >= 250 MiB/s', [['wasi', 'wasmtime-p1']], () => {
    const m = get('wasi', 'wasmtime-p1').throughputMiBs;
    return { met: m >= 250, detail: `${fmt(m, 0)} MiB/s` };
  });
  return out;
}

export function targetTable(list) {
  return list.map((x) => `${padEnd(x.status, 12)} ${padEnd(x.name, 58)} ${x.detail}`).join('\n');
}
