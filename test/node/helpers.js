// Real things for the Node tests: temporary files, loopback receivers (TCP, IPv6, Unix-domain,
// TLS) that hash what they get, and connected client sockets. Everything is bounded in time.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { join } from 'node:path';
import { sha, tempDir as tempDirIn, within } from '../lib.js';

export { sha, within };

export const dist = await import('../../dist/node.js');
export const nativeOn = process.env.SOCK_SENDFILE_NATIVE !== '0';
// test/run.js's [deno] pass: Deno's Node compatibility gives sockets no fd, so no native path.
export const underDeno = 'Deno' in globalThis;

const fixtures = new URL('../fixtures/', import.meta.url);
export const tlsKey = readFileSync(new URL('key.pem', fixtures));
export const tlsCert = readFileSync(new URL('cert.pem', fixtures));

export const tempDir = () => tempDirIn('node');

export function makeFile(size, name = 'f.bin') {
  const data = randomBytes(size);
  const path = join(tempDir(), name);
  writeFileSync(path, data);
  return { path, data };
}


/**
 * A receiver on loopback. kind: 'tcp' | 'tcp6' | 'unix' | 'tls'. Options:
 * slow: ms to pause after each chunk (keeps the sender's queue full); pauseFirst: ms before reading at all.
 * Returns { address, received: Promise<Buffer> (all bytes until the peer ends), server, sockets, close() }.
 */
export async function receiver(kind = 'tcp', { slow = 0, pauseFirst = 0, onConnection } = {}) {
  const sockets = new Set();
  let resolveReceived, rejectReceived;
  const received = new Promise((res, rej) => { resolveReceived = res; rejectReceived = rej; });
  const handle = (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    onConnection?.(s);
    const chunks = [];
    if (pauseFirst) { s.pause(); setTimeout(() => s.resume(), pauseFirst); }
    s.on('data', (d) => {
      chunks.push(d);
      if (slow) { s.pause(); setTimeout(() => s.resume(), slow); }
    });
    s.on('end', () => resolveReceived(Buffer.concat(chunks)));
    s.on('close', () => resolveReceived(Buffer.concat(chunks)));
  };
  let server;
  if (kind === 'tls') server = tls.createServer({ key: tlsKey, cert: tlsCert }, handle);
  else server = net.createServer(handle);
  let address;
  if (kind === 'unix') {
    const path = join(tempDir(), 's.sock');
    await new Promise((r, j) => server.listen(path, r).once('error', j));
    address = { path };
  } else {
    const host = kind === 'tcp6' ? '::1' : '127.0.0.1';
    await new Promise((r, j) => server.listen(0, host, r).once('error', j));
    address = { host, port: server.address().port };
  }
  return {
    address, received, server, sockets,
    close() { for (const s of sockets) s.destroy(); return new Promise((r) => server.close(() => r())); },
    fail: rejectReceived,
  };
}

/** A connected client socket to a receiver's address. */
export function connectTo(address, kind = 'tcp') {
  return new Promise((resolve, reject) => {
    const opts = 'path' in address ? { path: address.path } : { host: address.host, port: address.port };
    const s = kind === 'tls'
      ? tls.connect({ ...opts, ca: tlsCert, servername: 'localhost' }, () => resolve(s))
      : net.connect(opts, () => resolve(s));
    s.once('error', reject);
  });
}

/** Does this machine have IPv6 loopback? */
export async function hasIPv6() {
  const s = net.createServer();
  try {
    await new Promise((r, j) => s.listen(0, '::1', r).once('error', j));
    return true;
  } catch {
    return false;
  } finally {
    s.close();
  }
}

/** Sends a file end to end and returns { n, got }: the bytes reported and received. */
export async function sendThrough(kind, file, offset, count, options, recvOpts) {
  const r = await receiver(kind, recvOpts);
  const sock = await connectTo(r.address, kind);
  try {
    const n = await within(30_000, dist.sockSendfile(sock, file, offset, count, options), 'sockSendfile');
    sock.end();
    const got = await within(30_000, r.received, 'receiver');
    return { n, got };
  } finally {
    sock.destroy();
    await r.close();
  }
}

/** Runs fn with the rejection it produces; fails if it resolves. */
export async function rejection(promise) {
  try {
    const v = await promise;
    throw Object.assign(new Error(`expected a rejection, got ${v}`), { unexpected: true });
  } catch (err) {
    if (err?.unexpected) throw err;
    return err;
  }
}
