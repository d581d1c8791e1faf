#!/usr/bin/env node
// Runs every test file in its own process, bounded in time, and ends with the plain line
// "N passed, N failed" that CI reads (skips are counted on the line before it). Files under test/node/ run four times: under
// Node with the native backend as loaded, under Node with SOCK_SENDFILE_NATIVE=0 (the buffered
// path only), under Bun with the native backend as loaded, and under Deno's Node compatibility
// (Bun and Deno are npm devDependencies). A runtime that cannot start is a skip with its reason,
// and a failure when CI=true. Files under test/http/ run three times: native, SOCK_SENDFILE_NATIVE=0
// and Bun (not Deno: its node:http was not tried with them).
//
// Usage: node test/run.js [filter]   (filter: a substring of the file path)
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const FILE_TIMEOUT_MS = Number(process.env.TEST_FILE_TIMEOUT_MS || 240_000);
const filter = process.argv[2] || '';

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

// The other runtimes test/node/ runs under, and how each starts a file.
const RUNTIMES = {
  bun: { name: 'Bun', path: join(root, 'node_modules', '.bin', 'bun'), args: [], env: {} },
  // Deno needs every permission the suites use (sockets, files, env, child processes) and the
  // node_modules npm installed, not its own resolution.
  deno: {
    name: 'Deno', path: join(root, 'node_modules', '.bin', 'deno'),
    args: ['run', '--allow-all', '--no-prompt', '--node-modules-dir=manual'], env: { DENO_NO_UPDATE_CHECK: '1' },
  },
};
const problems = new Map(); // runtime -> null when it starts, else why not
function runtimeUnavailable(runtime) {
  if (!problems.has(runtime)) {
    const { name, path } = RUNTIMES[runtime];
    const r = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 30_000 });
    problems.set(runtime, r.status === 0 ? null : `${name} cannot start (${r.error?.message ?? r.stderr?.trim() ?? `exit ${r.status}`})`);
  }
  return problems.get(runtime);
}

function runs(file) {
  const rel = relative(root, file);
  const threeWays = [{ label: `${rel} [native as loaded]`, env: {} },
                     { label: `${rel} [SOCK_SENDFILE_NATIVE=0]`, env: { SOCK_SENDFILE_NATIVE: '0' } },
                     { label: `${rel} [bun]`, env: {}, runtime: 'bun' }];
  if (rel.startsWith(join('test', 'node') + '/')) return [...threeWays, { label: `${rel} [deno]`, env: {}, runtime: 'deno' }];
  if (rel.startsWith(join('test', 'http') + '/')) return threeWays;
  return [{ label: rel, env: {} }];
}

function runOne(file, extraEnv, label, runtime) {
  const problem = runtime && runtimeUnavailable(runtime);
  if (problem) {
    const ci = process.env.CI === 'true';
    process.stdout.write(`${ci ? 'FAIL' : 'skip'}: ${label}: ${problem}\n`);
    return Promise.resolve({ label, passed: 0, failed: ci ? 1 : 0, skipped: ci ? 0 : 1 });
  }
  const rt = runtime ? RUNTIMES[runtime] : { path: process.execPath, args: [], env: {} };
  return new Promise((resolve) => {
    const child = spawn(rt.path, [...rt.args, file], {
      cwd: root,
      env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1', ...rt.env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, so a timeout ends everything it started
    });
    let out = '';
    child.stdout.on('data', (d) => { out += d; process.stdout.write(d); });
    child.stderr.on('data', (d) => { process.stderr.write(d); });
    const timer = setTimeout(() => {
      out += `\n[run.js] ${label}: timed out after ${FILE_TIMEOUT_MS} ms\n`;
      process.stdout.write(`\n[run.js] ${label}: timed out after ${FILE_TIMEOUT_MS} ms\n`);
      try { process.kill(-child.pid, 'SIGKILL'); } catch {}
    }, FILE_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
      const total = Number(/Total:\s+(\d+)/.exec(plain)?.[1] ?? 0);
      const passed = Number(/Passed:\s+(\d+)/.exec(plain)?.[1] ?? 0);
      const skipped = Number(/Skipped:\s+(\d+)/.exec(plain)?.[1] ?? 0);
      let failed = total - passed;
      // A file that crashed, timed out or exited non-zero with no failure counted is one failure.
      if ((code !== 0 || signal) && failed === 0) failed = 1;
      // A file that ran no test and skipped none proves nothing.
      if (total === 0 && failed === 0 && skipped === 0) failed = 1;
      resolve({ label, passed, failed, skipped, code, signal });
    });
  });
}

const files = findTests(join(root, 'test')).filter((f) => relative(root, f).includes(filter));
const results = [];
for (const file of files) {
  for (const { label, env, runtime } of runs(file)) {
    process.stdout.write(`\n### ${label}\n`);
    results.push(await runOne(file, env, label, runtime));
  }
}
let passed = 0, failed = 0, skipped = 0;
process.stdout.write('\nSummary by file:\n');
for (const r of results) {
  passed += r.passed; failed += r.failed; skipped += r.skipped;
  process.stdout.write(`  ${r.failed ? 'FAIL' : 'ok  '} ${r.label}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped\n`);
}
process.stdout.write(`\n${skipped} skipped (each with its reason above)\n${passed} passed, ${failed} failed\n`);
process.exitCode = failed > 0 ? 1 : 0;
