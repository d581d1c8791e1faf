// The host side of the WASM core: a typed view of its exports and the slot views over its
// memory. Runtime-neutral: each runtime's loader supplies the compiled WebAssembly.Module.
//
// Invariants: configure() runs once, before any view is made, and the core never grows its
// memory afterwards, so the slot views made here stay attached for the life of the instance.

import { DEFAULT_MAX_TRANSFERS, DEFAULT_SLOTS, DEFAULT_SLOT_SIZE, DEFAULT_DEPTH } from '../wasm/abi.js';

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
  writeFailed(t: number, s: number): void;
  fail(t: number, code: number): void;
  finish(t: number): void;
  sent(t: number): number;
  committed(t: number): number;
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
  'writeFailed', 'fail', 'finish', 'sent', 'committed', 'position', 'failure', 'mode',
  'nativeSent', 'held', 'active',
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

function checkSize(name: string, v: number | undefined, max: number): number {
  if (v === undefined) return 0;
  if (!Number.isInteger(v) || v < 1 || v > max) {
    throw new RangeError(`core option ${name} must be an integer from 1 to ${max} (got ${v})`);
  }
  return v;
}

/** Instantiates and configures a core from a compiled module. */
export function createCore(module: WebAssembly.Module, options: CoreOptions = {}): Core {
  const instance = new WebAssembly.Instance(module, {});
  return coreFromInstance(instance, options);
}

export function coreFromInstance(instance: WebAssembly.Instance, options: CoreOptions = {}): Core {
  const x = instance.exports as unknown as CoreExports;
  const rc = x.configure(
    checkSize('maxTransfers', options.maxTransfers, 1 << 20),
    checkSize('slots', options.slots, 1 << 16),
    checkSize('slotSize', options.slotSize, 1 << 26),
    checkSize('depth', options.depth, 1 << 16),
    0, 0,
  );
  if (rc !== 0) throw new Error(`the WASM core refused its configuration (code ${rc}): not enough memory?`);
  const slots: Uint8Array[] = [];
  const size = x.slotSize();
  for (let s = 0; s < x.slotCount(); s++) slots.push(new Uint8Array(x.memory.buffer, x.slotPtr(s), size));
  return { x, slots };
}
