// The `sock-sendfile` command, run as a user runs it: check, send (TCP, IPv6, Unix-domain),
// serve with SIGTERM, and one-line errors with non-zero exits.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bin = new URL('../../bin/sock-sendfile.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'sock-sendfile-cli-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const data = randomBytes(3 * 1024 * 1024 + 17);
const file = join(dir, 'data.bin');
writeFileSync(file, data);

function run(args, env = {}) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
}

function listen(kind) {
  return new Promise((resolve) => {
    const chunks = [];
    let done;
    const received = new Promise((r) => { done = r; });
    const server = net.createServer((s) => {
      s.on('data', (d) => chunks.push(d));
      s.on('end', () => done(Buffer.concat(chunks)));
    });
    const onListen = () => resolve({ server, received, address: server.address() });
    if (kind === 'unix') server.listen(join(dir, `s${Date.now()}.sock`), onListen);
    else server.listen(0, kind === 'tcp6' ? '::1' : '127.0.0.1', onListen);
  });
}

test('check: verifies the sample, exit 0, one JSON line with --json', () => {
  const r = run(['check', '--json']);
  assert.is(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.is(lines.length, 1);
  const j = JSON.parse(lines[0]);
  assert.is(j.ok, true);
  assert.is(j.bytes, j.expectedBytes);
  assert.ok(['native', 'buffered'].includes(j.path));
  assert.type(j.capabilities.native, 'boolean');
  if (process.env.SOCK_SENDFILE_NATIVE !== '0' && j.capabilities.native) assert.is(j.path, 'native');
  const plain = run(['check'], { SOCK_SENDFILE_NATIVE: '0' });
  assert.is(plain.status, 0, plain.stderr);
  assert.match(plain.stdout, /^ok: \d+ of \d+ bytes over 127\.0\.0\.1 via the buffered path/);
  assert.match(plain.stdout, /native=false .*SOCK_SENDFILE_NATIVE=0/);
  // No backend at all is not the backend named 'none' (the ENOSYS test backend).
  assert.match(plain.stdout, /capabilities: native=false backend=- \(/);
  assert.not.match(plain.stdout, /backend=none/);
  assert.is(plain.stderr, '', 'no progress when stderr is not a terminal');
});

test('send: TCP with offset and count, IPv6, Unix-domain', async () => {
  for (const kind of ['tcp', 'tcp6', 'unix']) {
    let l;
    try { l = await listen(kind); } catch { console.log(`skip: ${kind} listener unavailable`); continue; }
    const target = kind === 'unix' ? `unix:${l.address}` : kind === 'tcp6' ? `[::1]:${l.address.port}` : `127.0.0.1:${l.address.port}`;
    const child = spawn(process.execPath, [bin, 'send', file, target, '--offset', '100', '--count', '2000000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    const code = await new Promise((r) => child.on('close', r));
    const got = await l.received;
    l.server.close();
    assert.is(code, 0, `${kind}: ${out}`);
    assert.match(out, /^sent 2000000 bytes \((native|buffered)\)/);
    assert.ok(got.equals(data.subarray(100, 2_000_100)), kind);
  }
});

/** Starts `serve FILE --port 0`; resolves once it printed where it listens. */
async function startServe(path) {
  const child = spawn(process.execPath, [bin, 'serve', path, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { child, stderr: '', line: '', port: 0 };
  child.stderr.on('data', (d) => { out.stderr += d; });
  out.line = await new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => { buf += d; if (buf.includes('\n')) resolve(buf.split('\n')[0]); });
    child.on('close', () => reject(new Error(`serve exited early: ${out.stderr}`)));
  });
  out.port = Number(/:(\d+)$/.exec(out.line)?.[1]);
  return out;
}

/** Everything a client socket receives until the server ends its side. */
function readToEnd(sock) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    sock.on('data', (d) => chunks.push(d));
    sock.on('end', () => resolve(Buffer.concat(chunks)));
    sock.on('error', reject);
  });
}

test('serve: prints where it listens, sends the file to each client, stops on SIGTERM', async () => {
  const { child, line, port } = await startServe(file);
  assert.match(line, /^listening on 127\.0\.0\.1:\d+$/);
  for (let i = 0; i < 3; i++) {
    const got = await readToEnd(net.connect(port, '127.0.0.1'));
    assert.is(createHash('sha256').update(got).digest('hex'), createHash('sha256').update(data).digest('hex'));
  }
  child.kill('SIGTERM');
  const code = await new Promise((r) => child.on('close', (c) => r(c)));
  assert.is(code, 0, 'a clean exit on SIGTERM');
});

test('serve: a file removed after start-up fails that client only; the server keeps serving', async () => {
  const own = join(dir, 'served.bin');
  writeFileSync(own, data);
  const served = await startServe(own);
  const { child, port } = served;
  try {
    const fetchAll = () => new Promise((resolve, reject) => {
      const chunks = [];
      const s = net.connect(port, '127.0.0.1');
      s.on('data', (d) => chunks.push(d));
      s.on('close', () => resolve(Buffer.concat(chunks)));
      s.on('error', (err) => (err.code === 'ECONNRESET' ? undefined : reject(err)));
    });
    rmSync(own);
    assert.is((await fetchAll()).length, 0, 'nothing sent for a missing file');
    assert.match(served.stderr, /ENOENT|no such file/);
    writeFileSync(own, data);
    const got = await fetchAll();
    assert.ok(got.equals(data), 'the next client gets the whole file');
  } finally {
    child.kill('SIGTERM');
  }
  const code = await new Promise((r) => (child.exitCode !== null ? r(child.exitCode) : child.on('close', (c) => r(c))));
  assert.is(code, 0, 'a clean exit on SIGTERM');
});

test('serve: SIGTERM ends a client that was served but keeps its connection open (half-open); exit 0 at once', async () => {
  const small = join(dir, 'small.bin');
  const smallData = randomBytes(1000);
  writeFileSync(small, smallData);
  const served = await startServe(small);
  const { child, port } = served;
  const exited = new Promise((r) => child.on('close', (code, signal) => r({ code, signal })));
  let client;
  try {
    // Reads the whole file and sees the server's FIN, but never ends its own side.
    client = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const got = await readToEnd(client);
    assert.ok(got.equals(smallData), 'the client got the file');
    // The server logs each client after its transfer: wait for it so the signal finds the
    // connection idle, not mid-transfer.
    for (let i = 0; i < 100 && !/sent 1000 bytes/.test(served.stderr); i++) await new Promise((r) => setTimeout(r, 20));
    assert.match(served.stderr, /sent 1000 bytes/);
    child.kill('SIGTERM');
    // Less than the 5 s grace: a connection with nothing left to send is not waited for.
    const r = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 4000))]);
    assert.is.not(r, 'timeout', 'serve did not exit within 4 s of SIGTERM with an idle half-open client');
    assert.equal(r, { code: 0, signal: null }, 'a clean exit on SIGTERM');
  } finally {
    client?.destroy();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});

test('errors: one line, non-zero exit', async () => {
  const cases = [
    [['send', file], 2, /send needs FILE and TARGET/],
    [['send', file, 'nohostport'], 2, /target must be HOST:PORT/],
    [['send', file, '127.0.0.1:1', '--offset', '-3'], 2, /--offset must be a non-negative integer/],
    [['send', file, '127.0.0.1:1', '--count', '0'], 2, /--count must be a positive integer/],
    [['serve', file, '--count', '0'], 2, /--count must be a positive integer/],
    [['serve', file, '--port', '70000'], 2, /--port must be an integer from 0 to 65535/],
    [['bogus'], 2, /unknown command 'bogus'/],
    [['send', join(dir, 'missing'), '127.0.0.1:1'], 1, /^sock-sendfile: ENOENT/],
  ];
  for (const [args, status, re] of cases) {
    const r = run(args);
    assert.is(r.status, status, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr.split('\n')[0], re);
  }
  // A refused connection: find a free port and leave it closed.
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise((r) => s.close(r));
  const r = run(['send', file, `127.0.0.1:${port}`]);
  assert.is(r.status, 1);
  assert.match(r.stderr.trim(), /^sock-sendfile: ECONNREFUSED/);
  assert.is(r.stderr.trim().split('\n').length, 1);
  const nf = run(['send', file, `127.0.0.1:${port}`, '--no-fallback'], { SOCK_SENDFILE_NATIVE: '0' });
  assert.is(nf.status, 1);
});

test.run();
