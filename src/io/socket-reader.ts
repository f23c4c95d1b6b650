/**
 * Reads a socket without a new ArrayBuffer and a Readable push per read.
 *
 * Why: a plain `socket.on('data')` costs, per read, a fresh ArrayBuffer from libuv's allocator
 * (a BackingStore and external memory for the GC to track) and the Readable machinery (push,
 * addChunk, emit). At pipeline 1 a proxy does one read per request, and that was most of its
 * user CPU (issue #12's profile). libuv can instead read into one buffer we own (Node's
 * documented `onread` option); every socket of the process shares it, because a read callback
 * runs to completion before the next read.
 *
 * What a consumer gets is still a Buffer of its own: the bytes are copied out of the shared
 * buffer with Buffer.allocUnsafe, which for reads under 4 KB (requests and replies at pipeline
 * 1) is a slice of Node's 8 KB pool, so a copy of a few dozen bytes replaces an ArrayBuffer. Code
 * that keeps views of a chunk (request arguments, reply frames) stays correct.
 *
 * Backend sockets pass `onread` to net.connect (documented). Node has no such option for
 * accepted sockets, so `readSocket` sets the same fields the option sets on a socket accepted
 * with `pauseOnConnect` (found by their symbols' names on a probe socket) before its first read;
 * where that is not possible (a TLS socket, a Node without those fields) it falls back to 'data'.
 * Pausing works the usual way either way: socket.pause()/resume().
 */
import net from 'node:net';

/** One read buffer for every socket of the process (see the header). */
const SHARED_READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

type OnChunk = (chunk: Buffer) => void;

/** Who receives an accepted socket's chunks: a session passes itself (no closure per connection). */
export interface ChunkSink {
  onChunk(chunk: Buffer): void;
}

/** Where readSocket keeps a socket's sink, for the one read callback every accepted socket shares. */
const kChunkSink = Symbol('slotgate.chunkSink');

/**
 * The read callback of every accepted socket read through the shared buffer: Node calls it as a
 * method of the socket (`stream[kBufferCb](nread, buffer)`), so it finds its sink there.
 */
function sinkCallback(this: net.Socket, bytes: number, buffer: Uint8Array): boolean {
  (this as unknown as Record<symbol, ChunkSink>)[kChunkSink]!.onChunk(copyOut(bytes, buffer));
  return true;
}

/** The first `bytes` of the shared buffer, copied into a Buffer of their own (see the header). */
function copyOut(bytes: number, buffer: Uint8Array): Buffer {
  const chunk = Buffer.allocUnsafe(bytes);
  (buffer as Buffer).copy(chunk, 0, 0, bytes);
  return chunk;
}

/** The `onread` option for net.connect: reads into the shared buffer, hands out copies. */
export function connectReadOption(onChunk: OnChunk): net.OnReadOpts {
  return { buffer: SHARED_READ_BUFFER, callback: copyingCallback(onChunk) };
}

/** Copies each read out of the shared buffer. Returns true: pausing is socket.pause()'s job. */
function copyingCallback(onChunk: OnChunk): (bytes: number, buffer: Uint8Array) => boolean {
  return (bytes, buffer) => {
    onChunk(copyOut(bytes, buffer));
    return true;
  };
}

interface UserBufferFields {
  buffer: symbol;
  callback: symbol;
}

/** The symbols under which net.Socket keeps the `onread` option, or null when this Node has none. */
const userBufferFields: UserBufferFields | null = (() => {
  // net.Socket takes `onread` like net.connect does, though @types/node does not say so.
  const probe = new net.Socket({ onread: { buffer: Buffer.alloc(1), callback: () => true } } as net.SocketConstructorOpts);
  const symbols = Object.getOwnPropertySymbols(probe);
  const named = (name: string) => symbols.find((s) => s.description === name);
  const buffer = named('kBuffer');
  const callback = named('kBufferCb');
  if (!buffer || !callback) return null;
  const fields = probe as unknown as Record<symbol, unknown>;
  if (!(fields[buffer] instanceof Uint8Array) || typeof fields[callback] !== 'function') return null;
  return { buffer, callback };
})();

/** True when accepted plain-TCP sockets can be read through the shared buffer on this Node. */
export const sharedBufferReads: boolean = userBufferFields !== null;

interface StreamHandle {
  useUserBuffer?: (buffer: Uint8Array) => void;
  reading?: boolean;
}

/**
 * Starts reading an accepted socket (accepted with `pauseOnConnect`, so nothing was read yet),
 * handing each chunk to `sink` (a function is wrapped). Returns true when reads go through the
 * shared buffer.
 */
export function readSocket(socket: net.Socket, sink: ChunkSink | OnChunk): boolean {
  const consumer: ChunkSink = typeof sink === 'function' ? { onChunk: sink } : sink;
  const handle = (socket as unknown as { _handle?: StreamHandle | null })._handle;
  const direct = userBufferFields !== null && !('encrypted' in socket) && typeof handle?.useUserBuffer === 'function' && handle.reading !== true;
  if (direct) {
    const fields = socket as unknown as Record<symbol, unknown>;
    fields[kChunkSink] = consumer;
    fields[userBufferFields.buffer] = SHARED_READ_BUFFER;
    fields[userBufferFields.callback] = sinkCallback;
    handle.useUserBuffer!(SHARED_READ_BUFFER);
  } else {
    socket.on('data', (chunk: Buffer) => consumer.onChunk(chunk));
  }
  socket.resume();
  return direct;
}
