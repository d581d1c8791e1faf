// Test-process setup for test/native: makes sure the addon is built, bundles the Node host's
// backend choice (ts/node/backend.ts) with its errno names (ts/node/errno.ts), since the
// integrator's dist/node.js may not exist yet, and finds the other runtimes.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, unlinkSync, writeFileSync, lstatSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

export const root = fileURLToPath(new URL('../../', import.meta.url));
export const target = `${process.platform}-${process.arch}`;
export const addonFile = join(root, 'dist/native', target, 'sock_sendfile.node');
export const CI = process.env.CI === 'true';
const work = join(root, '.tmp/native-test');

/** The npm devDependency's Bun, and why it cannot start ('' when it can). */
export const bun = join(root, 'node_modules/.bin/bun');
export function bunStartFailure() {
  try {
    if (!existsSync(bun)) throw new Error('node_modules/.bin/bun missing');
    execFileSync(bun, ['--version'], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
    return '';
  } catch (err) {
    return `Bun does not start: ${(err.stderr || err.message || String(err)).toString().trim().split('\n').pop()}`;
  }
}

/** Builds the addon if dist/ lacks it (build.sh's step may not have run); true if it exists. */
export function ensureAddon() {
  if (!existsSync(addonFile)) {
    process.stdout.write(execFileSync('bash', [join(root, 'native/build.sh')], { cwd: root, encoding: 'utf8' }));
  }
  return existsSync(addonFile);
}

/**
 * Bundles ts/node/backend.ts (and errname from ts/node/errno.ts) into .tmp/native-test/ as the real build would, beside a `native`
 * link to dist/native, so the bundle finds the addon the way dist/node.js does. With
 * `withNative: false` it goes into a directory with no addon beside it.
 */
export async function bundleAddon({ withNative = true } = {}) {
  // Not under work/: the loader also looks one directory up (for bundles split into chunks).
  const dir = withNative ? work : join(root, '.tmp/native-test-bare/dist');
  mkdirSync(dir, { recursive: true });
  const link = join(work, 'native');
  if (withNative && !existsSync(link)) {
    try { lstatSync(link); unlinkSync(link); } catch {}
    symlinkSync(join(root, 'dist/native'), link);
  }
  const out = join(dir, `addon-${process.pid}.js`);
  const result = await build({
    stdin: {
      contents: "export * from './ts/node/backend.ts'; export { errname } from './ts/node/errno.ts';",
      resolveDir: root, loader: 'ts',
    },
    bundle: true, format: 'esm', platform: 'node',
    target: 'es2022', write: false, logLevel: 'silent',
  });
  writeFileSync(out, result.outputFiles[0].contents);
  process.on('exit', () => { try { unlinkSync(out); } catch {} });
  return out;
}

export async function importBundle(path) {
  return import(pathToFileURL(path).href);
}

/** The built addon's backend through the bundled loader, native forced on; throws if it did not load. */
export async function loadBuiltBackend() {
  if (!ensureAddon()) throw new Error('native/build.sh did not produce the addon');
  delete process.env.SOCK_SENDFILE_NATIVE;
  const { loadNativeBackend } = await importBundle(await bundleAddon());
  const { backend, reason } = loadNativeBackend();
  if (!backend) throw new Error(`addon did not load: ${reason}`);
  return backend;
}

/**
 * Runs `file` with `cmd` (a runtime binary), bounded in time; resolves { code, signal, stdout,
 * stderr }. The child is killed by its pid on timeout.
 */
export function runChild(cmd, args, { env = {}, timeoutMs = 120_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { try { process.kill(child.pid, 'SIGKILL'); } catch {} }, timeoutMs);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
  });
}

/** The last line of a child's stdout parsed as JSON (fixtures print their report last). */
export function lastJson(stdout) {
  const line = stdout.trim().split('\n').pop();
  return JSON.parse(line);
}

export const fixture = (name) => join(dirname(fileURLToPath(import.meta.url)), 'fixtures', name);
