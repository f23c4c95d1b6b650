/**
 * Writes a buffer to a socket without the Writable stream machinery when nothing is queued.
 *
 * Why: `socket.write` runs, per call, Writable's state machine (writeOrBuffer, _write, onwrite,
 * an afterWrite tick) around the one thing that matters, libuv's write of the bytes. At pipeline
 * 1 a proxy writes once per request to its client, so that machinery was a large share of its
 * user CPU (issue #12's profile). When the socket's Writable has nothing buffered, this writer
 * hands the buffer straight to the socket's libuv stream handle; libuv keeps a stream's writes
 * (and a later shutdown from socket.end()) in order, so mixing these writes with the socket's own
 * is safe as long as the Writable holds none of its own when one is made here.
 *
 * Most writes complete at once (the kernel takes the bytes). One that does not stays queued in
 * libuv with its buffer; `unsentBytes` counts it with the Writable's own queue, and `onDrained`
 * runs once every such write is done (the socket's 'drain' does not see these writes).
 *
 * This uses Node's stream_wrap binding (WriteWrap), reached through process.binding, a documented
 * but deprecated door. Where it is missing (another Node, a TLS socket, a socket not yet
 * connected) every write goes through socket.write, which behaves the same, only slower.
 */
import type net from 'node:net';

interface WriteRequest {
  handle: unknown;
  oncomplete: (this: WriteRequest, status: number) => void;
  bytes: number;
  buffer: Buffer | null;
  writer: SocketWriter | null;
}

interface StreamHandle {
  writeBuffer(req: WriteRequest, data: Buffer): number;
}

interface StreamWrapBinding {
  WriteWrap: new () => WriteRequest;
  streamBaseState: Int32Array;
  kLastWriteWasAsync: number;
}

function loadBinding(): StreamWrapBinding | null {
  try {
    const binding = (process as unknown as { binding(name: string): Partial<StreamWrapBinding> }).binding('stream_wrap');
    if (typeof binding.WriteWrap !== 'function' || !(binding.streamBaseState instanceof Int32Array) || typeof binding.kLastWriteWasAsync !== 'number') return null;
    return binding as StreamWrapBinding;
  } catch {
    return null;
  }
}

const binding = loadBinding();
/**
 * Read once: the binding is a dictionary-mode object, and a property load from one is a
 * megamorphic load on every write (issue #22).
 */
const streamBaseState: Int32Array | null = binding?.streamBaseState ?? null;
const kLastWriteWasAsync = binding?.kLastWriteWasAsync ?? 0;
const WriteWrap = binding?.WriteWrap ?? null;

/** True when writes can go straight to libuv on this Node (else every write takes socket.write). */
export const directWrites: boolean = binding !== null;

/** A write libuv finished later: its bytes are no longer unsent. */
function onWriteComplete(this: WriteRequest, status: number): void {
  const writer = this.writer;
  this.writer = null;
  this.buffer = null;
  writer?.completed(this.bytes, status);
}

/**
 * A request object for a write that completes at once is not kept by libuv, so one serves every
 * such write; a write that goes asynchronous keeps its request, and a new spare is made.
 */
let spare: WriteRequest | null = null;

function takeRequest(): WriteRequest {
  const req = spare ?? new WriteWrap!();
  spare = null;
  req.oncomplete = onWriteComplete;
  req.bytes = 0;
  req.buffer = null;
  req.writer = null;
  return req;
}

/** Told when the last pending write made here is done (like the socket's 'drain'); a session passes itself. */
export interface DrainListener {
  outputDrained(): void;
}

export class SocketWriter {
  /** Bytes of writes made here that libuv has not finished yet. */
  private pendingBytes = 0;

  /** Writes can go straight to libuv (the binding is there, and the socket is not TLS). */
  private readonly direct: boolean;

  private readonly drainListener: DrainListener;

  constructor(
    private readonly socket: net.Socket,
    /** Called when the last pending write made here is done (like the socket's 'drain'); a function is wrapped. */
    onDrained: DrainListener | (() => void),
  ) {
    this.drainListener = typeof onDrained === 'function' ? { outputDrained: onDrained } : onDrained;
    this.direct = binding !== null && !('encrypted' in socket);
  }

  /** Nothing queued and writes go straight to libuv: the next write is most likely taken at once (io/batch-scratch.ts). */
  get idle(): boolean {
    return this.direct && this.pendingBytes === 0 && this.socket.writableLength === 0;
  }

  /** A write made here is still queued in libuv: `onDrained` runs when the last such write is done. */
  get busy(): boolean {
    return this.pendingBytes > 0;
  }

  /** Output written but not yet taken by the kernel: this writer's and the socket's own. */
  get unsentBytes(): number {
    return this.pendingBytes + this.socket.writableLength;
  }

  /**
   * Writes `data`. True when the kernel took all of it at once, so `data` is not kept and may be
   * reused (io/batch-scratch.ts); false when it is queued (here or in the socket's stream).
   */
  write(data: Buffer): boolean {
    const socket = this.socket;
    const handle = (socket as unknown as { _handle?: StreamHandle | null })._handle;
    // `direct`: the binding is there and the socket is not TLS (decided once, in the constructor).
    if (!this.direct || !handle || socket.writableLength > 0 || socket.destroyed || socket.writableEnded || socket.connecting) {
      socket.write(data);
      return false;
    }
    const req = takeRequest();
    req.handle = handle;
    const err = handle.writeBuffer(req, data);
    if (err !== 0) {
      spare = req;
      socket.destroy(new Error(`write failed (${err})`));
      return true; // nothing more will be written from it
    }
    if (streamBaseState![kLastWriteWasAsync] === 0) {
      req.handle = null;
      spare = req;
      return true;
    }
    // Queued in libuv: the request (and the buffer it holds) lives until onWriteComplete.
    req.bytes = data.length;
    req.buffer = data;
    req.writer = this;
    this.pendingBytes += data.length;
    return false;
  }

  /** onWriteComplete: `bytes` left libuv's queue, with libuv's `status` (negative: failed). */
  completed(bytes: number, status: number): void {
    this.pendingBytes -= bytes;
    if (status < 0) {
      this.socket.destroy();
      return;
    }
    if (this.pendingBytes === 0) this.drainListener.outputDrained();
  }
}
