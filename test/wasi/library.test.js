// The library component (dist/wasi/sock-sendfile-library.wasm), transpiled by jco at build time
// (dist/wasi/library-js/) and called from Node with preview2-shim resources: the file opened
// through a preopen, the socket from the shim's wasi:sockets TCP. Receivers run in another
// process because send-file blocks this thread until its last byte is flushed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gated, makeFile, missingArtifacts, sha, startReceiver, tempDir, wasiDist } from './_helpers.js';

const entry = join(wasiDist, 'library-js', 'sock-sendfile-library.js');
const missing = missingArtifacts('sock-sendfile-library.wasm') ??
  (existsSync(entry) ? null : `${entry} missing (run bash wasi/build.sh)`);

const dir = tempDir();
const SIZE = 1_000_003;
const data = makeFile(dir, 'f.bin', SIZE);

let lib, shimFs, shimSockets;
async function load() {
  if (lib) return;
  lib = await import(pathToFileURL(entry).href);
  shimFs = await import('@bytecodealliance/preview2-shim/filesystem');
  shimSockets = await import('@bytecodealliance/preview2-shim/sockets');
  shimFs._addPreopen('/data', dir);
}

function openFile(name) {
  const [root] = shimFs.preopens.getDirectories().find(([, path]) => path === '/data');
  return root.openAt({ symlinkFollow: true }, name, {}, { read: true });
}

function openDir() {
  const [root] = shimFs.preopens.getDirectories().find(([, path]) => path === '/data');
  return root.openAt({ symlinkFollow: true }, '.', { directory: true }, { read: true });
}

// Children before parents: the shim traps when a socket is dropped under a live stream or
// pollable, as a strict host would.
function connect(port) {
  const network = shimSockets.instanceNetwork.instanceNetwork();
  const sock = shimSockets.tcpCreateSocket.createTcpSocket('ipv4');
  sock.startConnect(network, { tag: 'ipv4', val: { port, address: [127, 0, 0, 1] } });
  const ready = sock.subscribe();
  ready.block();
  ready[Symbol.dispose]();
  const [input, output] = sock.finishConnect();
  return {
    output,
    close() {
      output[Symbol.dispose]();
      input[Symbol.dispose]();
      sock[Symbol.dispose]();
      network[Symbol.dispose]?.();
    },
  };
}

async function sendTo(calls, recvOpts) {
  await load();
  const recv = await startReceiver(recvOpts);
  const conn = connect(recv.port);
  const results = [];
  try {
    for (const [offset, count, file = 'f.bin'] of calls) {
      const fd = file === '.' ? openDir() : openFile(file);
      try {
        results.push(lib.sendfile.sendFile(conn.output, fd, offset, count));
      } catch (e) {
        results.push(e);
      } finally {
        fd[Symbol.dispose]();
      }
    }
  } finally {
    conn.close();
  }
  return { results, got: await recv.result };
}

gated(test, assert, missing, (t) => {
  t('whole file (count none)', async () => {
    const { results, got } = await sendTo([[0n, undefined]]);
    assert.equal(results, [BigInt(SIZE)]);
    assert.is(got.bytes, SIZE);
    assert.is(got.sha256, sha(data));
  });

  t('slices, count past EOF, empty slices: exact counts, bytes in order on one connection', async () => {
    const { results, got } = await sendTo([
      [12_345n, 100_000n], // a slice
      [999_000n, 50_000n], // count past EOF: stops at EOF
      [BigInt(SIZE), 10n], // offset at EOF: 0
      [BigInt(SIZE) + 5n, undefined], // past EOF: 0
      [3n, 0n], // count 0: 0
      [0n, 1n], // one byte
    ]);
    assert.equal(results, [100_000n, BigInt(SIZE - 999_000), 0n, 0n, 0n, 1n]);
    const want = Buffer.concat([data.subarray(12_345, 112_345), data.subarray(999_000), data.subarray(0, 1)]);
    assert.is(got.bytes, want.length);
    assert.is(got.sha256, sha(want));
  });

  t('a directory fails with sent 0 and a message, and the component keeps working', async () => {
    const { results, got } = await sendTo([[0n, undefined, '.'], [0n, 4096n]]);
    const err = results[0];
    assert.instance(err, Error);
    assert.is(err.payload.sent, 0n);
    assert.type(err.payload.message, 'string');
    assert.ok(err.payload.message.length > 0);
    assert.is(results[1], 4096n);
    assert.is(got.sha256, sha(data.subarray(0, 4096)));
  });

  t('peer resets mid-transfer: error carries sent, never more than the slice', async () => {
    const big = makeFile(dir, 'big.bin', 16 << 20);
    const { results, got } = await sendTo([[0n, undefined, 'big.bin']], { resetAfter: 256 << 10 });
    const r = results[0];
    assert.instance(r, Error, `expected an error, got ${r}`);
    const { sent, message } = r.payload;
    if (process.env.WASI_TEST_VERBOSE) console.log(sent, message, got);
    assert.ok(message.length > 0);
    assert.ok(sent >= BigInt(got.bytes), `sent ${sent} < received ${got.bytes}`);
    assert.ok(sent <= BigInt(big.length), `sent ${sent} past the file`);
  });
});

test.run();
