// Measurement note, not a timed test: the per-call cost of the addon's sync sendfile for 16 KiB
// (the small-file hot path) over loopback to a reader in another process that drains. Prints the
// figures; asserts only that every byte arrived.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import net from 'node:net';
import { loadBuiltBackend } from './_setup.js';
import { E, makeFile, socketFd } from './fixtures/lib.js';

const b = await loadBuiltBackend();

const CALLS = 2000;
const CHUNK = 16 * 1024;

// The reader: another process, so draining runs on the other core while we send.
const READER = `
const net = require('net');
const srv = net.createServer((s) => { let n = 0; s.on('data', (d) => { n += d.length; });
  s.on('end', () => { process.stdout.write(String(n) + '\\n'); srv.close(); }); });
srv.listen(0, '127.0.0.1', () => process.stdout.write(srv.address().port + '\\n'));
setTimeout(() => process.exit(2), 60000).unref();`;

test(`addon sendfile, ${CALLS} x 16 KiB over loopback`, async () => {
  const file = makeFile(CHUNK);
  const fd = openSync(file.path, 'r');
  const reader = spawn(process.execPath, ['-e', READER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = [];
  let wake;
  reader.stdout.setEncoding('utf8').on('data', (d) => { lines.push(...d.trim().split('\n')); wake?.(); });
  const nextLine = async () => { while (!lines.length) await new Promise((r) => { wake = r; }); return lines.shift(); };
  try {
    const port = Number(await nextLine());
    const sock = net.connect(port, '127.0.0.1');
    await new Promise((r, j) => { sock.once('connect', r); sock.once('error', j); });
    const s = socketFd(sock);

    // Warm up, then time only the calls (waits for the reader are excluded).
    for (let i = 0; i < 50; i++) b.sendfile(987654, fd, 0, CHUNK);
    let inCalls = 0n, inOk = 0n, okCalls = 0, eagain = 0, sent = 0, calls = 0;
    const wall0 = process.hrtime.bigint();
    for (let i = 0; i < CALLS; i++) {
      let off = 0;
      while (off < CHUNK) {
        const t0 = process.hrtime.bigint();
        const r = b.sendfile(s, fd, off, CHUNK - off);
        const dt = process.hrtime.bigint() - t0;
        inCalls += dt;
        calls++;
        if (r > 0) { off += r; sent += r; okCalls++; inOk += dt; } else if (r === -E.EAGAIN) { eagain++; await new Promise(setImmediate); } else throw new Error(`sendfile: errno ${-r}`);
      }
    }
    const wall = Number(process.hrtime.bigint() - wall0) / 1e3;

    // The N-API + syscall floor: a call that fails in the kernel's fd lookup.
    const t1 = process.hrtime.bigint();
    for (let i = 0; i < 100_000; i++) b.sendfile(987654, fd, 0, CHUNK);
    const floor = Number(process.hrtime.bigint() - t1) / 1e3 / 100_000;

    sock.end();
    const got = Number(await nextLine());
    assert.is(got, CALLS * CHUNK);
    assert.is(sent, CALLS * CHUNK);
    const perCall = Number(inCalls) / 1e3 / calls;
    console.log(`\n  addon sendfile 16 KiB: ${(Number(inOk) / 1e3 / okCalls).toFixed(2)} µs per call that moved bytes ` +
      `(${okCalls}), ${perCall.toFixed(2)} µs averaged over all ${calls} calls (${eagain} EAGAIN); ` +
      `${(wall / CALLS).toFixed(2)} µs per file wall; empty call (EBADF) ${floor.toFixed(3)} µs`);
  } finally {
    try { process.kill(reader.pid); } catch {}
    closeSync(fd);
    file.cleanup();
  }
});

test.run();
