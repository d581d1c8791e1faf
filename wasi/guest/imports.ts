// Hand-declared canonical-ABI imports of the WASI 0.2 interfaces the components call, under their
// legacy core names (`wasi:io/streams@0.2.0`, `[method]…`, `[resource-drop]…`), which
// componentNew accepts. test/wasi/abi.test.js compares every declaration here with what
// componentEmbed({dummy: true}) expects for the same world, so a wrong signature fails a test
// instead of a host at run time.
//
// Invariants of the flattening (why the parameter lists look the way they do):
// - Handles (own and borrow) are i32; u64 is i64; enums and flags are i32; list<u8> and string
//   are (ptr, len).
// - An import whose results flatten to more than one value takes a trailing return-area pointer
//   (`ret`) and returns nothing; the layouts at `ret` are documented at each declaration and read
//   by the callers through the RET_* offsets below.
// - A result<_, E> puts its discriminant (u8) at 0 and its payload at the largest alignment of
//   its cases: 1 for an enum error-code alone, 4 for handles, lists and stream-error, 8 for u64.

// --- wasi:io ---------------------------------------------------------------------------------

// error.to-debug-string: string at ret (ptr at 0, len at 4).
@external("wasi:io/error@0.2.0", "[method]error.to-debug-string")
export declare function errorToDebugString(self: i32, ret: usize): void;
@external("wasi:io/error@0.2.0", "[resource-drop]error")
export declare function dropError(self: i32): void;

@external("wasi:io/poll@0.2.0", "[method]pollable.block")
export declare function pollableBlock(self: i32): void;
@external("wasi:io/poll@0.2.0", "[resource-drop]pollable")
export declare function dropPollable(self: i32): void;

// blocking-read: result<list<u8>, stream-error>. ok: ptr at 4, len at 8. err: stream-error
// discriminant at 4 (0 last-operation-failed with the error handle at 8, 1 closed).
@external("wasi:io/streams@0.2.0", "[method]input-stream.blocking-read")
export declare function inputBlockingRead(self: i32, len: u64, ret: usize): void;
@external("wasi:io/streams@0.2.0", "[resource-drop]input-stream")
export declare function dropInputStream(self: i32): void;

// check-write, blocking-splice: result<u64, stream-error>. ok: u64 at 8. err: discriminant at 8,
// handle at 12.
@external("wasi:io/streams@0.2.0", "[method]output-stream.check-write")
export declare function outputCheckWrite(self: i32, ret: usize): void;
// write, blocking-write-and-flush, blocking-flush: result<_, stream-error>. err: discriminant
// at 4, handle at 8.
@external("wasi:io/streams@0.2.0", "[method]output-stream.write")
export declare function outputWrite(self: i32, ptr: usize, len: usize, ret: usize): void;
@external("wasi:io/streams@0.2.0", "[method]output-stream.blocking-write-and-flush")
export declare function outputBlockingWriteAndFlush(self: i32, ptr: usize, len: usize, ret: usize): void;
@external("wasi:io/streams@0.2.0", "[method]output-stream.blocking-flush")
export declare function outputBlockingFlush(self: i32, ret: usize): void;
@external("wasi:io/streams@0.2.0", "[method]output-stream.blocking-splice")
export declare function outputBlockingSplice(self: i32, src: i32, len: u64, ret: usize): void;
@external("wasi:io/streams@0.2.0", "[method]output-stream.subscribe")
export declare function outputSubscribe(self: i32): i32;
@external("wasi:io/streams@0.2.0", "[resource-drop]output-stream")
export declare function dropOutputStream(self: i32): void;

// --- wasi:filesystem -------------------------------------------------------------------------

// read-via-stream: result<input-stream, error-code>. ok: handle at 4; err: error-code (u8) at 4.
@external("wasi:filesystem/types@0.2.0", "[method]descriptor.read-via-stream")
export declare function descriptorReadViaStream(self: i32, offset: u64, ret: usize): void;
// stat: result<descriptor-stat, error-code>, payload at 8. ok: type (u8) at 8, link-count at 16,
// size (u64) at 24. err: error-code at 8.
@external("wasi:filesystem/types@0.2.0", "[method]descriptor.stat")
export declare function descriptorStat(self: i32, ret: usize): void;
// open-at: result<descriptor, error-code>. ok: handle at 4; err: error-code at 4.
@external("wasi:filesystem/types@0.2.0", "[method]descriptor.open-at")
export declare function descriptorOpenAt(
  self: i32, pathFlags: i32, path: usize, pathLen: usize, openFlags: i32, flags: i32, ret: usize,
): void;
@external("wasi:filesystem/types@0.2.0", "[resource-drop]descriptor")
export declare function dropDescriptor(self: i32): void;

// get-directories: list<tuple<descriptor, string>> at ret (ptr at 0, len at 4); each element is
// 12 bytes: handle at 0, name ptr at 4, name len at 8.
@external("wasi:filesystem/preopens@0.2.0", "get-directories")
export declare function getDirectories(ret: usize): void;

// --- wasi:cli --------------------------------------------------------------------------------

// get-arguments: list<string> at ret (ptr at 0, len at 4); each element is (ptr, len).
@external("wasi:cli/environment@0.2.0", "get-arguments")
export declare function getArguments(ret: usize): void;
// exit: result<_, _> flattens to its discriminant: 0 ok, 1 err (status 1).
@external("wasi:cli/exit@0.2.0", "exit")
export declare function exit(status: i32): void;
@external("wasi:cli/stdout@0.2.0", "get-stdout")
export declare function getStdout(): i32;
@external("wasi:cli/stderr@0.2.0", "get-stderr")
export declare function getStderr(): i32;

// --- wasi:sockets ----------------------------------------------------------------------------

@external("wasi:sockets/instance-network@0.2.0", "instance-network")
export declare function instanceNetwork(): i32;
@external("wasi:sockets/network@0.2.0", "[resource-drop]network")
export declare function dropNetwork(self: i32): void;

// create-tcp-socket: result<tcp-socket, error-code>. ok: handle at 4; err: error-code at 4.
@external("wasi:sockets/tcp-create-socket@0.2.0", "create-tcp-socket")
export declare function createTcpSocket(family: i32, ret: usize): void;

// start-connect: the ip-socket-address variant flattens to 12 i32: the case (0 ipv4, 1 ipv6),
// then ipv4 (port, a, b, c, d, 0 × 6) or ipv6 (port, flow-info, 8 segments, scope-id).
// result<_, error-code>: err error-code at 1.
@external("wasi:sockets/tcp@0.2.0", "[method]tcp-socket.start-connect")
export declare function tcpStartConnect(
  self: i32, network: i32,
  tag: i32, a0: i32, a1: i32, a2: i32, a3: i32, a4: i32, a5: i32, a6: i32, a7: i32, a8: i32,
  a9: i32, a10: i32, ret: usize,
): void;
// finish-connect: result<tuple<input-stream, output-stream>, error-code>. ok: input at 4,
// output at 8; err: error-code at 4.
@external("wasi:sockets/tcp@0.2.0", "[method]tcp-socket.finish-connect")
export declare function tcpFinishConnect(self: i32, ret: usize): void;
@external("wasi:sockets/tcp@0.2.0", "[method]tcp-socket.subscribe")
export declare function tcpSubscribe(self: i32): i32;
// shutdown: result<_, error-code>, err at 1. shutdown-type: 0 receive, 1 send, 2 both.
@external("wasi:sockets/tcp@0.2.0", "[method]tcp-socket.shutdown")
export declare function tcpShutdown(self: i32, how: i32, ret: usize): void;
@external("wasi:sockets/tcp@0.2.0", "[resource-drop]tcp-socket")
export declare function dropTcpSocket(self: i32): void;

// resolve-addresses: result<resolve-address-stream, error-code>. ok: handle at 4; err at 4.
@external("wasi:sockets/ip-name-lookup@0.2.0", "resolve-addresses")
export declare function resolveAddresses(network: i32, name: usize, nameLen: usize, ret: usize): void;
// resolve-next-address: result<option<ip-address>, error-code>, everything 2-aligned: the
// option's discriminant at 2, the ip-address case at 4, its fields from 6 (ipv4: 4 × u8; ipv6:
// 8 × u16). err: error-code at 2.
@external("wasi:sockets/ip-name-lookup@0.2.0", "[method]resolve-address-stream.resolve-next-address")
export declare function resolveNextAddress(self: i32, ret: usize): void;
@external("wasi:sockets/ip-name-lookup@0.2.0", "[method]resolve-address-stream.subscribe")
export declare function resolveSubscribe(self: i32): i32;
@external("wasi:sockets/ip-name-lookup@0.2.0", "[resource-drop]resolve-address-stream")
export declare function dropResolveAddressStream(self: i32): void;

// Enum values used by the callers.
export const DESCRIPTOR_DIRECTORY: i32 = 3;
export const DESCRIPTOR_REGULAR_FILE: i32 = 6;
export const DESCRIPTOR_FLAG_READ: i32 = 1;
export const PATH_FLAG_SYMLINK_FOLLOW: i32 = 1;
export const STREAM_ERROR_CLOSED: i32 = 1;
export const SOCKET_ERROR_WOULD_BLOCK: i32 = 8;
export const FAMILY_IPV4: i32 = 0;
export const FAMILY_IPV6: i32 = 1;
export const SHUTDOWN_SEND: i32 = 1;
