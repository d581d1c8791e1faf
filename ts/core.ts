// The host side of the WASM core: a typed view of its exports and the slot views over its
// memory. Runtime-neutral: each runtime's loader supplies the compiled WebAssembly.Module.
//
// Invariants: configure() runs once, before any view is made, and the core never grows its
// memory afterwards, so the slot views made here stay attached for the life of the instance.

import { DEFAULT_MAX_TRANSFERS, DEFAULT_SLOTS, DEFAULT_SLOT_SIZE, DEFAULT_DEPTH } from '../wasm/abi.js';
import { ErrorCodes, codedError, rangeError, typeError } from './errors.js';

/** The core's exports: the ABI, declared once (see wasm/index.ts). */
export interface CoreExports {
  memory: WebAssembly.Memory;
  configure(transfers: number, slots: number, slotSize: number, depth: number, syncLimit: number, asyncChunk: number): number;
  slotPtr(s: number): number;
  slotCount(): number;
  slotSize(): number;
  maxTransfers(): number;
  freeSlots(): number;
  queueLength(): number;
  takeWake(): number;
  begin(offset: number, count: number, size: number, flags: number): number;
  next(t: number): number;
  actOffset(): number;
  actLength(): number;
  actSlot(): number;
  sendfileDone(t: number, n: number): void;
  sendfileAgain(t: number): void;
  sendfileError(t: number): void;
  readDone(t: number, s: number, n: number): void;
  readFailed(t: number, s: number): void;
  writeDone(t: number, s: number): void;
  writeFailed(t: number, s: number, accepted: number): void;
  writeDetach(t: number, s: number): void;
  detachedWriteDone(t: number, n: number): void;
  detachedWriteFailed(t: number, n: number): void;
  fail(t: number, code: number): void;
  finish(t: number): void;
  sent(t: number): number;
  reported(t: number): number;
  position(t: number): number;
  failure(t: number): number;
  mode(t: number): number;
  nativeSent(t: number): number;
  held(t: number): number;
  active(t: number): number;
}

/** The names the core must export; a test pins them against the built module. */
export const CORE_EXPORTS: readonly (keyof CoreExports)[] = [
  'memory', 'configure', 'slotPtr', 'slotCount', 'slotSize', 'maxTransfers', 'freeSlots',
  'queueLength', 'takeWake', 'begin', 'next', 'actOffset', 'actLength', 'actSlot',
  'sendfileDone', 'sendfileAgain', 'sendfileError', 'readDone', 'readFailed', 'writeDone',
  'writeFailed', 'writeDetach', 'detachedWriteDone', 'detachedWriteFailed', 'fail', 'finish',
  'sent', 'reported', 'position', 'failure', 'mode', 'nativeSent', 'held', 'active',
];

/** Memory sizing, fixed when the core starts. */
export interface CoreOptions {
  /** Transfers that may be in progress at once (default 1024); more wait for a free entry. */
  maxTransfers?: number;
  /** Buffer slots shared by all buffered transfers (default 32). */
  slots?: number;
  /** Bytes per slot, the buffered path's chunk size (default 256 KiB). */
  slotSize?: number;
  /** Slots one transfer may hold at once (default 4): reads overlap writes up to this depth. */
  depth?: number;
}

export const DEFAULT_CORE_OPTIONS: Required<CoreOptions> = {
  maxTransfers: DEFAULT_MAX_TRANSFERS,
  slots: DEFAULT_SLOTS,
  slotSize: DEFAULT_SLOT_SIZE,
  depth: DEFAULT_DEPTH,
};

export interface Core {
  readonly x: CoreExports;
  /** One view per slot, made once. */
  readonly slots: readonly Uint8Array[];
}

const LIMITS: Record<keyof CoreOptions, number> = {
  maxTransfers: 1 << 20, slots: 1 << 16, slotSize: 1 << 26, depth: 1 << 16,
};
// All slots live in one 32-bit WebAssembly memory, with room left for the tables.
const MAX_SLOT_BYTES = 2 ** 31;

function checkSize(name: keyof CoreOptions, v: unknown): number {
  if (v === undefined) return 0;
  const max = LIMITS[name];
  if (typeof v !== 'number') throw typeError(`core option ${name} must be a number (got ${typeof v})`);
  if (!Number.isInteger(v) || v < 1 || v > max) throw rangeError(`core option ${name} must be an integer from 1 to ${max} (got ${v})`);
  return v;
}

/**
 * Checks options for configure() at once, so that a bad value fails there and not on every
 * later transfer. Unknown keys are refused too: a misspelt option would otherwise do nothing.
 */
export function checkCoreOptions(options: unknown): CoreOptions {
  if (typeof options !== 'object' || options === null) throw typeError(`configure() takes an options object (got ${options === null ? 'null' : typeof options})`);
  const out: CoreOptions = {};
  for (const [k, v] of Object.entries(options)) {
    if (!(k in LIMITS)) throw typeError(`unknown core option ${k} (known: ${Object.keys(LIMITS).join(', ')})`);
    if (checkSize(k as keyof CoreOptions, v) !== 0) out[k as keyof CoreOptions] = v as number;
  }
  const bytes = (out.slots ?? DEFAULT_SLOTS) * (out.slotSize ?? DEFAULT_SLOT_SIZE);
  if (bytes > MAX_SLOT_BYTES) throw rangeError(`slots × slotSize must be at most 2 GiB (got ${bytes} bytes)`);
  return out;
}

/** configure() after the core exists: its memory is laid out once. */
export function tooLateError(): Error {
  return codedError(ErrorCodes.INVALID_STATE, 'configure() must be called before the first transfer');
}

/** Instantiates and configures a core from a compiled module. */
export function createCore(module: WebAssembly.Module, options: CoreOptions = {}): Core {
  const instance = new WebAssembly.Instance(module, {});
  return coreFromInstance(instance, options);
}

export function coreFromInstance(instance: WebAssembly.Instance, options: CoreOptions = {}): Core {
  const x = instance.exports as unknown as CoreExports;
  const o = checkCoreOptions(options);
  const rc = x.configure(o.maxTransfers ?? 0, o.slots ?? 0, o.slotSize ?? 0, o.depth ?? 0, 0, 0);
  if (rc !== 0) throw new Error(`the WASM core refused its configuration (code ${rc}): not enough memory?`);
  const slots: Uint8Array[] = [];
  const size = x.slotSize();
  for (let s = 0; s < x.slotCount(); s++) slots.push(new Uint8Array(x.memory.buffer, x.slotPtr(s), size));
  return { x, slots };
}
