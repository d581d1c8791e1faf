// Bad arguments, checked in the contract's order (sock kind, file kind, count, offset) on an
// unconnected socket: every failure a rejected promise with a stable code, nothing sent.
// Ported from CPython's test_base_events.py / test_unix_events.py sendfile argument checks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import dgram from 'node:dgram';
import net from 'node:net';
import { dist, makeFile, rejection } from './helpers.js';

const { sockSendfile, openFile } = dist;
const { path } = makeFile(100);
const file = await openFile(path);
const sock = () => new net.Socket();

async function expectReject(p, Kind, code, message) {
  assert.ok(p instanceof Promise, 'a promise, never a synchronous throw');
  const err = await rejection(p);
  assert.instance(err, Kind);
  assert.is(err.code, code);
  if (message instanceof RegExp) assert.match(err.message, message); else if (message) assert.is(err.message, message);
  assert.is(err.bytesSent, 0);
  return err;
}

test('sock: not a stream socket', async () => {
  const udp = dgram.createSocket('udp4');
  for (const bad of [udp, null, undefined, 1, 'sock', {}, { write() {} }]) {
    await expectReject(sockSendfile(bad, file), TypeError, 'ERR_INVALID_ARG_TYPE', 'only SOCK_STREAM type sockets are supported');
  }
  udp.close();
});

test('file: not a file of an accepted kind', async () => {
  for (const bad of [null, undefined, 'path.txt', 1.5, {}, Buffer.from('x'), [3]]) {
    await expectReject(sockSendfile(sock(), bad), TypeError, 'ERR_INVALID_ARG_TYPE', /file must be a SendfileFile.*integer file descriptor.*FileHandle/);
  }
});

test('count: kinds and ranges, rendered like repr', async () => {
  const cases = [
    ['10', TypeError, "count must be a positive integer (got '10')"],
    [1.5, TypeError, 'count must be a positive integer (got 1.5)'],
    [NaN, TypeError, 'count must be a positive integer (got NaN)'],
    [Infinity, TypeError, 'count must be a positive integer (got Infinity)'],
    [{}, TypeError, 'count must be a positive integer (got {})'],
    [true, TypeError, 'count must be a positive integer (got true)'],
    [0, RangeError, 'count must be a positive integer (got 0)'],
    [-1, RangeError, 'count must be a positive integer (got -1)'],
    [-1n, RangeError, 'count must be a positive integer (got -1n)'],
    [0n, RangeError, 'count must be a positive integer (got 0n)'],
    [2 ** 53, RangeError, 'count must be a positive integer (got 9007199254740992)'],
    [2n ** 53n, RangeError, 'count must be a positive integer (got 9007199254740992n)'],
  ];
  for (const [v, Kind, msg] of cases) {
    await expectReject(sockSendfile(sock(), file, 0, v), Kind, Kind === TypeError ? 'ERR_INVALID_ARG_TYPE' : 'ERR_OUT_OF_RANGE', msg);
  }
});

test('offset: kinds and ranges', async () => {
  const cases = [
    ['0', TypeError, "offset must be a non-negative integer (got '0')"],
    [0.5, TypeError, 'offset must be a non-negative integer (got 0.5)'],
    [null, TypeError, 'offset must be a non-negative integer (got null)'],
    [NaN, TypeError, 'offset must be a non-negative integer (got NaN)'],
    [-1, RangeError, 'offset must be a non-negative integer (got -1)'],
    [-5n, RangeError, 'offset must be a non-negative integer (got -5n)'],
    [2 ** 53, RangeError, 'offset must be a non-negative integer (got 9007199254740992)'],
  ];
  for (const [v, Kind, msg] of cases) {
    await expectReject(sockSendfile(sock(), file, v, 10), Kind, Kind === TypeError ? 'ERR_INVALID_ARG_TYPE' : 'ERR_OUT_OF_RANGE', msg);
  }
});

test('several bad arguments at once: the first in the contract order wins', async () => {
  const udp = dgram.createSocket('udp4');
  await expectReject(sockSendfile(udp, 'nope', -1, 'x'), TypeError, 'ERR_INVALID_ARG_TYPE', 'only SOCK_STREAM type sockets are supported');
  await expectReject(sockSendfile(sock(), 'nope', -1, 'x'), TypeError, 'ERR_INVALID_ARG_TYPE', /file must be/);
  await expectReject(sockSendfile(sock(), file, -1, 'x'), TypeError, 'ERR_INVALID_ARG_TYPE', /^count/);
  await expectReject(sockSendfile(sock(), file, -1, 0), RangeError, 'ERR_OUT_OF_RANGE', /^count/);
  await expectReject(sockSendfile(sock(), file, 'x', 5), TypeError, 'ERR_INVALID_ARG_TYPE', /^offset/);
  udp.close();
});

test('count undefined and null both mean to EOF (validation passes, the socket is what fails)', async () => {
  for (const c of [undefined, null]) {
    const err = await rejection(sockSendfile(sock(), file, 0, c));
    assert.is(err.code, 'ENOTCONN');
  }
});

test('options are checked too', async () => {
  await expectReject(sockSendfile(sock(), file, 0, 1, 'x'), TypeError, 'ERR_INVALID_ARG_TYPE', /options must be an object/);
  await expectReject(sockSendfile(sock(), file, 0, 1, { fallback: 'no' }), TypeError, 'ERR_INVALID_ARG_TYPE', /options.fallback/);
  await expectReject(sockSendfile(sock(), file, 0, 1, { signal: {} }), TypeError, 'ERR_INVALID_ARG_TYPE', /options.signal/);
  await expectReject(sockSendfile(sock(), file, 0, 1, { onProgress: 3 }), TypeError, 'ERR_INVALID_ARG_TYPE', /options.onProgress/);
});

test('an already-aborted signal rejects before any I/O', async () => {
  const reason = new Error('stop');
  const err = await rejection(sockSendfile(sock(), file, 0, 1, { signal: AbortSignal.abort(reason) }));
  assert.is(err.name, 'AbortError');
  assert.is(err.code, 'ABORT_ERR');
  assert.is(err.cause, reason);
  assert.is(err.bytesSent, 0);
});

test('SendfileFile.seek validates its argument', () => {
  assert.throws(() => file.seek(-1), (e) => e.code === 'ERR_OUT_OF_RANGE');
  assert.throws(() => file.seek('1'), (e) => e.code === 'ERR_INVALID_ARG_TYPE');
  assert.is(file.seek(5n), 5);
  assert.is(file.tell(), 5);
});

test('openFile rejects a missing path with ENOENT', async () => {
  const err = await rejection(openFile('/nonexistent/sock-sendfile'));
  assert.is(err.code, 'ENOENT');
});

test.run();
