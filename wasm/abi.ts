// The ABI between the WASM core and every host: action codes, failure codes, flags and
// defaults. This one file is compiled by AssemblyScript into the core and imported by the
// TypeScript hosts, so the two sides can never disagree on a number. It must stay valid in
// both languages: plain `export const NAME = <integer literal>;` and nothing else.

// Actions: what `next(t)` tells the host to do. Parameters are read with actOffset(),
// actLength() and actSlot() right after the call.
export const ACT_WAIT = 0; //     nothing to do until an outstanding operation reports back
export const ACT_SENDFILE = 1; // native: sendfile(fd, actOffset, actLength); report with sendfileDone/Again/Error
export const ACT_SENDFILE_ASYNC = 2; // the same, but may run off the JS thread (large remainder)
export const ACT_READ = 3; //     read actLength bytes at file offset actOffset into slot actSlot
export const ACT_WRITE = 4; //    write the first actLength bytes of slot actSlot to the sink
export const ACT_DONE = 5; //     finished: sent(t) is the result; call finish(t)
export const ACT_FAIL = 6; //     failed: failure(t) says why; sent(t) what went; call finish(t)

// Failures: failure(t) after ACT_FAIL.
export const FAIL_NONE = 0;
export const FAIL_NOT_AVAILABLE = 1; // native refused before any byte and fallback is off
export const FAIL_IO = 2; //          the host reported an I/O error (it keeps the error object)
export const FAIL_ABORTED = 3; //     the host aborted the transfer (signal, or onProgress threw)
export const FAIL_PROTOCOL = 4; //    the host reported more bytes than were asked: a host bug

// Flags for begin().
export const FLAG_NATIVE = 1; //   the host can run sendfile for this pair of file and socket
export const FLAG_FALLBACK = 2; // the buffered path may take over if native fails before any byte
export const FLAG_SEQUENTIAL = 4; // the file cannot seek (pipe): reads ignore offsets, offset must be 0

// Return value of begin() when every transfer entry is taken.
export const NO_ENTRY = -1;
// Return value of begin() for FLAG_SEQUENTIAL with an offset other than 0 (the host's ESPIPE).
export const SEEK_REFUSED = -2;
// Return value of the report functions when no waiting transfer needs to be woken.
export const NO_WAKE = -1;

// Defaults for configure(); a host may pass others once, before the first transfer.
export const DEFAULT_MAX_TRANSFERS = 1024;
export const DEFAULT_SLOTS = 32;
export const DEFAULT_SLOT_SIZE = 262144; // 256 KiB: large enough to amortise per-write cost
export const DEFAULT_DEPTH = 4; //          slots one transfer may hold at once
export const DEFAULT_SYNC_LIMIT = 2097152; // 2 MiB: the bounded first sendfile on the JS thread
export const DEFAULT_ASYNC_CHUNK = 1073741824; // 1 GiB: one off-thread sendfile call (it waits for
// writability itself, so fewer, longer calls keep the socket busy: 16 MiB chunks cost 1.5x on 1 GiB)
