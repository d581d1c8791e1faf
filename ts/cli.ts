// The `sock-sendfile` command: send, serve and check, over the Node entry.
//
// Invariants: runtime errors print one line on stderr and exit 1; usage errors (including an
// out-of-range value) print one line and then the usage text on stderr and exit 2; progress goes
// to stderr and only when stderr is a terminal; stdout carries results only (one line each, or
// JSON), and the usage text only when asked for with help.

import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, type Socket, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SendfileFile, capabilities, openFile, sockSendfileWithReport } from './entries/node.js';
import cluster from 'node:cluster';
import { createServer as createHttpServer } from 'node:http';
import { statSync } from 'node:fs';
import { serveStatic } from './entries/http.js';

const USAGE = `usage:
  sock-sendfile send FILE TARGET [--offset N] [--count N] [--no-fallback]
      TARGET is HOST:PORT, [IPv6]:PORT or unix:/path
  sock-sendfile serve FILE [--host H] [--port P] [--offset N] [--count N]
      sends FILE to every client that connects; port 0 (default) picks a free one
  sock-sendfile check [--json] [--size BYTES]
      sends a generated file over loopback, verifies it byte for byte, reports the path taken
  sock-sendfile http DIR [--host H] [--port P] [--workers N]
      serves DIR over HTTP (sock-sendfile/http); --workers runs N processes (node:cluster)`;

class UsageError extends Error {}

interface Parsed { positional: string[]; flags: Map<string, string | true> }

function parseArgs(argv: string[], valued: string[], bare: string[]): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) { positional.push(a); continue; }
    const [name, inline] = a.slice(2).split(/=(.*)/s, 2);
    if (valued.includes(name)) {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`--${name} needs a value`);
      flags.set(name, v);
    } else if (bare.includes(name) && inline === undefined) {
      flags.set(name, true);
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
  }
  return { positional, flags };
}

type IntRange = 'non-negative' | 'positive' | 'port';

function intFlag(p: Parsed, name: string, range: IntRange = 'non-negative'): number | undefined {
  const v = p.flags.get(name);
  if (v === undefined) return undefined;
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  const ok = Number.isSafeInteger(n) && (range === 'positive' ? n >= 1 : range === 'port' ? n <= 65535 : true);
  if (!ok) {
    const what = range === 'port' ? 'an integer from 0 to 65535' : `a ${range} integer`;
    throw new UsageError(`--${name} must be ${what} (got ${String(v)})`);
  }
  return n;
}

export type Target = { path: string } | { host: string; port: number };

export function parseTarget(s: string): Target {
  if (s.startsWith('unix:')) {
    const path = s.slice(5);
    if (!path) throw new UsageError('unix: target needs a path');
    return { path };
  }
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:[\]]+):(\d+)$/.exec(s);
  if (!m) throw new UsageError(`target must be HOST:PORT, [IPv6]:PORT or unix:/path (got ${s})`);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new UsageError(`port must be 1-65535 (got ${m[2]})`);
  return { host: m[1], port };
}

function connectTo(target: Target): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = 'path' in target ? connect(target.path) : connect(target.port, target.host);
    sock.once('connect', () => { sock.off('error', reject); resolve(sock); });
    sock.once('error', reject);
  });
}

function progressPrinter(total: number): ((n: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  let last = 0;
  return (n) => {
    const now = Date.now();
    if (now - last < 100 && n !== total) return;
    last = now;
    const pct = total > 0 ? ` (${((100 * n) / total).toFixed(1)}%)` : '';
    process.stderr.write(`\r${n} bytes${pct}`);
  };
}

function rate(bytes: number, ms: number): string {
  return ms > 0 ? `${(bytes / 1048576 / (ms / 1000)).toFixed(1)} MiB/s` : 'n/a';
}

async function cmdSend(argv: string[]): Promise<number> {
  const p = parseArgs(argv, ['offset', 'count'], ['no-fallback']);
  if (p.positional.length !== 2) throw new UsageError('send needs FILE and TARGET');
  const [file, targetText] = p.positional;
  const target = parseTarget(targetText);
  const offset = intFlag(p, 'offset') ?? 0;
  const count = intFlag(p, 'count', 'positive');
  const f = await openFile(file);
  let sock: Socket | undefined;
  try {
    sock = await connectTo(target);
    const started = performance.now();
    const onProgress = progressPrinter(count ?? 0);
    const r = await sockSendfileWithReport(sock, f, offset, count, { fallback: !p.flags.has('no-fallback'), onProgress });
    const ms = performance.now() - started;
    if (onProgress) process.stderr.write('\n');
    await new Promise<void>((resolve) => sock!.end(resolve));
    process.stdout.write(`sent ${r.bytesSent} bytes (${r.path}) in ${ms.toFixed(1)} ms, ${rate(r.bytesSent, ms)}\n`);
    return 0;
  } finally {
    sock?.destroy();
    await f.close();
  }
}

async function cmdServe(argv: string[]): Promise<number> {
  const p = parseArgs(argv, ['host', 'port', 'offset', 'count'], []);
  if (p.positional.length !== 1) throw new UsageError('serve needs FILE');
  const path = p.positional[0];
  const host = (p.flags.get('host') as string | undefined) ?? '127.0.0.1';
  const port = intFlag(p, 'port', 'port') ?? 0;
  const offset = intFlag(p, 'offset') ?? 0;
  const count = intFlag(p, 'count', 'positive');
  (await openFile(path)).close(); // fail now, not on the first client, if it cannot be read
  // Every connection stays in `open` until its 'close' (server.close() waits for all of them);
  // `idle` holds those served and flushed, whose client simply has not closed (a half-open peer
  // may never): on a signal they have nothing left to finish and are destroyed at once.
  const open = new Set<Socket>();
  const idle = new Set<Socket>();
  let stopping = false;
  const server = createServer(async (sock) => {
    open.add(sock);
    sock.on('close', () => { open.delete(sock); idle.delete(sock); });
    sock.on('error', () => {}); // a client that goes away mid-transfer is reported below
    let f: SendfileFile | undefined;
    try {
      // Opened per client: a file replaced or removed since start-up fails this client only.
      f = await openFile(path);
      const n = await sockSendfileWithReport(sock, f, offset, count);
      sock.end();
      process.stderr.write(`sent ${n.bytesSent} bytes (${n.path}) to ${sock.remoteAddress}:${sock.remotePort}\n`);
    } catch (err) {
      process.stderr.write(`client ${sock.remoteAddress}:${sock.remotePort}: ${(err as Error).message}\n`);
      sock.destroy();
    } finally {
      // Idle once our end is flushed ('finish'): destroying earlier could drop buffered bytes.
      const done = (): void => {
        if (sock.destroyed) return;
        if (stopping) sock.destroy();
        else idle.add(sock);
      };
      if (sock.writableFinished) done();
      else sock.once('finish', done);
      await f?.close();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(); });
  });
  const addr = server.address() as AddressInfo;
  const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  process.stdout.write(`listening on ${shown}:${addr.port}\n`);
  return new Promise<number>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      stopping = true;
      server.close(() => resolve(0)); // stops accepting; calls back once every connection closed
      for (const s of idle) s.destroy();
      // Transfers in progress finish; a client that stopped reading gets 5 s.
      setTimeout(() => { for (const s of open) s.destroy(); }, 5000).unref();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

async function cmdCheck(argv: string[]): Promise<number> {
  const p = parseArgs(argv, ['size'], ['json']);
  if (p.positional.length) throw new UsageError('check takes no arguments');
  const size = intFlag(p, 'size') ?? 8 * 1048576 + 12345;
  const dir = mkdtempSync(join(tmpdir(), 'sock-sendfile-check-'));
  const file = join(dir, 'sample.bin');
  const data = randomBytes(size);
  writeFileSync(file, data);
  const expected = createHash('sha256').update(data).digest('hex');
  const caps = capabilities();
  const received = createHash('sha256');
  let receivedBytes = 0;
  let onEnd!: () => void;
  const ended = new Promise<void>((resolve) => { onEnd = resolve; });
  const server = createServer((s) => {
    s.on('data', (d: Buffer) => { received.update(d); receivedBytes += d.length; });
    s.on('end', () => onEnd());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const f = await openFile(file);
  let sock: Socket | undefined;
  try {
    sock = await connectTo({ host: '127.0.0.1', port });
    const started = performance.now();
    const onProgress = progressPrinter(size);
    const r = await sockSendfileWithReport(sock, f, 0, undefined, { onProgress });
    sock.end();
    await ended;
    const ms = performance.now() - started;
    if (onProgress) process.stderr.write('\n');
    const got = received.digest('hex');
    const ok = got === expected && receivedBytes === size && r.bytesSent === size && f.tell() === size;
    const result = {
      ok, path: r.path, nativeBytes: r.nativeBytes, bytes: r.bytesSent, expectedBytes: size,
      sha256: got, ms: Number(ms.toFixed(2)), throughputMiBs: Number((size / 1048576 / (ms / 1000)).toFixed(1)),
      capabilities: caps, node: process.version,
    };
    if (p.flags.has('json')) {
      process.stdout.write(`${JSON.stringify(result)}\n`);
    } else {
      process.stdout.write(
        `${ok ? 'ok' : 'FAILED'}: ${r.bytesSent} of ${size} bytes over 127.0.0.1 via the ${r.path} path` +
        ` (${r.nativeBytes} bytes by sendfile), ${ms.toFixed(1)} ms, ${rate(size, ms)}\n` +
        `  sha256 ${got} ${got === expected ? 'matches' : `differs from ${expected}`}\n` +
        `  capabilities: native=${caps.native} backend=${caps.backend ?? '-'}${caps.reason ? ` (${caps.reason})` : ''}\n`,
      );
    }
    return ok ? 0 : 1;
  } finally {
    sock?.destroy();
    await f.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// `http DIR`: a static server over sock-sendfile/http. With --workers N the primary only forks
// and prints the URL; every worker (the same command, re-run by node:cluster) serves. A signal
// stops accepting, lets responses in flight finish (5 s at most) and exits 0.
async function cmdHttp(argv: string[]): Promise<number> {
  const p = parseArgs(argv, ['host', 'port', 'workers'], []);
  if (p.positional.length !== 1) throw new UsageError('http needs DIR');
  const dir = p.positional[0];
  const host = (p.flags.get('host') as string | undefined) ?? '127.0.0.1';
  const port = intFlag(p, 'port', 'port') ?? 0;
  const workers = intFlag(p, 'workers', 'positive') ?? 0;
  if (!statSync(dir).isDirectory()) throw new Error(`${dir} is not a directory`);
  if (workers > 0 && cluster.isPrimary) return httpPrimary(workers, host);
  const log = process.stdout.isTTY;
  const handler = serveStatic(dir, {
    onResult: log ? (req, r) => process.stdout.write(`${req.method} ${req.url} ${r.status} ${r.bytesSent} ${r.path}\n`) : undefined,
  });
  const server = createHttpServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(); });
  });
  if (!cluster.isWorker) process.stdout.write(`serving ${dir} at ${httpUrl(server.address() as AddressInfo)}\n`);
  return new Promise<number>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.off('disconnect', stop);
      server.close(() => resolve(0));
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), 5000).unref();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (cluster.isWorker) process.on('disconnect', stop);
  });
}

function httpUrl(a: AddressInfo): string {
  return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}/`;
}

function httpPrimary(workers: number, host: string): Promise<number> {
  return new Promise<number>((resolve) => {
    let printed = false;
    let stopping = false;
    let alive = 0;
    cluster.on('listening', (_w, address) => {
      if (printed) return;
      printed = true;
      process.stdout.write(`serving at ${httpUrl({ address: address.address ?? host, port: address.port, family: String(address.addressType) === '6' ? 'IPv6' : 'IPv4' })} with ${workers} workers\n`);
    });
    cluster.on('exit', () => {
      alive--;
      if (alive === 0 && stopping) resolve(0);
      if (!stopping) { process.stderr.write('sock-sendfile: a worker exited; stopping\n'); stop(); }
    });
    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      if (alive === 0) { resolve(0); return; }
      for (const w of Object.values(cluster.workers ?? {})) w?.disconnect();
      setTimeout(() => { for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGKILL'); }, 8000).unref();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    for (let i = 0; i < workers; i++) { cluster.fork(); alive++; }
  });
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'send': return await cmdSend(rest);
      case 'serve': return await cmdServe(rest);
      case 'check': return await cmdCheck(rest);
      case 'http': return await cmdHttp(rest);
      case '-h': case '--help': case 'help':
        process.stdout.write(`${USAGE}\n`);
        return 0;
      case undefined:
        throw new UsageError('a command is needed');
      default:
        throw new UsageError(`unknown command '${cmd}'`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`sock-sendfile: ${err.message}\n${USAGE}\n`);
      return 2;
    }
    const e = err as { code?: string; message?: string; bytesSent?: number };
    const sent = typeof e.bytesSent === 'number' && e.bytesSent > 0 ? ` after ${e.bytesSent} bytes` : '';
    process.stderr.write(`sock-sendfile: ${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}${sent}\n`);
    return 1;
  }
}
