// Shared by the web tests: loopback TCP receivers that hash what they get, free ports, child
// processes bounded in time and killed by pid, and the skip-or-fail rule for runtimes that
// cannot start (a printed skip outside CI, a failure with CI=true).
import { spawn } from 'node:child_process';
import { cpSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CI, sha, tempDir as tempDirIn, within } from '../lib.js';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export { CI, sha, within };
export const tempDir = () => tempDirIn('web');

const children = new Set();
process.on('exit', () => {
  for (const c of children) { try { process.kill(c.pid, 'SIGKILL'); } catch {} }
});

/** Copies files into a fresh directory: { name: sourcePath }. */
export function stage(files) {
  const dir = tempDir();
  for (const [name, from] of Object.entries(files)) cpSync(from, join(dir, name));
  return dir;
}


/**
 * A TCP receiver on 127.0.0.1. `conn()` resolves with the next connection in the order they
 * were accepted, as { bytes, sha } once its peer ended. `slow` pauses the reader after every chunk.
 */
export async function receiver({ slow = 0 } = {}) {
  const accepted = [];
  const waiting = [];
  const sockets = new Set();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    const chunks = [];
    const result = new Promise((resolve) => {
      s.on('end', () => {
        const bytes = Buffer.concat(chunks);
        resolve({ bytes, sha: sha(bytes) });
        s.end();
      });
    });
    s.on('data', (d) => {
      chunks.push(d);
      if (slow) { s.pause(); setTimeout(() => s.resume(), slow); }
    });
    const w = waiting.shift();
    if (w) w(result); else accepted.push(result);
  });
  await new Promise((resolve, reject) => { server.once('error', reject); server.listen(0, '127.0.0.1', resolve); });
  return {
    port: server.address().port,
    conn: () => (accepted.length ? accepted.shift() : new Promise((resolve) => waiting.push(resolve))),
    close: () => { for (const s of sockets) s.destroy(); return new Promise((r) => server.close(() => r())); },
  };
}

/** A port that was free a moment ago on 127.0.0.1 (for a child that must bind it itself). */
export async function freePort() {
  const srv = net.createServer();
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** Starts a child process; output is collected; kill() ends it by its pid. */
export function start(cmd, args, { cwd = root, env = {} } = {}) {
  const child = spawn(cmd, args, { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d) => { out.stdout += d; });
  child.stderr.on('data', (d) => { out.stderr += d; });
  const exited = new Promise((resolve) => child.on('close', (code, signal) => { children.delete(child); resolve({ code, signal }); }));
  child.on('error', (err) => { out.stderr += `\n${err.message}`; });
  return {
    child, out, exited,
    kill: () => { if (child.exitCode === null && child.signalCode === null) { try { process.kill(child.pid, 'SIGKILL'); } catch {} } return exited; },
  };
}

/** Runs a child to completion within `ms`; { code, signal, stdout, stderr }. */
export async function run(cmd, args, { ms = 60_000, ...opts } = {}) {
  const p = start(cmd, args, opts);
  let timer;
  const timeout = new Promise((resolve) => { timer = setTimeout(() => { p.kill(); resolve({ timedOut: true }); }, ms); });
  const r = await Promise.race([p.exited, timeout]);
  clearTimeout(timer);
  return { ...r, ...p.out };
}

/**
 * The rule for a runtime that cannot start: outside CI a printed skip with its reason (counted
 * as skipped, never as passed); with CI=true a failing test.
 */
export function unavailable(runtime, why) {
  if (CI) {
    test(`${runtime} starts (required with CI=true)`, () => { assert.unreachable(why); });
  } else {
    console.log(`skip: ${runtime} tests (${why})`);
    test.skip(`${runtime} tests (${why})`, () => {});
  }
}

/** Polls `url` until it answers (true) or `proc` exits or `ms` pass (false). */
export async function waitHttp(url, proc, ms) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) return false;
    try {
      await fetch(url, { signal: AbortSignal.timeout(1000) }).then((r) => r.arrayBuffer());
      return true;
    } catch { await new Promise((r) => setTimeout(r, 100)); }
  }
  return false;
}
