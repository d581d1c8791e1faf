// Child processes the benchmark starts: senders that answer one JSON line per command, and the
// receiver. Every child started here is recorded so that cleanup ends exactly those pids and
// nothing else.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const started = new Set();

/** Ends every child this module started (SIGKILL by pid); safe to call more than once. */
export function killAll() {
  for (const c of started) {
    if (c.exitCode === null && c.signalCode === null) {
      try { process.kill(c.pid, 'SIGKILL'); } catch { /* already gone */ }
    }
  }
  started.clear();
}

/**
 * A child that speaks the line protocol: write a command, read one line back. The first line
 * it prints (its hello, or the receiver's "port N") is what `ready` resolves with, unparsed.
 */
export function lineChild(cmd, args, { env, cwd } = {}) {
  const child = spawn(cmd, args, { env: env ?? process.env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  started.add(child);
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  const lines = createInterface({ input: child.stdout });
  const waiting = [];
  let exited = null;
  lines.on('line', (line) => {
    const w = waiting.shift();
    if (w) w.resolve(line);
  });
  child.on('exit', (code, signal) => {
    exited = `exited (${signal ?? code})${stderr ? `: ${stderr.trim()}` : ''}`;
    started.delete(child);
    for (const w of waiting.splice(0)) w.reject(new Error(exited));
  });
  child.on('error', (err) => {
    exited = err.message;
    for (const w of waiting.splice(0)) w.reject(err);
  });

  const nextLine = (timeoutMs) => new Promise((resolve, reject) => {
    if (exited) { reject(new Error(exited)); return; }
    const timer = setTimeout(() => {
      const i = waiting.indexOf(w);
      if (i >= 0) waiting.splice(i, 1);
      // A child that misses its deadline may be mid-transfer: it cannot be reused.
      try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
      reject(new Error(`no answer within ${timeoutMs} ms${stderr ? `; stderr: ${stderr.trim()}` : ''}`));
    }, timeoutMs);
    const w = {
      resolve: (l) => { clearTimeout(timer); resolve(l); },
      reject: (e) => { clearTimeout(timer); reject(e); },
    };
    waiting.push(w);
  });

  return {
    pid: child.pid,
    get alive() { return exited === null; },
    get stderr() { return stderr; },
    ready: (timeoutMs = 30_000) => nextLine(timeoutMs),
    async request(line, timeoutMs) {
      const p = nextLine(timeoutMs);
      child.stdin.write(line + '\n');
      return JSON.parse(await p);
    },
    close() {
      child.stdin.end();
    },
  };
}
