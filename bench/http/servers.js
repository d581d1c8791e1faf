#!/usr/bin/env node
// One static-file server for the HTTP benchmark, in its own process:
//   node bench/http/servers.js KIND DIR
// KIND: lib (this library's serveStatic, from dist/), send (send 1.2 over node:http),
// fastify (@fastify/static 10.1), pipe (stat + createReadStream().pipe(res) by hand),
// memory (every file preloaded, res.end(buf): the ceiling of node:http).
// Listens on 127.0.0.1, port 0, and prints `PORT n` once it does. Every kind answers GET
// /NAME with the file DIR/NAME, keep-alive, with a Content-Length.
import { createReadStream, readdirSync, readFileSync, stat } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';

const [kind, dir] = process.argv.slice(2);
const dist = new URL('../../dist/', import.meta.url);

async function handlerFor() {
  switch (kind) {
    case 'lib': {
      const { serveStatic } = await import(new URL('http.js', dist).href);
      return serveStatic(dir);
    }
    case 'send': {
      const send = (await import('send')).default;
      return (req, res) => { send(req, req.url, { root: dir }).pipe(res); };
    }
    case 'pipe':
      return (req, res) => {
        const path = join(dir, decodeURIComponent(req.url.split('?')[0]));
        stat(path, (err, st) => {
          if (err || !st.isFile()) { res.writeHead(404, { 'content-length': 0 }).end(); return; }
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': st.size });
          createReadStream(path).pipe(res);
        });
      };
    case 'memory': {
      const files = new Map(readdirSync(dir).map((n) => [`/${n}`, readFileSync(join(dir, n))]));
      return (req, res) => {
        const b = files.get(req.url);
        if (!b) { res.writeHead(404, { 'content-length': 0 }).end(); return; }
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': b.length });
        res.end(b);
      };
    }
    default:
      throw new Error(`unknown server kind ${kind}`);
  }
}

if (kind === 'fastify') {
  const Fastify = (await import('fastify')).default;
  const app = Fastify({ logger: false });
  await app.register((await import('@fastify/static')).default, { root: dir });
  await app.listen({ port: 0, host: '127.0.0.1' });
  process.stdout.write(`PORT ${app.server.address().port}\n`);
} else {
  const server = http.createServer({ keepAliveTimeout: 60_000 }, await handlerFor());
  server.listen(0, '127.0.0.1', () => process.stdout.write(`PORT ${server.address().port}\n`));
}
process.on('SIGTERM', () => process.exit(0));
