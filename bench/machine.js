// What the numbers were measured on: they mean little without it.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';

function tryRun(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export function machine() {
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpuModel = m[1].trim();
  } catch { /* not Linux */ }
  return {
    date: new Date().toISOString(),
    nproc: Number(tryRun('nproc', [])) || cpus().length,
    cpuModel,
    memory: tryRun('free', ['-h']),
    kernel: release(),
    loadavg: loadavg(),
    node: process.version,
    python: tryRun('python3', ['-c', 'import sys; print(sys.version.split()[0])']),
    cc: tryRun('cc', ['--version'])?.split('\n')[0] ?? null,
  };
}

export function formatMachine(m) {
  return [
    `date:    ${m.date}`,
    `cpu:     ${m.cpuModel}, nproc ${m.nproc}`,
    `kernel:  ${m.kernel}   load average at start: ${m.loadavg.map((x) => x.toFixed(2)).join(' ')}`,
    `node:    ${m.node}   python3: ${m.python ?? 'absent'}   cc: ${m.cc ?? 'absent'}`,
    'memory (free -h):',
    ...(m.memory ?? 'unknown').split('\n').map((l) => `  ${l}`),
  ].join('\n');
}
