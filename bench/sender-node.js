// A Node sender child. One process per sender kind, kept alive for the whole benchmark so that
// JIT warm-up and the library's lazy core/addon loading are paid once, as in a server.
//
//   node sender-node.js lib            this library (SOCK_SENDFILE_NATIVE in the env decides the path)
//   node sender-node.js lib-openfile   the same, opening each file with the library's openFile()
//   node sender-node.js pipeline [hwm] stream.pipeline(fs.createReadStream(), socket), fd opened with openSync
//   node sender-node.js pipeline-path  the same, createReadStream(path) opening and closing the file itself
//   node sender-node.js raw            no library: the built addon's fstat, sendfile and lseek called
//                                      straight from JS, one await per file (the floor for any JS library)
//
// Protocol (stdin/stdout, one line each): "run <port> <many|one> <path> <n> [eld]" ->
// one JSON line. Every kind does the same per file: open, send it whole, close; the clock runs
// from the first open to the receiver's answer after our shutdown, so bytes still queued in
// the kernel when the last send "finished" are counted.
//
// Opening is synchronous (fs.openSync) for every kind except lib-openfile and pipeline-path, because CPython
// and C open synchronously too: the per-file figure then measures sending, not Node's
// thread-pool round trip for open(2). lib-openfile shows what the library's own async
// openFile() adds, pipeline-path what the usual createReadStream(path) idiom costs.
import { closeSync, createReadStream, openSync } from 'node:fs';
import { connect } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { capabilities, openFile, sockSendfileWithReport } from '../dist/node.js';

const kind = process.argv[2];
const hwm = process.argv[3] ? Number(process.argv[3]) : undefined;

function connected(port) {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port });
    sock.once('connect', () => { sock.off('error', reject); resolve(sock); });
    sock.once('error', reject);
  });
}

// Ends our side and resolves with the receiver's one-line answer once it closes.
function finish(sock) {
  return new Promise((resolve, reject) => {
    let text = '';
    sock.setEncoding('utf8');
    sock.on('data', (d) => { text += d; });
    sock.once('error', reject);
    sock.once('close', () => resolve(text.trim()));
    sock.end();
  });
}

// Loaded only by the raw kind, so that the others never see the addon outside the library.
const rawAddon = kind === 'raw' ? createRequire(import.meta.url)('../dist/native/linux-x64/sock_sendfile.node') : null;
const rawStat = new Float64Array(2);

const sendOne = {
  // What the library does per small file, minus the library: the same syscalls, one await.
  async raw(sock, path) {
    const fd = openSync(path, 'r');
    try {
      const sockFd = sock._handle.fd;
      if (rawAddon.fstat(fd, rawStat) < 0) throw new Error('fstat failed');
      const size = rawStat[0];
      let sent = 0;
      while (sent < size) {
        const r = rawAddon.sendfile(sockFd, fd, sent, size - sent);
        if (r === -11) { await new Promise((resolve) => setImmediate(resolve)); continue; }
        if (r <= 0) throw new Error(`sendfile returned ${r}`);
        sent += r;
      }
      rawAddon.lseek(fd, sent);
      await null;
      return sent;
    } finally {
      closeSync(fd);
    }
  },
  async lib(sock, path, stats) {
    const fd = openSync(path, 'r');
    try {
      const r = await sockSendfileWithReport(sock, fd);
      stats.nativeBytes += r.nativeBytes;
      return r.bytesSent;
    } finally {
      closeSync(fd);
    }
  },
  async 'lib-openfile'(sock, path, stats) {
    const f = await openFile(path);
    try {
      const r = await sockSendfileWithReport(sock, f);
      stats.nativeBytes += r.nativeBytes;
      return r.bytesSent;
    } finally {
      await f.close();
    }
  },
  // The idiom most Node servers use: the stream opens and closes the file itself (async).
  async 'pipeline-path'(sock, path) {
    const rs = createReadStream(path, hwm ? { highWaterMark: hwm } : {});
    let n = 0;
    rs.on('data', (b) => { n += b.length; });
    await pipeline(rs, sock, { end: false });
    return n;
  },
  async pipeline(sock, path) {
    const fd = openSync(path, 'r');
    try {
      const rs = createReadStream(path, { fd, autoClose: false, start: 0, ...(hwm ? { highWaterMark: hwm } : {}) });
      let n = 0;
      rs.on('data', (b) => { n += b.length; });
      // end: false keeps the connection open for the next file, as a keep-alive server would.
      await pipeline(rs, sock, { end: false });
      return n;
    } finally {
      closeSync(fd);
    }
  },
}[kind];
if (!sendOne) throw new Error(`unknown sender kind ${kind}`);

async function run(port, mode, path, n, eld) {
  const sock = await connected(port);
  const stats = { nativeBytes: 0 };
  const h = eld ? monitorEventLoopDelay({ resolution: 10 }) : null;
  h?.enable();
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let bytes = 0;
  for (let i = 0; i < n; i++) bytes += await sendOne(sock, mode === 'many' ? `${path}/${i}` : path, stats);
  const receiver = await finish(sock);
  const wallNs = Number(process.hrtime.bigint() - t0);
  const c = process.cpuUsage(c0);
  h?.disable();
  return {
    ok: true, wallNs, cpuUs: c.user + c.system, userUs: c.user, sysUs: c.system, bytes, receiver,
    nativeBytes: kind.startsWith('lib') ? stats.nativeBytes : undefined,
    eld: h ? { p50Ms: h.percentile(50) / 1e6, p99Ms: h.percentile(99) / 1e6, maxMs: h.max / 1e6, samples: h.count } : undefined,
  };
}

const rl = createInterface({ input: process.stdin });
process.stdout.write(JSON.stringify({ hello: kind, capabilities: kind.startsWith('lib') ? capabilities() : null }) + '\n');
for await (const line of rl) {
  const [cmd, port, mode, path, n, eld] = line.trim().split(' ');
  if (cmd !== 'run') continue;
  let out;
  try {
    out = await run(Number(port), mode, path, Number(n), eld === 'eld');
  } catch (err) {
    out = { ok: false, error: `${err?.code ?? ''} ${err?.message ?? err}`.trim() };
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}
