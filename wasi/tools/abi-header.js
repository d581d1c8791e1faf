#!/usr/bin/env node
// Generates the C header of the core's ABI (abi.h) from wasm/abi.ts, the one source of those
// numbers, for the preview1 C shell (wasi/preview1/main.c). Run by wasi/build.sh at build time;
// the header is build output, never committed.
//
// Invariants:
// - Every `export const NAME = <integer>;` of wasm/abi.ts becomes `#define NAME (<integer>)`,
//   in order; anything else in that file is a comment or an error here (abi.ts promises to stay
//   that plain, so it compiles as AssemblyScript and TypeScript alike).
// - The header names its source and says it is generated, so nobody edits it.
//
// Usage: node wasi/tools/abi-header.js OUT.h
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('../../wasm/abi.ts', import.meta.url));

/** The constants of wasm/abi.ts as [name, value] pairs, in file order. */
export function abiConstants(text = readFileSync(source, 'utf8')) {
  const out = [];
  for (const line of text.split('\n')) {
    const code = line.replace(/\/\/.*$/, '').trim();
    if (!code) continue;
    const m = /^export const ([A-Z][A-Z0-9_]*) = (-?\d+);$/.exec(code);
    if (!m) throw new Error(`wasm/abi.ts: not a plain integer constant: ${line}`);
    out.push([m[1], Number(m[2])]);
  }
  return out;
}

export function abiHeader(constants = abiConstants()) {
  const lines = constants.map(([name, value]) => `#define ${name} (${value})`);
  return `/* Generated from wasm/abi.ts by wasi/tools/abi-header.js: do not edit. */\n` +
    `#ifndef SOCK_SENDFILE_ABI_H\n#define SOCK_SENDFILE_ABI_H\n${lines.join('\n')}\n#endif\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = process.argv[2];
  if (!out) throw new Error('usage: node wasi/tools/abi-header.js OUT.h');
  writeFileSync(out, abiHeader());
}
