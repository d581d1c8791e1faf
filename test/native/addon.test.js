// The addon's synchronous calls against real loopback sockets and real files.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, openSync, readSync, mkdirSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { ensureAddon, bundleAddon, importBundle } from './_setup.js';
import { E, connectedPair, fillUntilEagain, makeFile, sendOverPair, sendRange, sha256, socketFd } from './fixtures/lib.js';

const { S_IFREG, S_IFDIR, S_IFIFO, S_IFSOCK, S_IFCHR } = (await import('node:fs')).constants;

assert.ok(ensureAddon(), 'native/build.sh did not produce the addon');
delete process.env.SOCK_SENDFILE_NATIVE;
const { loadNativeBackend, errname } = await importBundle(await bundleAddon());
const { backend: b, reason } = loadNativeBackend();
if (!b) throw new Error(`addon did not load: ${reason}`);

const SIZE = 3 * 1024 * 1024 + 123; // not a multiple of any buffer size
const file = makeFile(SIZE);
const fd = openSync(file.path, 'r');

async function ipv6Available() {
  try { const p = await connectedPair({ host: '::1' }); p.close(); return true; } catch { return false; }
}

test('backend is linux-sendfile', () => {
  assert.is(b.name, 'linux-sendfile');
  for (const k of ['sendfile', 'sendfileAsync', 'lseek', 'fstat', 'fadviseDontneed']) {
    assert.type(b[k], 'function', k);
  }
});

for (const where of [{ host: '127.0.0.1' }, { host: '::1' }, { path: 'unix' }]) {
  const label = where.host ?? 'unix socket';
  test(`whole file, then a slice, over ${label}, SHA-256 exact`, async () => {
    if (where.host === '::1' && !(await ipv6Available())) {
      console.log('  skip: ::1 not available on this machine');
      return;
    }
    const w = where.path ? { path: join(file.dir, `s-${process.pid}.sock`) } : where;
    for (const [offset, count] of [[0, SIZE], [4097, 1_000_003]]) {
      const got = await sendOverPair(w, (sockFd) => sendRange(b, sockFd, fd, offset, count));
      assert.is(got.sent, count);
      assert.is(got.bytes, count);
      assert.is(got.sha, sha256(file.data.subarray(offset, offset + count)));
    }
  });
}

test('count past EOF stops at EOF; offset at EOF gives 0', async () => {
  const p = await connectedPair();
  const sent = await sendRange(b, socketFd(p.client), fd, SIZE - 100, 10_000);
  assert.is(sent, 100);
  assert.is(b.sendfile(socketFd(p.client), fd, SIZE, 10), 0);
  assert.is(b.sendfile(socketFd(p.client), fd, SIZE + 5000, 10), 0);
  p.client.end();
  const got = await p.received;
  p.close();
  assert.is(got.sha, sha256(file.data.subarray(SIZE - 100)));
});

test('explicit offset never moves the file position', async () => {
  const p = await connectedPair();
  await sendRange(b, socketFd(p.client), fd, 1000, 50_000);
  p.close();
  const buf = Buffer.alloc(16);
  readSync(fd, buf, 0, 16, null); // null: read at (and advance) the current position
  assert.equal(buf, file.data.subarray(0, 16));
  assert.is(b.lseek(fd, 0), 0);
});

test('EAGAIN when the peer does not read', async () => {
  const p = await connectedPair({ host: '127.0.0.1' }, { paused: true });
  const { total, result } = fillUntilEagain(b, socketFd(p.client), fd, SIZE);
  p.close();
  assert.ok(total > 0, 'something went out before the buffers filled');
  assert.is(result, -E.EAGAIN);
  assert.is(errname(-result), 'EAGAIN');
});

test('OS errors come back as negative errnos with names', async () => {
  const dir = join(tmpdir(), `ss-dir-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const dfd = openSync(dir, 'r');
  const p = await connectedPair();
  const s = socketFd(p.client);
  try {
    const closed = openSync(file.path, 'r');
    closeSync(closed);
    assert.is(b.sendfile(closed, fd, 0, 10), -E.EBADF, 'closed socket fd');
    assert.is(b.sendfile(s, closed, 0, 10), -E.EBADF, 'closed file fd');
    assert.is(errname(E.EBADF), 'EBADF');
    // A read-only file is not open for writing.
    assert.is(b.sendfile(fd, fd, 0, 10), -E.EBADF, 'read-only out fd');
    const fromDir = b.sendfile(s, dfd, 0, 10);
    assert.ok(fromDir === -E.EISDIR || fromDir === -E.EINVAL, `directory as source: ${fromDir}`);
      const fromSock = b.sendfile(s, s, 0, 10);
    assert.ok(fromSock === -E.ESPIPE || fromSock === -E.EINVAL, `socket as source: ${fromSock}`);
  } finally {
    p.close();
    closeSync(dfd);
    rmSync(dir, { recursive: true, force: true });
  }
  for (const [n, name] of [[E.EAGAIN, 'EAGAIN'], [E.EPIPE, 'EPIPE'], [E.ENOTSOCK, 'ENOTSOCK'],
    [E.EINVAL, 'EINVAL'], [E.ENOSYS, 'ENOSYS'], [E.ECONNRESET, 'ECONNRESET'], [E.ESPIPE, 'ESPIPE'],
    [E.EISDIR, 'EISDIR'], [95, 'ENOTSUP']]) {
    assert.is(errname(n), name);
    assert.is(errname(-n), name, 'either sign');
  }
  assert.is(errname(4095), 'ERRNO_4095');
});

test('bad arguments are -EINVAL (or -EBADF for a negative fd), never a throw', () => {
  const bad = ['1', 1.5, NaN, Infinity, -1, 2 ** 53, null, undefined, {}, 10n];
  for (const v of bad) {
    assert.is(b.sendfile(1, fd, v, 10), -E.EINVAL, `offset ${String(v)}`);
    assert.is(b.sendfile(1, fd, 0, v), -E.EINVAL, `length ${String(v)}`);
    assert.is(b.lseek(fd, v), -E.EINVAL, `lseek ${String(v)}`);
  }
  for (const v of ['1', 1.5, NaN, 2 ** 31, null, {}]) {
    assert.is(b.sendfile(v, fd, 0, 10), -E.EINVAL, `sock ${String(v)}`);
    assert.is(b.fstat(v, new Float64Array(2)), -E.EINVAL);
  }
  assert.is(b.sendfile(-1, fd, 0, 10), -E.EBADF);
  assert.is(b.sendfile(), -E.EINVAL);
  assert.is(b.sendfile(1, 2, 3), -E.EINVAL);
  assert.is(b.fstat(fd, new Float64Array(1)), -E.EINVAL);
  assert.is(b.fstat(fd, new Float32Array(2)), -E.EINVAL);
  assert.is(b.fstat(fd, [0, 0]), -E.EINVAL);
  assert.is(b.fadviseDontneed('x'), -E.EINVAL);
  assert.is(errname('x'), 'ERRNO_NaN');
  assert.is(b.sendfileAsync(1, fd, 0, 10, 'not a function'), -E.EINVAL);
  assert.is(b.sendfileAsync(1, fd, -1, 10, () => {}), -E.EINVAL);
  // Offsets up to 2^53 - 1 are accepted (and are simply past EOF here).
  const p = Number.MAX_SAFE_INTEGER;
  const r = b.sendfile(1, fd, p, 10);
  assert.ok(r === 0 || r < 0, `offset 2^53-1: ${r}`);
});

test('lseek sets the position (SEEK_SET)', () => {
  assert.is(b.lseek(fd, 100), 100);
  const buf = Buffer.alloc(8);
  readSync(fd, buf, 0, 8, null);
  assert.equal(buf, file.data.subarray(100, 108));
  assert.is(b.lseek(fd, SIZE + 10), SIZE + 10, 'past EOF is allowed');
  assert.is(b.lseek(fd, 0), 0);
  assert.is(b.lseek(987654, 0), -E.EBADF);
});

test('fstat: size and kind for file, directory, FIFO, socket, char device', async () => {
  const out = new Float64Array(2);
  assert.is(b.fstat(fd, out), 0);
  assert.equal([...out], [SIZE, S_IFREG]);

  const dfd = openSync(file.dir, 'r');
  assert.is(b.fstat(dfd, out), 0);
  assert.is(out[1], S_IFDIR);
  closeSync(dfd);

  const fifo = join(file.dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const ffd = openSync(fifo, 'r+'); // O_RDWR: opening a FIFO this way never blocks on Linux
  assert.is(b.fstat(ffd, out), 0);
  assert.is(out[1], S_IFIFO);
  assert.is(b.lseek(ffd, 0), -E.ESPIPE);
  assert.is(b.fadviseDontneed(ffd), -E.ESPIPE);
  closeSync(ffd);

  const p = await connectedPair();
  assert.is(b.fstat(socketFd(p.client), out), 0);
  assert.is(out[1], S_IFSOCK);
  p.close();

  const nfd = openSync('/dev/null', 'r');
  assert.is(b.fstat(nfd, out), 0);
  assert.is(out[1], S_IFCHR);
  closeSync(nfd);

  assert.is(b.fstat(987654, out), -E.EBADF);
});

test('fadviseDontneed', () => {
  assert.is(b.fadviseDontneed(fd), 0);
  assert.is(b.fadviseDontneed(987654), -E.EBADF);
});

test.after(() => { closeSync(fd); file.cleanup(); });
test.run();
