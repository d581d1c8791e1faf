// Real things for the HTTP tests: a served directory of random files, servers on loopback
// (node:http, https with the fixture certificate, http2), a raw-socket client that parses
// responses by Content-Length, and a count of this process's open descriptors.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import http2 from 'node:http2';
import net from 'node:net';
import { join } from 'node:path';
import { sha, tempDir, within } from '../lib.js';

export { sha, within, tempDir };
export const lib = await import('../../dist/http.js');
export const node = await import('../../dist/node.js');
export const nativeOn = process.env.SOCK_SENDFILE_NATIVE !== '0' && node.capabilities().native;
export const isBun = typeof globalThis.Bun !== 'undefined';
/** Whether HTTP/1 bodies should take sendfile: Bun's node:http gives each response an emulated
 *  socket with no descriptor (no _handle), so there the body takes the response stream. */
export const nativeHttp = nativeOn && !isBun;

const fixtures = new URL('../fixtures/', import.meta.url);
export const tlsKey = readFileSync(new URL('key.pem', fixtures));
export const tlsCert = readFileSync(new URL('cert.pem', fixtures));

/** A directory with files of the given sizes ({ name: size }), random bytes; returns { root, data }. */
export function makeRoot(files) {
  const root = tempDir('http');
  const data = {};
  for (const [name, size] of Object.entries(files)) {
    const p = join(root, name);
    mkdirSync(join(p, '..'), { recursive: true });
    data[name] = typeof size === 'number' ? randomBytes(size) : Buffer.from(size);
    writeFileSync(p, data[name]);
  }
  return { root, data };
}

/** Starts a server of `kind` ('http' | 'https' | 'http2' | 'http2-secure') with `handler`. */
export async function startServer(handler, kind = 'http', options = {}) {
  let server;
  if (kind === 'http') server = http.createServer(options, handler);
  else if (kind === 'https') server = https.createServer({ key: tlsKey, cert: tlsCert, ...options }, handler);
  else if (kind === 'http2') server = http2.createServer(options, handler);
  else throw new Error(`unknown server kind ${kind}`);
  const sockets = new Set();
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  const scheme = kind === 'https' ? 'https' : 'http';
  return {
    server, port, url: `${scheme}://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  };
}

/** Open descriptors of this process (Linux /proc; null where there is none). */
export function openFds() {
  try { return readdirSync('/proc/self/fd').length; } catch { return null; }
}

/** Waits until openFds() is back to `baseline` (sockets close asynchronously), bounded. */
export async function fdsSettle(baseline, ms = 3000) {
  const end = Date.now() + ms;
  let n = openFds();
  while (n !== null && n > baseline && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 20));
    n = openFds();
  }
  return n;
}

/**
 * Parses HTTP/1.1 responses off a raw socket, in order. read() resolves with the next response
 * { status, headers, body } (body by Content-Length; none for HEAD, 1xx, 204, 304) or with
 * { closed: true, rest } when the peer closed first.
 */
export function rawClient(port) {
  const sock = net.connect(port, '127.0.0.1');
  sock.on('error', () => {});
  let buf = Buffer.alloc(0);
  let closed = false;
  let wake = null;
  sock.on('data', (d) => { buf = Buffer.concat([buf, d]); wake?.(); });
  sock.on('close', () => { closed = true; wake?.(); });
  const waitMore = () => new Promise((r) => { wake = () => { wake = null; r(); }; });
  async function read({ head = false } = {}) {
    for (;;) {
      const end = buf.indexOf('\r\n\r\n');
      if (end >= 0) {
        const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
        const status = Number(lines[0].split(' ')[1]);
        const headers = {};
        for (const l of lines.slice(1)) {
          const i = l.indexOf(':');
          headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
        }
        const bodyless = head || status === 304 || status === 204 || status < 200;
        let len = bodyless ? 0 : Number(headers['content-length'] ?? NaN);
        if (Number.isNaN(len) && headers.connection === 'close') { // body until the peer closes (Node's own 400s)
          while (!closed) await waitMore();
          len = buf.length - end - 4;
        }
        if (Number.isNaN(len)) throw new Error(`response without Content-Length: ${lines[0]} ${JSON.stringify(headers)}`);
        while (buf.length < end + 4 + len && !closed) await waitMore();
        if (buf.length < end + 4 + len) return { closed: true, status, headers, rest: buf.subarray(end + 4) };
        const body = buf.subarray(end + 4, end + 4 + len);
        buf = buf.subarray(end + 4 + len);
        return { status, headers, body };
      }
      if (closed) return { closed: true, rest: buf };
      await waitMore();
    }
  }
  const ready = new Promise((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject); });
  return { sock, read, ready, write: (s) => sock.write(s), get closed() { return closed; }, pending: () => buf.length };
}

/** Splits a multipart/byteranges body into [{ range: 'a-b/size', body }]. */
export function parseMultipart(body, contentType) {
  const boundary = /boundary=(.+)$/.exec(contentType)[1];
  const parts = [];
  const delim = Buffer.from(`--${boundary}`);
  let pos = body.indexOf(delim);
  while (pos >= 0) {
    const after = pos + delim.length;
    if (body.subarray(after, after + 2).toString() === '--') break;
    const headEnd = body.indexOf('\r\n\r\n', after);
    const head = body.subarray(after + 2, headEnd).toString('latin1');
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`), headEnd);
    const range = /Content-Range: bytes (\S+)/i.exec(head)[1];
    parts.push({ range, head, body: body.subarray(headEnd + 4, next) });
    pos = next + 2;
  }
  return parts;
}

/** A request through http.request, one connection each (agent: false) unless an agent is given; resolves { status, headers, body }. */
export function request(url, { method = 'GET', headers = {}, agent = false, path } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : http;
    // `path` is sent as written: the URL class would resolve %2e%2e away before it left.
    const target = { protocol: u.protocol, hostname: u.hostname, port: u.port, path: path ?? `${u.pathname}${u.search}` };
    const req = mod.request({ ...target, method, headers, agent, rejectUnauthorized: false }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
