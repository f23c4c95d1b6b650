/**
 * One buffer, reused, to join many small writes into one (a node connection's batch of commands, a
 * client's replies of one flush).
 *
 * Why (issue #22): joining into a fresh Buffer per flush made, at pipeline 16, a new ArrayBuffer of
 * about 12 KB per node write (over Node's 4 KB pool limit): a backing store to allocate, external
 * memory for the GC to track, and old-space growth, per batch. Most writes are taken by the kernel
 * at once (SocketWriter.write says so), and then the bytes are no longer needed: the same buffer
 * serves the next flush. A write that stays queued keeps its buffer, so the scratch is replaced.
 *
 * One per process: a flush fills it and writes it before anything else runs.
 */
const CAPACITY = 64 * 1024;
let scratch = Buffer.allocUnsafeSlow(CAPACITY);

/**
 * Views of the scratch's first n bytes, by n, for n up to VIEW_CACHE_LIMIT: a flush of a few small
 * replies or commands (pipeline 1) reuses the view of its size instead of making one (a typed array
 * object per write). Dropped with the scratch when it is replaced.
 */
const VIEW_CACHE_LIMIT = 512;
let views = new Array<Buffer | undefined>(VIEW_CACHE_LIMIT + 1);

/**
 * A buffer of `size` bytes to fill and write at once: the scratch when it fits and `writerIdle` (the
 * writer has nothing queued, so the kernel will most likely take this write at once: SocketWriter's
 * `idle`), else a new one. A writer that queues (a slow client, TLS) never gets the scratch, so it
 * is not replaced at every flush.
 */
export function joinBuffer(size: number, writerIdle: boolean): Buffer {
  if (!writerIdle || size > CAPACITY) return Buffer.allocUnsafe(size);
  if (size > VIEW_CACHE_LIMIT) return scratch.subarray(0, size);
  return (views[size] ??= scratch.subarray(0, size));
}

/** After writing a joinBuffer(): `takenAtOnce` false means the write kept it, so the scratch is replaced. */
export function joinBufferWritten(buffer: Buffer, takenAtOnce: boolean): void {
  if (!takenAtOnce && buffer.buffer === scratch.buffer) {
    scratch = Buffer.allocUnsafeSlow(CAPACITY);
    views = new Array<Buffer | undefined>(VIEW_CACHE_LIMIT + 1);
  }
}
