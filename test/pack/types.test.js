// A TypeScript consumer of the installed tarball: every export path that is a module typechecks
// under moduleResolution node16, nodenext and bundler (the bundler case also with the browser,
// workerd and deno conditions). The nodenext case runs with skipLibCheck off, so the package's
// own .d.ts files are checked too (the others skip it: it triples their time). Each program also holds @ts-expect-error lines: if a path resolved to `any`, or to no
// types, those lines would be unused and the check would fail.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { packed, project, root, run } from './_pack.js';

const { consumer } = packed();
const tsc = join(root, 'node_modules/typescript/bin/tsc');

// The Node entry: "." under the types condition, and ./node.
const nodeSource = `
import net from 'node:net';
import { sockSendfile, sockSendfileWithReport, capabilities, configure, openFile, SendfileFile,
  SendfileNotAvailableError, AbortError, ErrorCodes,
  type Capabilities, type SendfileOptions, type TransferReport, type CoreOptions } from 'sock-sendfile';
import * as byName from 'sock-sendfile/node';

const caps: Capabilities = capabilities();
const backend: string | null = caps.backend;
const options: SendfileOptions = { fallback: false, signal: AbortSignal.timeout(10), onProgress: (n: number) => void n };
const sock = new net.Socket();
const sent: Promise<number> = sockSendfile(sock, 3, 0n, 10, options);
const report: Promise<TransferReport> = sockSendfileWithReport(sock, 3);
const file: Promise<SendfileFile> = openFile('data.bin');
const core: CoreOptions = { slots: 4, slotSize: 65536 };
configure(core);
const same: typeof byName.sockSendfile = sockSendfile;
const code: string = ErrorCodes.NOT_AVAILABLE;
const err: Error = new SendfileNotAvailableError('no');
const aborted: number = new AbortError('why').bytesSent;
// @ts-expect-error an offset is a number or a bigint
sockSendfile(sock, 3, '0');
// @ts-expect-error capabilities() is not a promise
capabilities().then;
export { backend, sent, report, file, same, code, err, aborted };
`;

// The Web entry by name: ./web.
const webSource = `
import { sockSendfile, capabilities, openFile, ErrorCodes, type Capabilities } from 'sock-sendfile/web';
const sink = new WritableStream<Uint8Array>();
const sent: Promise<number> = sockSendfile(sink, new Blob(['x']), 0, 1, { fallback: true });
const caps: Capabilities = capabilities();
const opened: Promise<unknown> = openFile('x');
const code: string = ErrorCodes.INVALID_STATE;
// @ts-expect-error a count is a number, a bigint or null
sockSendfile(sink, new Blob([]), 0, '1');
export { sent, caps, opened, code };
`;

// The WASI library component, transpiled by jco: ./wasi/library.
const wasiSource = `
import { sendfile } from 'sock-sendfile/wasi/library';
type Send = typeof sendfile.sendFile;
const returns: ReturnType<Send> = 1n;
// @ts-expect-error the result is a bigint
const wrong: ReturnType<Send> = 1;
export { returns, wrong };
`;

// ./package.json, with import attributes (node16 has none).
const jsonSource = `
import pkg from 'sock-sendfile/package.json' with { type: 'json' };
const version: string = pkg.version;
export { version };
`;

// require() of the ESM package from CommonJS: TypeScript allows it under nodenext.
const ctsSource = `
import lib = require('sock-sendfile');
const caps: lib.Capabilities = lib.capabilities();
export = caps;
`;

function tsconfig(compilerOptions, include) {
  return JSON.stringify({
    compilerOptions: {
      target: 'ES2022', lib: ['ES2022', 'DOM'], strict: true, noEmit: true, skipLibCheck: true,
      types: ['node'], typeRoots: [join(root, 'node_modules/@types')], ...compilerOptions,
    },
    include,
  }, null, 2);
}

const cases = [
  { name: 'node16', options: { module: 'node16', moduleResolution: 'node16' }, files: { 'node.ts': nodeSource, 'web.ts': webSource, 'wasi.ts': wasiSource } },
  { name: 'nodenext', options: { module: 'nodenext', moduleResolution: 'nodenext', resolveJsonModule: true, skipLibCheck: false },
    files: { 'node.ts': nodeSource, 'web.ts': webSource, 'wasi.ts': wasiSource, 'json.ts': jsonSource, 'require.cts': ctsSource } },
  { name: 'bundler', options: { module: 'esnext', moduleResolution: 'bundler', resolveJsonModule: true },
    files: { 'node.ts': nodeSource, 'web.ts': webSource, 'wasi.ts': wasiSource, 'json.ts': jsonSource } },
  // "." under a runtime condition gives that entry's types: the web ones, without SendfileFile.
  ...['browser', 'workerd', 'deno'].map((condition) => ({
    name: `bundler, condition ${condition}`,
    options: { module: 'esnext', moduleResolution: 'bundler', customConditions: [condition] },
    files: { 'web.ts': webSource.replace("from 'sock-sendfile/web'", "from 'sock-sendfile'") + `
// @ts-expect-error the ${condition} entry has no SendfileFile
import { SendfileFile } from 'sock-sendfile';
` },
  })),
];

for (const c of cases) {
  test(`typechecks with moduleResolution ${c.name}`, async () => {
    const dir = project(consumer, `ts-${c.name.replace(/\W+/g, '-')}`, {
      ...c.files,
      'tsconfig.json': tsconfig(c.options, Object.keys(c.files)),
    });
    const r = await run(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { cwd: dir, ms: 120_000 });
    assert.is(r.code, 0, `${r.stdout}\n${r.stderr}`);
  });
}

test.run();
