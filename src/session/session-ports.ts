/**
 * What a client connection's parts call back, and the socket listeners every connection shares:
 * the base of Session (session.ts), which adds the commands and the lifecycle.
 *
 * Why a base class of methods: the parts (decoder, socket reader and writer, reply writer, read
 * gate) call back an object, the session itself, through methods on its prototype. Closures or
 * adapter objects made per connection were about a third of an idle connection's heap (issue #22:
 * 10,000 idle connections). The socket's listeners are module functions that find their session
 * on the socket.
 */
import type net from 'node:net';
import type { ProxyContext } from '../handlers/proxy-context.js';
import { readSocket, type ChunkSink } from '../io/socket-reader.js';
import { SocketWriter, type DrainListener } from '../io/socket-writer.js';
import type { DecodedRequest } from '../protocol/decoded-request.js';
import { DEFAULT_DECODER_LIMITS, RequestDecoder, type DecoderLimits, type RequestSink } from '../protocol/request-decoder.js';
import { Call } from './call.js';
import type { CloseReason } from './client-state.js';
import { ReadGate, type GatedClient } from './read-gate.js';
import type { ReplySlot } from './reply-queue.js';
import { ReplyWriter, type ReplyWriterEvents } from './reply-writer.js';

/** Where a client socket keeps its session, for the listeners every session shares. */
const kSession = Symbol('slotgate.session');

function sessionOf(socket: net.Socket): SessionPorts {
  return (socket as unknown as Record<symbol, SessionPorts>)[kSession]!;
}

/** 'error', 'end' and 'close' of a client socket. */
function onClientGone(this: net.Socket): void {
  sessionOf(this).close('client_closed');
}

function onClientDrain(this: net.Socket): void {
  sessionOf(this).outputDrained();
}

/** The decoder's limits, one object per configuration (the decoder keeps a complete one as it is). */
const decoderLimits = new WeakMap<object, DecoderLimits>();

function decoderLimitsOf(config: ProxyContext['config']): DecoderLimits {
  let limits = decoderLimits.get(config);
  if (limits === undefined) {
    limits = Object.freeze({ ...DEFAULT_DECODER_LIMITS, maxBulkLength: config.protoMaxBulkLen });
    decoderLimits.set(config, limits);
  }
  return limits;
}

export abstract class SessionPorts implements RequestSink, ChunkSink, DrainListener, ReplyWriterEvents, GatedClient {
  protected readonly decoder: RequestDecoder;
  /** Writes to the client (io/socket-writer.ts); its unsentBytes is this client's output buffer. */
  protected readonly output: SocketWriter;
  protected readonly writer: ReplyWriter;
  protected readonly gate: ReadGate;

  constructor(
    readonly socket: net.Socket,
    readonly proxy: ProxyContext,
  ) {
    const config = proxy.config;
    this.decoder = new RequestDecoder(this, decoderLimitsOf(config));
    this.output = new SocketWriter(socket, this);
    this.writer = new ReplyWriter(this.output, this);
    this.gate = new ReadGate(this, config.clientMaxInflight, config.clientQueryBufferLimit);
  }

  /** Starts listening and reading: the last step of the session's constructor. */
  protected listen(): void {
    const socket = this.socket;
    (socket as unknown as Record<symbol, SessionPorts>)[kSession] = this;
    socket.on('drain', onClientDrain);
    socket.on('error', onClientGone);
    // Redis frees a client when its read returns 0; with allowHalfOpen off Node would end our side too.
    socket.on('end', onClientGone);
    socket.on('close', onClientGone);
    // The server accepts with pauseOnConnect, so the first read happens here (io/socket-reader.ts).
    readSocket(socket, this);
  }

  abstract close(reason: CloseReason): void;
  /** ChunkSink: a chunk read from the client (io/socket-reader.ts). */
  abstract onChunk(chunk: Buffer): void;
  /** RequestSink: a request decoded (valid during this call only). */
  abstract onRequest(request: DecodedRequest): void;
  /** ReplyWriterEvents: after a flush that wrote replies. */
  abstract flushed(unsent: number): void;
  abstract closingReplyWritten(): void;
  /** GatedClient: decode what the decoder held back. */
  abstract decodeHeld(): void;

  // ReplyWriterEvents (reply-writer.ts).

  wrote(bytes: number): void {
    this.proxy.metrics.bytesOut.pending += bytes;
  }

  recycled(slot: ReplySlot): void {
    if (slot instanceof Call) Call.recycle(slot);
  }

  // DrainListener (io/socket-writer.ts) and the socket's own 'drain'.

  outputDrained(): void {
    this.gate.maybeResume();
  }

  // GatedClient (read-gate.ts): the socket, the decoder, the replies.

  pauseSocket(): void {
    this.socket.pause();
  }

  resumeSocket(): void {
    this.socket.resume();
  }

  holdRequests(): void {
    this.decoder.stop();
  }

  get heldInputBytes(): number {
    return this.decoder.bufferedBytes;
  }

  get owed(): number {
    return this.writer.length;
  }

  firstUnanswered(): ReplySlot | null {
    return this.writer.firstUnanswered();
  }

  get unsentBytes(): number {
    return this.writer.unsentBytes;
  }
}
