// The soak's peers, in a process of their own so that the sender's event loop measures the
// library and not the checking. One listener per kind (TCP, Unix-domain, TLS); every
// connection starts with a header line the sender wrote before its transfer, then carries
// file bytes that are checked one by one against the pattern (test/soak/pattern.js).
//
// Invariants:
// - Each connection is reported exactly once, when it closes: { id, arrived, bad, header }.
//   `arrived` counts file bytes after the header; `bad` is the index of the first wrong byte
//   (-1 when every byte was the file's, in order, from the header's offset); `sample` shows
//   the bytes there against the expected ones, `error` the socket's error if it had one,
//   `zeroed` whether zeros arrived past a truncation (allowed: README, Semantics).
// - A peer told to reset does so once it has read at least `reset` file bytes (SO_LINGER 0 on
//   TCP through resetAndDestroy; a Unix or TLS peer closes with unread data, which the sender
//   also sees as a reset or a broken pipe).
// - A slow peer pauses before reading and between chunks: its buffers fill and the sender
//   waits on a full socket. A held peer (a burst's) reads nothing until the worker releases it.
// - Reports leave in batches over the IPC channel; the process exits when the channel closes.
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expected, firstMismatch } from './pattern.js';

const dir = process.argv[2];
const fixtures = new URL('../fixtures/', import.meta.url);
const key = readFileSync(new URL('key.pem', fixtures));
const cert = readFileSync(new URL('cert.pem', fixtures));

let batch = [];
let flushTimer = null;
function report(r) {
  batch.push(r);
  flushTimer ??= setTimeout(() => {
    flushTimer = null;
    const out = batch;
    batch = [];
    process.send({ reports: out });
  }, 5);
}

// Readers of a burst, waiting for the worker to say that all of it is in flight. Bursts are
// numbered: a header of a burst already released (it arrived late) is not held.
const held = new Set();
const HOLD_LIMIT_MS = 25_000; // longer than the worker's own bound (20 s)
let released = 0;
function release(burst) {
  released = Math.max(released, burst);
  for (const go of [...held]) go();
}

function handle(sock) {
  let error = null;
  sock.on('error', (e) => { error ??= e.code ?? String(e); }); // resets are expected; the close reports them
  let header = null;
  let sample = null; // what the first wrong bytes were, for the report
  let zeroed = false; // zeros arrived past a truncation, where the README allows them
  let pending = Buffer.alloc(0); // bytes before the header's newline
  let arrived = 0;
  let bad = -1;
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    report({ id: header?.id ?? null, arrived, bad, header: header !== null, error, sample, zeroed });
  };
  sock.on('close', finish);

  const pauseFor = (ms) => {
    if (ms <= 0 || sock.destroyed) return;
    sock.pause();
    setTimeout(() => sock.resume(), ms);
  };

  const onFile = (chunk) => {
    if (bad < 0) {
      let at = firstMismatch(header.key, header.offset + arrived, chunk);
      if (at >= 0 && header.zeroFrom !== null) {
        at = firstMismatch(header.key, header.offset + arrived, chunk, header.zeroFrom);
        if (at < 0) zeroed = true;
      }
      if (at >= 0) {
        bad = arrived + at;
        const want = Buffer.concat([...expected(header.key, header.offset + bad, Math.min(16, chunk.length - at))]);
        sample = { got: chunk.subarray(at, at + 16).toString('hex'), want: want.toString('hex') };
      }
    }
    arrived += chunk.length;
    if (header.reset >= 0 && arrived >= header.reset) {
      if (typeof sock.resetAndDestroy === 'function' && sock._handle?.constructor?.name === 'TCP') sock.resetAndDestroy();
      else sock.destroy();
      return;
    }
    if (header.slowEvery > 0 && Math.random() < header.slowEvery) pauseFor(header.slowMs);
  };

  sock.on('data', (d) => {
    if (header) { onFile(d); return; }
    pending = pending.length ? Buffer.concat([pending, d]) : d;
    const nl = pending.indexOf(10);
    if (nl < 0) {
      if (pending.length > 4096) { bad = 0; sock.destroy(); }
      return;
    }
    try {
      header = JSON.parse(pending.subarray(0, nl).toString());
    } catch {
      bad = 0;
      sock.destroy();
      return;
    }
    const rest = pending.subarray(nl + 1);
    pending = null;
    if (header.hold > released) {
      sock.pause();
      const go = () => { clearTimeout(timer); held.delete(go); sock.resume(); pauseFor(header.pauseFirst); };
      const timer = setTimeout(go, HOLD_LIMIT_MS); // a lost release must not hang the run
      held.add(go);
    } else {
      pauseFor(header.pauseFirst);
    }
    if (rest.length) onFile(rest);
  });
}

const servers = {
  tcp: net.createServer(handle),
  unix: net.createServer(handle),
  tls: tls.createServer({ key, cert }, handle),
};
for (const s of Object.values(servers)) s.maxConnections = 100_000;

const listen = (server, ...args) => new Promise((resolve, reject) => server.listen(...args, resolve).once('error', reject));
await listen(servers.tcp, { port: 0, host: '127.0.0.1', backlog: 4096 });
await listen(servers.tls, { port: 0, host: '127.0.0.1', backlog: 4096 });
const path = join(dir, `r${process.pid}.sock`);
await listen(servers.unix, { path, backlog: 4096 });

process.send({
  addresses: {
    tcp: { host: '127.0.0.1', port: servers.tcp.address().port },
    tls: { host: '127.0.0.1', port: servers.tls.address().port },
    unix: { path },
  },
});
process.on('message', (m) => { if (m.release) release(m.release); });
process.on('disconnect', () => process.exit(0));
