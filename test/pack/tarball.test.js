// The packed tarball as a user installs it: what it holds, publint and arethetypeswrong, the
// prebuilt addons' glibc floor, and what an install with --ignore-scripts and no compiler on
// PATH gives: the native path on linux-x64 glibc, and elsewhere the buffered path with
// capabilities().reason saying why. "Elsewhere" is the real installed loader run with
// process.arch, process.platform or the libc report changed before it loads (no other machine
// is at hand here; linux-arm64 itself runs for real in arm64.test.js).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMPILERS, packed, nodeIn, readPackage, root, run, CI } from './_pack.js';

const { tarball, consumer, pkg, list, env } = packed();
const files = list.files.map((f) => f.path);
const bin = (name) => join(root, 'node_modules/.bin', name);

/** Every file an `exports` target, `main`, `types` or `bin` names. */
function declaredTargets(p) {
  const out = new Set([p.main, p.types, ...Object.values(p.bin)]);
  const walk = (v) => { if (typeof v === 'string') out.add(v); else for (const x of Object.values(v)) walk(x); };
  walk(p.exports);
  return [...out].map((f) => f.replace(/^\.\//, ''));
}

test('the tarball holds every file the package declares, and both Linux prebuilds', () => {
  const p = readPackage();
  for (const f of declaredTargets(p)) assert.ok(files.includes(f), `${f} is declared but not packed`);
  for (const target of ['linux-x64', 'linux-arm64']) {
    assert.ok(files.includes(`dist/native/${target}/sock_sendfile.node`), `no ${target} prebuild (native/prebuild.sh)`);
  }
});

test('and nothing a user does not need: no sources, tests, build scripts or build output', () => {
  const allowed = [
    /^(README\.md|package\.json|bin\/sock-sendfile\.js)$/,
    /^dist\/(node|cli|http|web|workerd|deno)\.js(\.map)?$/,
    /^dist\/core\.wasm$/,
    /^dist\/types\/.*\.d\.ts$/,
    /^dist\/native\/[a-z0-9]+-[a-z0-9]+(-musl)?\/sock_sendfile\.node$/,
    /^dist\/wasi\/(sock-sendfile-(command|library|preview1)\.wasm|jco-preopen\.js)$/,
    /^dist\/wasi\/library-js\/.*\.(js|d\.ts|core\.wasm)$/,
  ];
  const stray = files.filter((f) => !allowed.some((re) => re.test(f)));
  assert.equal(stray, [], `not for users: ${stray.join(', ')}`);
});

test("the README's install section states the tarball's file count and size", () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const m = /tarball of ([\d,]+) files, ([\d.]+) kB packed/.exec(readme);
  assert.ok(m, 'README: "tarball of N files, X kB packed" not found');
  const kb = list.size / 1000;
  // Both move with every change to the code (a new source file is a new .d.ts): the README's
  // figures are those of the day they were written, and must stay within 10%.
  const near = (stated, actual) => Math.abs(actual - stated) / actual < 0.1;
  assert.ok(near(Number(m[1].replace(/,/g, '')), list.entryCount), `README says ${m[1]} files, the tarball has ${list.entryCount}`);
  assert.ok(near(Number(m[2]), kb), `README says ${m[2]} kB, the tarball is ${kb.toFixed(1)} kB`);
  console.log(`  tarball: ${list.entryCount} files, ${kb.toFixed(1)} kB packed, ${(list.unpackedSize / 1000).toFixed(1)} kB unpacked`);
});

test('publint: no errors, no warnings', async () => {
  const r = await run(bin('publint'), ['run', tarball, '--strict', '--level', 'warning'], { ms: 60_000 });
  assert.is(r.code, 0, `${r.stdout}\n${r.stderr}`);
});

// esm-only: CommonJS resolution is not a goal (the package is ESM; require(esm) covers Node
// 20.19+, tested below). The .wasm subpaths are files to read or fetch, not modules to import;
// jco-preopen.js is a `jco run --jco-import` hook that nothing imports.
test('arethetypeswrong (profile esm-only; the .wasm and jco hook subpaths are not imports)', async () => {
  const r = await run(bin('attw'), [tarball, '--profile', 'esm-only', '--format', 'ascii',
    '--exclude-entrypoints', './core.wasm', './wasi/command.wasm', './wasi/library.wasm', './wasi/preview1.wasm', './wasi/jco-preopen.js'],
  { ms: 120_000 });
  assert.is(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /"sock-sendfile\/wasi\/library"/);
});

test('the prebuilt addons need glibc 2.28 at most (the floor of Node 20 itself)', async () => {
  const r0 = await run('objdump', ['--version'], { ms: 10_000 }).catch(() => ({ code: -1 }));
  if (r0.code !== 0) {
    if (CI) assert.unreachable('objdump (binutils) missing');
    console.log('skip: glibc symbol versions (no objdump)');
    return;
  }
  for (const target of ['linux-x64', 'linux-arm64']) {
    const r = await run('objdump', ['-T', join(pkg, `dist/native/${target}/sock_sendfile.node`)], { ms: 10_000 });
    assert.is(r.code, 0, r.stderr);
    const versions = [...new Set(r.stdout.match(/GLIBC_[\d.]+/g))];
    const newest = versions.map((v) => v.slice(6).split('.').map(Number)).sort((a, b) => a[0] - b[0] || a[1] - b[1] || (a[2] ?? 0) - (b[2] ?? 0)).pop();
    assert.ok(newest[0] === 2 && newest[1] <= 28, `${target} needs GLIBC_${newest.join('.')}: ${r.stdout.split('\n').filter((l) => /GLIBC_2\.(29|[3-9]\d)/.test(l)).join('; ')}`);
    console.log(`  ${target}: newest symbol GLIBC_${newest.join('.')}`);
  }
});

test('installed with --ignore-scripts, no compiler on PATH: the native path from the prebuild', async () => {
  for (const cc of COMPILERS) assert.not.ok(existsSync(join(env.PATH, cc)), `${cc} on the consumer's PATH`);
  assert.not.ok(existsSync(join(pkg, 'native')) || existsSync(join(pkg, 'build')), 'nothing was built in the package');
  if (process.platform !== 'linux' || process.arch !== 'x64') return; // the native expectation is linux-x64's
  const caps = await nodeIn(consumer, env, "import { capabilities } from 'sock-sendfile'; console.log(JSON.stringify(capabilities()))");
  assert.equal(caps, { native: true, backend: 'linux-sendfile' });
  // The README's check, as a user runs it: npx finds the package's bin.
  const r = await run(join(env.PATH, 'npx'), ['sock-sendfile', 'check', '--json', '--size', '3000000'], { cwd: consumer, env, ms: 60_000 });
  assert.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.is(out.ok, true);
  assert.is(out.path, 'native');
  assert.ok(out.nativeBytes > 0);
});

/** capabilities() from the installed package, with `preload` run before it loads. */
function elsewhere(preload) {
  return nodeIn(consumer, env, "import { capabilities } from 'sock-sendfile'; console.log(JSON.stringify(capabilities()))",
    { args: ['--import', `data:text/javascript,${encodeURIComponent(preload)}`] });
}

test('another Linux architecture: buffered, and the reason names what the package has', async () => {
  const caps = await elsewhere("Object.defineProperty(process, 'arch', { value: 'riscv64' });");
  assert.is(caps.native, false);
  assert.match(caps.reason, /^no prebuilt addon for linux-riscv64 in this package, which has linux-arm64, linux-x64$/);
});

test('musl libc (Alpine): buffered, never the glibc addon, and the reason says musl', async () => {
  // What a musl Node maps: its loader instead of glibc's libc.so.6.
  const caps = await elsewhere(`import { syncBuiltinESMExports } from 'node:module';
    import fs from 'node:fs';
    const real = fs.readFileSync;
    fs.readFileSync = (p, ...a) => p === '/proc/self/maps' ? '7f0000000000-7f0000001000 r-xp 0 08:01 1 /lib/ld-musl-x86_64.so.1\\n' : real(p, ...a);
    syncBuiltinESMExports();`);
  assert.is(caps.native, false);
  assert.match(caps.reason, /^no prebuilt addon for linux-x64-musl \(musl libc; the Linux prebuilds are for glibc\) in this package, which has linux-arm64, linux-x64$/);
});

test('macOS: buffered, with the reason', async () => {
  const caps = await elsewhere("Object.defineProperty(process, 'platform', { value: 'darwin' });");
  assert.equal(caps, { native: false, backend: null, reason: 'sendfile(2) for sockets is only used on Linux' });
});

test('where the addon is missing, `sock-sendfile check` still verifies the bytes, over the buffered path', async () => {
  const preload = encodeURIComponent("Object.defineProperty(process, 'arch', { value: 'riscv64' });");
  const r = await run(join(env.PATH, 'node'), ['--import', `data:text/javascript,${preload}`, join(consumer, 'node_modules/.bin/sock-sendfile'), 'check'],
    { cwd: consumer, env, ms: 60_000 });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /via the buffered path/);
  assert.match(r.stdout, /no prebuilt addon for linux-riscv64/);
});

test("require('sock-sendfile') from CommonJS on this Node (require of ESM, Node 20.19+)", async () => {
  const [major, minor] = process.versions.node.split('.').map(Number);
  const code = "const m = require('sock-sendfile'); console.log(JSON.stringify({ fn: typeof m.sockSendfile, caps: m.capabilities() }));";
  const r = await run(join(env.PATH, 'node'), ['-e', code], { cwd: consumer, env, ms: 30_000 });
  if (major > 20 || (major === 20 && minor >= 19)) {
    assert.is(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.is(out.fn, 'function');
    assert.is(typeof out.caps.native, 'boolean');
    assert.not.match(r.stderr, /Warning/, `require printed: ${r.stderr}`);
  } else {
    // Older Node 20: Node's own error, which tells the user to use import().
    assert.match(r.stderr, /ERR_REQUIRE_ESM/);
  }
});

test('Bun runs the installed package, native', async () => {
  const bun = join(root, 'node_modules/.bin/bun');
  const v = await run(bun, ['--version'], { ms: 30_000 }).catch((err) => ({ code: -1, stderr: err.message }));
  if (v.code !== 0) {
    if (CI) assert.unreachable(`Bun does not start: ${v.stderr}`);
    console.log(`skip: Bun from the installed package (Bun does not start: ${v.stderr?.trim()})`);
    return;
  }
  const r = await run(bun, ['-e', "import { capabilities } from 'sock-sendfile'; console.log(JSON.stringify(capabilities()))"],
    { cwd: consumer, env, ms: 30_000 });
  assert.is(r.code, 0, r.stderr);
  const caps = JSON.parse(r.stdout.trim().split('\n').pop());
  if (process.platform === 'linux' && process.arch === 'x64') assert.equal(caps, { native: true, backend: 'linux-sendfile' });
});

test.run();
