// A read-only map from ASCII names to values, looked up directly by the bytes of a request argument
// with ASCII case folding — so resolving "GET", "get" or "GeT" costs no string allocation.
//
// Technique: open addressing with linear probing over a power-of-two table, FNV-1a hash of the
// case-folded bytes. Invariants: keys are stored lower-cased as Buffers; the table is at least
// twice the entry count, so a probe always ends at an empty slot.

import { foldAsciiByte } from './argument-bytes.js';

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function hashFolded(bytes: Uint8Array): number {
  let hash = FNV_OFFSET_BASIS;
  for (let i = 0; i < bytes.length; i++) {
    hash = Math.imul(hash ^ foldAsciiByte(bytes[i]!), FNV_PRIME);
  }
  return hash >>> 0;
}

function equalsFolded(candidate: Uint8Array, storedLowerCase: Buffer): boolean {
  if (candidate.length !== storedLowerCase.length) return false;
  for (let i = 0; i < candidate.length; i++) {
    if (foldAsciiByte(candidate[i]!) !== storedLowerCase[i]) return false;
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
    for (let slot = hashFolded(name) & this.mask; ; slot = (slot + 1) & this.mask) {
      const key = this.keys[slot];
      if (key === undefined) return undefined;
      if (equalsFolded(name, key)) return this.values[slot];
    }
  }

  private insert(lowerCaseName: Buffer, value: V): void {
    for (let slot = hashFolded(lowerCaseName) & this.mask; ; slot = (slot + 1) & this.mask) {
      const key = this.keys[slot];
      if (key === undefined || key.equals(lowerCaseName)) {
        this.keys[slot] = lowerCaseName;
        this.values[slot] = value;
        return;
      }
    }
  }
}
