// Real Express and Fastify apps (devDependencies) with serveStatic as middleware and the
// Fastify plugin: files served, misses passed on to the framework, other methods passed on,
// reply.sendFile, and the framework's own headers kept.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import express from 'express';
import Fastify from 'fastify';
import { lib, nativeHttp, makeRoot, request } from './helpers.js';

const { root, data } = makeRoot({ 'a.bin': 300_000, 'dir/index.html': '<p>i</p>', 'x.txt': 'x' });

async function listen(server) {
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${server.address().port}`;
}

test('Express: serveStatic as middleware under a mount path; misses and POST fall through to later routes', async () => {
  const app = express();
  const results = [];
  app.use('/static', lib.serveStatic(root, { onResult: (req, r) => results.push(r) }));
  app.get('/static/fallback', (req, res) => res.send('from express'));
  app.post('/static/a.bin', (req, res) => res.send('posted'));
  app.use((req, res) => res.status(404).send('express 404'));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const url = `http://127.0.0.1:${server.address().port}`;
  try {
    const r = await request(`${url}/static/a.bin`);
    assert.is(r.status, 200);
    assert.ok(r.body.equals(data['a.bin']));
    assert.is(r.headers['x-powered-by'], 'Express', "Express's own headers are kept");
    assert.is(results[0].path, nativeHttp ? 'native' : 'buffered');
    const range = await request(`${url}/static/a.bin`, { headers: { range: 'bytes=0-9' } });
    assert.ok(range.body.equals(data['a.bin'].subarray(0, 10)));
    assert.is((await request(`${url}/static/fallback`)).body.toString(), 'from express');
    assert.is((await request(`${url}/static/nothing`)).body.toString(), 'express 404');
    assert.is((await request(`${url}/static/a.bin`, { method: 'POST' })).body.toString(), 'posted');
    const redirect = await request(`${url}/static/dir`);
    assert.is(redirect.status, 301);
    assert.is(redirect.headers.location, '/static/dir/', 'Location keeps the mount path');
    assert.is((await request(`${url}/static/dir/`)).body.toString(), '<p>i</p>');
    assert.is((await request(url, { path: '/static/%2e%2e/%2e%2e/etc/passwd' })).status, 400);
  } finally {
    await new Promise((r) => server.close(r));
  }
});

test('Fastify: the plugin serves a prefix, misses go to Fastify\'s not-found handler, reply.sendFile works', async () => {
  const app = Fastify();
  await app.register(lib.fastifySendfile, { root, prefix: '/files' });
  app.get('/download', (req, reply) => reply.sendFile('x.txt'));
  app.get('/hello', async () => ({ hello: 'world' }));
  app.setNotFoundHandler((req, reply) => reply.code(404).send('fastify 404'));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${app.server.address().port}`;
  try {
    const r = await request(`${url}/files/a.bin`);
    assert.is(r.status, 200);
    assert.ok(r.body.equals(data['a.bin']));
    const h = await request(`${url}/files/a.bin`, { method: 'HEAD' });
    assert.is(h.headers['content-length'], '300000');
    assert.is(h.body.length, 0);
    const p = await request(`${url}/files/a.bin`, { headers: { range: 'bytes=-10' } });
    assert.is(p.status, 206);
    assert.ok(p.body.equals(data['a.bin'].subarray(-10)));
    assert.is((await request(`${url}/files/missing`)).body.toString(), 'fastify 404');
    assert.is((await request(`${url}/download`)).body.toString(), 'x');
    assert.equal(JSON.parse((await request(`${url}/hello`)).body), { hello: 'world' });
    const redirect = await request(`${url}/files/dir`);
    assert.is(redirect.status, 301);
    assert.is(redirect.headers.location, '/files/dir/');
    assert.is((await request(url, { path: '/files/%252e%252e/x.txt' })).status, 404, 'decoded once, not twice');
    assert.is((await request(url, { path: '/files/%2e%2e/x.txt' })).status, 400);
  } finally {
    await app.close();
  }
});

test.run();
