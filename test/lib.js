// What every test area shares: the CI flag, hashing, temporary directories removed at exit,
// and a time bound for promises (a hang fails its test instead of the whole file).
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** CI=true turns a runtime or tool that cannot start from a skip into a failure. */
export const CI = process.env.CI === 'true';

export const sha = (b) => createHash('sha256').update(b).digest('hex');

const dirs = [];
process.on('exit', () => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

export function tempDir(area = 'test') {
  const d = mkdtempSync(join(tmpdir(), `sock-sendfile-${area}-`));
  dirs.push(d);
  return d;
}

export function within(ms, promise, what = 'operation') {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}
