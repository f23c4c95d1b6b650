/**
 * Splitting a multi-key command whose keys live in several hash slots into one sub-command per
 * slot (README: *Cross-slot commands, node targeting and the cluster view*). Pure: args in, parts out; the executor decides which node each part goes to.
 *
 * Why per slot and not per node: Redis Cluster refuses a multi-key command whose keys are in
 * different slots even when one node owns them all (CROSSSLOT), and a per-slot part stays valid
 * on its own while a slot migrates (it can follow MOVED/ASK alone). Parts for one node still
 * travel in one write (see executor.ts), so the cost is one small command header per slot.
 *
 * Worked example: `MGET a b c` with slot(a) = slot(c) = 15495 and slot(b) = 3300 gives
 *   [ { slot: 15495, args: [MGET, a, c], positions: [0, 2] },
 *     { slot: 3300,  args: [MGET, b],    positions: [1] } ]
 * (parts in the order of their first key) and the MGET reducer puts part replies back at
 * those positions.
 *
 * Hot path (a 100-key MGET is 100 parts): slots are grouped through a slot-indexed scratch
 * table rather than a Map, and the table is cleared again before returning, so the function
 * stays pure as seen from outside.
 */
import { keyHashSlot, SLOT_COUNT } from '../cluster/hash-slot.js';

export interface SlotPart {
  readonly slot: number;
  /** The sub-command: the original command name, then this slot's keys (each with its values). */
  readonly args: Buffer[];
  /** For each key of this part, its position among the request's keys (0-based, request order). */
  readonly positions: number[];
}

/** slot → index of its part in the current call's result, -1 when none; always all -1 between calls. */
const partOfSlot = new Int32Array(SLOT_COUNT).fill(-1);

/**
 * @param keyIndexes indexes of the key arguments in `args`, in request order (from key extraction)
 * @param valuesPerKey how many arguments after each key belong to it (MSET: 1, MGET/DEL: 0)
 */
export function splitBySlot(args: readonly Buffer[], keyIndexes: readonly number[], valuesPerKey: number): SlotPart[] {
  const parts: SlotPart[] = [];
  const name = args[0]!;
  for (let k = 0; k < keyIndexes.length; k++) {
    const index = keyIndexes[k]!;
    const slot = keyHashSlot(args[index]!);
    const existing = partOfSlot[slot]!;
    if (existing === -1) {
      partOfSlot[slot] = parts.length;
      // Most parts get one key: literals of the final size, so no array grows.
      parts.push({ slot, args: valuesPerKey === 0 ? [name, args[index]!] : [name, ...args.slice(index, index + 1 + valuesPerKey)], positions: [k] });
      continue;
    }
    const part = parts[existing]!;
    for (let v = 0; v <= valuesPerKey; v++) part.args.push(args[index + v]!);
    part.positions.push(k);
  }
  for (const part of parts) partOfSlot[part.slot] = -1;
  return parts;
}
