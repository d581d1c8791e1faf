// Shared by test/pack/: the package as a user gets it. `packed()` runs `npm pack` on the built
// tree and installs the tarball with --ignore-scripts into an empty consumer folder whose PATH
// holds node, npm, npx and sh only (no compiler can be reached), once per content of the tarball:
// every test file of a run reuses it from .tmp/pack/<hash of the packed files>/.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { root, run, start, within, unavailable, CI } from '../web/_helpers.js';

export { root, run, start, within, unavailable, CI };

/** The environment of every child: no npm_* of the `npm test` that started us. */
export function cleanEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return { ...env, NO_COLOR: '1', ...extra };
}

function npm(args, opts = {}) {
  return execFileSync('npm', args, { cwd: root, encoding: 'utf8', env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}

/** `npm pack --dry-run`'s view: { files: [{ path, size }], size, unpackedSize, entryCount }. */
export function packList() {
  return JSON.parse(npm(['pack', '--dry-run', '--json', '--ignore-scripts']))[0];
}

/** The first `cmd` on `path`, or null. */
export function which(cmd, path = process.env.PATH ?? '') {
  for (const dir of path.split(delimiter)) {
    const p = join(dir, cmd);
    if (dir && existsSync(p)) return p;
  }
  return null;
}

/** Commands a native build would need: none may be on the consumer's PATH. */
export const COMPILERS = ['cc', 'gcc', 'clang', 'c++', 'g++', 'make'];

let cached;

/**
 * Packs and installs once per tarball content. Returns { tarball, consumer, pkg, list, env }:
 * `consumer` is the project folder, `pkg` its node_modules/sock-sendfile, `env` the environment
 * (PATH without compilers) to run anything there with.
 */
export function packed() {
  if (cached) return cached;
  if (!existsSync(join(root, 'dist/node.js'))) throw new Error('dist/ is not built: run npm install (or bash build.sh) first');
  const list = packList();
  const hash = createHash('sha256');
  for (const f of list.files) hash.update(`${f.path}\0`).update(readFileSync(join(root, f.path)));
  const key = hash.digest('hex').slice(0, 16);
  const base = join(root, '.tmp/pack');
  const dir = join(base, key);
  const consumer = join(dir, 'consumer');
  const bin = join(dir, 'bin');
  const env = cleanEnv({ PATH: bin, HOME: process.env.HOME ?? dir });

  if (!existsSync(join(dir, 'installed'))) {
    rmSync(base, { recursive: true, force: true });
    mkdirSync(consumer, { recursive: true });
    mkdirSync(bin);
    // node, npm, npx and sh only: npm's scripts find node through PATH (#!/usr/bin/env node).
    symlinkSync(process.execPath, join(bin, 'node'));
    symlinkSync('/bin/sh', join(bin, 'sh')); // npx runs a bin through sh -c
    for (const tool of ['npm', 'npx']) {
      const found = which(tool);
      if (!found) throw new Error(`${tool} is not on PATH`);
      symlinkSync(realpathSync(found), join(bin, tool));
    }
    npm(['pack', '--ignore-scripts', '--pack-destination', dir]);
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2));
    execFileSync(join(bin, 'npm'), ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', join(dir, `sock-sendfile-${readPackage().version}.tgz`)],
      { cwd: consumer, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    writeFileSync(join(dir, 'installed'), new Date().toISOString());
  }
  cached = {
    tarball: join(dir, `sock-sendfile-${readPackage().version}.tgz`),
    consumer,
    pkg: join(consumer, 'node_modules/sock-sendfile'),
    list,
    env,
    bin,
  };
  return cached;
}

export function readPackage() {
  return JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
}

/** Runs `node -e code` (ESM with `--input-type=module`) in the consumer; stdout parsed as JSON. */
export async function nodeIn(consumer, env, code, { args = [], node = process.execPath, wrap = [], ms = 60_000 } = {}) {
  const cmd = wrap.length ? wrap[0] : node;
  const argv = [...wrap.slice(1), ...(wrap.length ? [node] : []), ...args, '--input-type=module', '-e', code];
  const r = await run(cmd, argv, { cwd: consumer, env, ms });
  if (r.code !== 0) throw new Error(`node exited ${r.code ?? r.signal ?? 'on timeout'}: ${r.stderr.trim().slice(-1500)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

/** A project folder beside the consumer's node_modules (so imports resolve the installed package). */
export function project(consumer, name, files) {
  const d = join(consumer, name);
  rmSync(d, { recursive: true, force: true });
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(d, file)), { recursive: true });
    writeFileSync(join(d, file), text);
  }
  return d;
}

/** Exits non-zero with the reason on stderr when a tool cannot be set up: see setup.sh. */
export function setup(what) {
  const r = spawnSync('bash', [join(root, 'test/pack/setup.sh'), what], { encoding: 'utf8', env: cleanEnv(), timeout: 600_000 });
  if (r.status === 0) return { path: r.stdout.trim().split('\n').pop() };
  return { why: (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').pop() };
}
