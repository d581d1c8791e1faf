// ABI drift: the hand-declared canonical-ABI imports (wasi/guest/imports.ts) and the renamed
// exports of each component's core module must match what componentEmbed({dummy: true})
// generates for the same world of wit/, name for name and signature for signature. jco names
// the dummy's imports in the new style (`cm32p2|wasi:io/streams@0.2`, `error_drop`); ours use
// the legacy style (`wasi:io/streams@0.2.0`, `[resource-drop]error`): both are normalised first.
// Also: the preview1 command imports only wasi_snapshot_preview1 and exports only memory and
// _start, and the C shell's copy of the action codes matches wasm/abi.ts.
import { pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CI, gated, missingArtifacts, root, wasiDist } from './_helpers.js';

const VALTYPES = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64' };

// Just enough of the binary format: types, function imports and function/memory exports.
function parseModule(bytes) {
  let p = 8;
  const u32 = () => {
    let v = 0, shift = 0, b;
    do { b = bytes[p++]; v |= (b & 0x7f) << shift; shift += 7; } while (b & 0x80);
    return v >>> 0;
  };
  const name = () => { const n = u32(); const s = Buffer.from(bytes.subarray(p, p + n)).toString('utf8'); p += n; return s; };
  const types = [], imports = [], funcTypes = [], exports = [];
  while (p < bytes.length) {
    const id = bytes[p++];
    const size = u32();
    const end = p + size;
    if (id === 1) {
      for (let n = u32(); n--;) {
        if (bytes[p++] !== 0x60) throw new Error('non-function type');
        const params = []; for (let k = u32(); k--;) params.push(VALTYPES[bytes[p++]]);
        const results = []; for (let k = u32(); k--;) results.push(VALTYPES[bytes[p++]]);
        types.push(`(${params.join(',')})->(${results.join(',')})`);
      }
    } else if (id === 2) {
      for (let n = u32(); n--;) {
        const module = name(), field = name(), kind = bytes[p++];
        if (kind === 0) { const t = u32(); imports.push({ module, field, type: types[t] }); funcTypes.push(types[t]); }
        else if (kind === 1) { p++; const f = u32(); u32(); if (f & 1) u32(); }
        else if (kind === 2) { const f = u32(); u32(); if (f & 1) u32(); imports.push({ module, field, type: 'memory' }); }
        else if (kind === 3) { p += 2; }
        else throw new Error(`import kind ${kind}`);
      }
    } else if (id === 3) {
      for (let n = u32(); n--;) funcTypes.push(types[u32()]);
    } else if (id === 7) {
      for (let n = u32(); n--;) {
        const field = name(), kind = bytes[p++], index = u32();
        exports.push({ field, type: kind === 0 ? funcTypes[index] : kind === 2 ? 'memory' : `kind${kind}` });
      }
    }
    p = end;
  }
  return { imports, exports };
}

// `@0.2.0` and `@0.2` name the same interface to a host: versions compare at their semver
// compatibility level (major, or major.minor when major is 0).
const compatVersion = (v) => { const [maj, min] = v.split('.'); return maj === '0' ? `${maj}.${min}` : maj; };
const normIface = (s) => s.replace(/^cm32p2\|/, '').replace(/@([0-9.]+)$/, (_, v) => `@${compatVersion(v)}`);
const normField = (f) => f.replace(/^\[resource-drop\](.+)$/, '$1_drop');
function normExport(f) {
  if (f.startsWith('cm32p2')) {
    if (f === 'cm32p2_memory') return 'memory';
    if (f === 'cm32p2_realloc') return 'realloc';
    if (f === 'cm32p2_initialize') return 'initialize';
    const [, iface, fn] = f.split('|');
    const post = fn.endsWith('_post');
    return `${post ? 'post:' : ''}${normIface(iface)}#${post ? fn.slice(0, -5) : fn}`;
  }
  if (f === 'memory') return 'memory';
  if (f === 'cabi_realloc') return 'realloc';
  if (f === '_initialize') return 'initialize';
  const post = f.startsWith('cabi_post_');
  const [iface, fn] = (post ? f.slice(10) : f).split('#');
  return `${post ? 'post:' : ''}${normIface(iface)}#${fn}`;
}
// Exports the canonical ABI lets a module leave out.
const optionalExport = (n) => n.startsWith('post:') || n === 'initialize';

async function dummyFor(world) {
  const { componentEmbed } = await import('@bytecodealliance/jco');
  const { _addPreopen } = await import('@bytecodealliance/preview2-shim/filesystem');
  _addPreopen('/', '/');
  return componentEmbed({ dummy: true, witPath: join(root, 'wasi', 'wit'), world });
}

const worlds = ['sock-sendfile-command', 'sock-sendfile-library'];
const missing = missingArtifacts(...worlds.map((w) => `${w}.core.wasm`));

gated(test, assert, missing, (t) => {
  for (const world of worlds) {
    t(`${world}: imports and exports match componentEmbed({dummy: true})`, async () => {
      const ours = parseModule(readFileSync(join(wasiDist, `${world}.core.wasm`)));
      const dummy = parseModule(await dummyFor(world));
      const want = new Map(dummy.imports.map((i) => [`${normIface(i.module)} ${normField(i.field)}`, i.type]));
      assert.ok(ours.imports.length > 0);
      for (const i of ours.imports) {
        const key = `${normIface(i.module)} ${normField(i.field)}`;
        assert.ok(want.has(key), `import ${i.module} ${i.field} is not in world ${world}`);
        assert.is(i.type, want.get(key), `import ${i.module} ${i.field}`);
      }
      const have = new Map(ours.exports.map((e) => [normExport(e.field), e.type]));
      const need = new Map(dummy.exports.map((e) => [normExport(e.field), e.type]));
      for (const [n, type] of need) {
        if (optionalExport(n) && !have.has(n)) continue;
        assert.ok(have.has(n), `export ${n} missing`);
        assert.is(have.get(n), type, `export ${n}`);
      }
      for (const n of have.keys()) assert.ok(need.has(n), `export ${n} is not part of world ${world}`);
    });
  }

  t('the component WIT names the project package and the @0.2.0 WASI interfaces', async () => {
    const { componentWit } = await import('@bytecodealliance/jco');
    const cmd = await componentWit(readFileSync(join(wasiDist, 'sock-sendfile-command.wasm')));
    assert.match(cmd, 'export wasi:cli/run@0.2.0');
    assert.match(cmd, 'import wasi:sockets/tcp@0.2.0');
    const lib = await componentWit(readFileSync(join(wasiDist, 'sock-sendfile-library.wasm')));
    assert.match(lib, 'export sock-sendfile:wasi/sendfile@0.1.0');
    assert.not.match(lib, 'wasi:sockets', 'the library needs no sockets: the host brings the stream');
  });
});

const p1Missing = missingArtifacts('sock-sendfile-preview1.wasm');
test('preview1 command: wasi_snapshot_preview1 imports only; exports memory and _start', () => {
  if (p1Missing) {
    console.log(`  skip: ${p1Missing}`);
    assert.ok(!CI, `CI=true and ${p1Missing}`);
    return;
  }
  const m = parseModule(readFileSync(join(wasiDist, 'sock-sendfile-preview1.wasm')));
  for (const i of m.imports) assert.is(i.module, 'wasi_snapshot_preview1', `import ${i.module} ${i.field}`);
  assert.equal(m.exports.map((e) => e.field).sort(), ['_start', 'memory']);
});

test('the C shell takes the ABI numbers from the header generated from wasm/abi.ts', async () => {
  const { abiConstants, abiHeader } = await import(pathToFileURL(join(root, 'wasi/tools/abi-header.js')).href);
  const abi = await import(pathToFileURL(join(root, 'dist/abi.js')).href);
  const constants = abiConstants();
  // The parse misses nothing the TypeScript build of the same file exports.
  assert.equal(Object.fromEntries(constants), { ...abi });
  const header = abiHeader(constants);
  for (const [name, value] of constants) assert.ok(header.includes(`#define ${name} (${value})\n`), name);
  const c = readFileSync(join(root, 'wasi/preview1/main.c'), 'utf8');
  assert.ok(c.includes('#include "abi.h"'), 'main.c includes the generated header');
  const own = [...c.matchAll(/\b((?:ACT|FAIL|FLAG|NO|SEEK)_[A-Z_]+)\s*=\s*-?\d+/g)].map((m) => m[1]);
  assert.equal(own, [], 'main.c defines no ABI number of its own');
});

test.run();
