/**
 * Client ids unique across every slotgate instance and worker in front of one cluster, and still
 * the 64-bit integers clients expect (CLIENT ID, CLIENT KILL ID): an instance number in the high
 * bits and a counter in the low 32. The instance number is drawn at start among those no live
 * instance holds (peer-bus.ts, pickInstanceNumber); ids stay below 2^53, where a JavaScript
 * number is exact (and JSON too).
 */
const COUNTER_BITS = 2 ** 32;
/** Instance numbers are 1 .. 2^21-1 (2^21 * 2^32 = 2^53). */
export const MAX_INSTANCE_NUMBER = 2 ** 21 - 1;

export class ClientIdAllocator {
  private counter = 0;

  constructor(readonly instance: number) {}

  next(): number {
    // 2^32 connections in one process's life: wrap rather than spill into another instance's range.
    this.counter = (this.counter % (COUNTER_BITS - 1)) + 1;
    return this.instance * COUNTER_BITS + this.counter;
  }
}
