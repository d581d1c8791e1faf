// Issue 16's sequence: a buffered transfer over node:tls to a receiver in the same process that
// pauses its reads for 2 ms after every 256 KiB, then end(). Every byte must arrive, counted
// exactly, and the end must reach the receiver. Under Deno the end is not waited for: its
// node:tls loses an end its receiver was paused for (README, Deno section), whoever sends; the
// bytes are still checked there, and test/web/deno.test.js checks that a Deno sender's end
// reaches a receiver in Node.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import tls from 'node:tls';
import { connectTo, dist, makeFile, sha, tlsCert, tlsKey, underDeno, within } from './helpers.js';

const SIZE = 16 * 1024 * 1024 + 7;
const PAUSE_EVERY = 256 * 1024;
const PAUSE_MS = 2;

/**
 * A TLS server on 127.0.0.1 whose connection pauses PAUSE_MS after every PAUSE_EVERY bytes.
 * `all` resolves with the bytes once `expected` arrived; `ended` with the count at 'end'.
 */
async function pausingReceiver(expected) {
  let onAll, onEnd;
  const all = new Promise((resolve) => { onAll = resolve; });
  const ended = new Promise((resolve) => { onEnd = resolve; });
  const sockets = new Set();
  const server = tls.createServer({ key: tlsKey, cert: tlsCert }, (s) => {
    sockets.add(s);
    s.on('error', () => {});
    const chunks = [];
    let n = 0, sincePause = 0;
    s.on('data', (d) => {
      chunks.push(d);
      n += d.length;
      sincePause += d.length;
      if (n >= expected) onAll(Buffer.concat(chunks));
      if (sincePause >= PAUSE_EVERY) {
        sincePause = 0;
        s.pause();
        setTimeout(() => s.resume(), PAUSE_MS);
      }
    });
    s.on('end', () => { onEnd(n); s.end(); });
  });
  await new Promise((resolve, reject) => server.listen(0, '127.0.0.1', resolve).once('error', reject));
  return {
    address: { host: '127.0.0.1', port: server.address().port }, all, ended,
    close() { for (const s of sockets) s.destroy(); return new Promise((resolve) => server.close(() => resolve())); },
  };
}

/** sockSendfile(client, file) of a fresh file to a pausing receiver, then client.end(). */
async function sendThenEnd() {
  const { path, data } = makeFile(SIZE);
  const rx = await pausingReceiver(SIZE);
  const sock = await connectTo(rx.address, 'tls');
  const f = await dist.openFile(path);
  try {
    const n = await within(60_000, dist.sockSendfile(sock, f), 'sockSendfile');
    sock.end();
    return { data, n, rx, sock };
  } finally {
    await f.close();
  }
}

test('TLS to a receiver that pauses 2 ms every 256 KiB: every byte arrives, the count is exact', async () => {
  const { data, n, rx, sock } = await sendThenEnd();
  try {
    assert.is(n, data.length);
    const got = await within(30_000, rx.all, 'every byte at the receiver');
    assert.is(got.length, data.length);
    assert.is(sha(got), sha(data));
  } finally {
    sock.destroy();
    await rx.close();
  }
});

const endTitle = "TLS to a receiver that pauses 2 ms every 256 KiB: end() afterwards reaches it ('end' after the last byte)";
if (underDeno) {
  console.log(`skip: ${endTitle}: Deno 2.9's node:tls drops an end that arrives while its receiver is paused `
    + 'with data kept back (README, Deno section; test/web/deno.test.js shows it without this library)');
}
(underDeno ? test.skip : test)(endTitle, async () => {
  const { data, n, rx, sock } = await sendThenEnd();
  try {
    assert.is(n, data.length);
    assert.is(await within(30_000, rx.ended, "the receiver's 'end'"), data.length);
  } finally {
    sock.destroy();
    await rx.close();
  }
});

test.run();
