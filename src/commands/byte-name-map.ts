// A read-only map from ASCII names to values, looked up directly by the bytes of a request argument
// with ASCII case folding — so resolving "GET", "get" or "GeT" costs no string allocation.
//
// Technique: open addressing with linear probing over a power-of-two table, FNV-1a hash of the
// case-folded bytes. Invariants: keys are stored lower-cased as Buffers; the table is at least
// twice the entry count, so a probe always ends at an empty slot.

import { foldAsciiByte } from './argument-bytes.js';

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a of the case-folded bytes bytes[start, end). */
function hashFolded(bytes: Uint8Array, start: number, end: number): number {
  let hash = FNV_OFFSET_BASIS;
  for (let i = start; i < end; i++) {
    hash = Math.imul(hash ^ foldAsciiByte(bytes[i]!), FNV_PRIME);
  }
  return hash >>> 0;
}

function equalsFolded(candidate: Uint8Array, start: number, end: number, storedLowerCase: Buffer): boolean {
  if (end - start !== storedLowerCase.length) return false;
  for (let i = start; i < end; i++) {
    if (foldAsciiByte(candidate[i]!) !== storedLowerCase[i - start]) return false;
  }
  return true;
}

export class AsciiCaseInsensitiveMap<V> {
  private readonly keys: (Buffer | undefined)[];
  private readonly values: (V | undefined)[];
  private readonly mask: number;

  constructor(entries: Iterable<readonly [string, V]>) {
    const list = [...entries];
    let capacity = 8;
    while (capacity < list.length * 2) capacity *= 2;
    this.keys = new Array<Buffer | undefined>(capacity).fill(undefined);
    this.values = new Array<V | undefined>(capacity).fill(undefined);
    this.mask = capacity - 1;
    for (const [name, value] of list) this.insert(Buffer.from(name.toLowerCase(), 'latin1'), value);
  }

  get(name: Uint8Array): V | undefined {
    return this.getIn(name, 0, name.length);
  }

  /** The value for the name in bytes[start, end) (an argument read by offset: no view made). */
  getIn(bytes: Uint8Array, start: number, end: number): V | undefined {
    for (let slot = hashFolded(bytes, start, end) & this.mask; ; slot = (slot + 1) & this.mask) {
      const key = this.keys[slot];
      if (key === undefined) return undefined;
      if (equalsFolded(bytes, start, end, key)) return this.values[slot];
    }
  }

  private insert(lowerCaseName: Buffer, value: V): void {
    for (let slot = hashFolded(lowerCaseName, 0, lowerCaseName.length) & this.mask; ; slot = (slot + 1) & this.mask) {
      const key = this.keys[slot];
      if (key === undefined || key.equals(lowerCaseName)) {
        this.keys[slot] = lowerCaseName;
        this.values[slot] = value;
        return;
      }
    }
  }
}
