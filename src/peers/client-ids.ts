/**
 * Client ids unique across every slotgate instance and worker in front of one cluster, and still
 * the 64-bit integers clients expect (CLIENT ID, CLIENT KILL ID): an instance number in the high
 * bits and a counter in the low 32. The instance number comes from an INCR on a well-known key of
 * the cluster at start (INSTANCE_SEQUENCE_KEY), so two instances never share one; ids stay below
 * 2^53, where a JavaScript number is exact (and JSON too).
 */
import { randomInt } from 'node:crypto';

const COUNTER_BITS = 2 ** 32;
/** Instance numbers cycle through 1 .. 2^21-1 (2^21 * 2^32 = 2^53). */
const INSTANCE_NUMBERS = 2 ** 21 - 1;

/** 1 .. 2^21-1 from the INCR's result. */
export function instanceNumber(sequence: number): number {
  return ((sequence - 1) % INSTANCE_NUMBERS) + 1;
}

/** When the INCR could not be done: a random instance number (a clash is then unlikely, not impossible). */
export function randomInstanceNumber(): number {
  return randomInt(1, INSTANCE_NUMBERS + 1);
}

export class ClientIdAllocator {
  private counter = 0;

  constructor(readonly instance: number) {}

  next(): number {
    // 2^32 connections in one process's life: wrap rather than spill into another instance's range.
    this.counter = (this.counter % (COUNTER_BITS - 1)) + 1;
    return this.instance * COUNTER_BITS + this.counter;
  }
}
