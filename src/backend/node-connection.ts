/**
 * One pipelined TCP connection to one backend Redis node.
 *
 * Technique (after predixy): many client sessions share this connection. Requests are
 * appended to an in-flight FIFO and their bytes queued for writing; everything queued
 * during one event-loop turn goes out in a single write at `setImmediate` time (util/turn-end.ts)
 * (after the poll phase has read every readable client socket), so fifty clients doing
 * one GET each cost Redis one read(), not fifty; at light load (an idle connection whose last
 * write carried a lone request) a request is written at once. Replies are framed (not parsed) and
 * matched to the FIFO head: Redis answers a connection's commands in order. Reads and
 * writes skip Node's stream machinery where they can (src/io/).
 *
 * Invariants:
 *  - a request is in `inflight` from the moment its bytes are queued until its reply
 *    arrives or the connection fails; it is answered exactly once (reply or failure);
 *  - a request whose bytes never reached the socket fails with `neverSent = true`, so
 *    callers may retry it elsewhere without risking a duplicate write;
 *  - the head request older than `commandTimeoutMs` fails the whole connection: every
 *    later request is queued behind it anyway, and a fresh connection is the only way
 *    to get replies flowing again;
 *  - with backend credentials, AUTH is written alone on every new socket and nothing else
 *    is written until its +OK: requests queued meanwhile wait, and if the node refuses the
 *    credentials they fail unsent (kind `auth`) instead of drawing -NOAUTH one by one.
 */
import net from 'node:net';
import tls from 'node:tls';
import { joinBuffer, joinBufferWritten } from '../io/batch-scratch.js';
import { connectReadOption } from '../io/socket-reader.js';
import { SocketWriter } from '../io/socket-writer.js';
import { isDescriptorExhaustion } from '../observability/descriptor-watch.js';
import { copyRange, frameOf } from '../protocol/byte-range.js';
import { ReplyFramer } from '../protocol/reply-framer.js';
import { Fifo, NumberFifo } from '../util/fifo.js';
import { clearSlots } from '../util/clear-slots.js';
import { deferToTurnEnd, type TurnEndTask } from '../util/turn-end.js';
import { replyIgnored, type BackendFailure, type BackendRequest } from './backend-request.js';

/**
 * How slotgate opens a backend socket: read at every connect (reconnects included), so a reload
 * that changes the password or certificates applies to every connection opened after it.
 */
export interface BackendSecurity {
  /** The encoded AUTH command written first on a new socket; null = no credentials. */
  authCommand(): Buffer | null;
  /** Options for tls.connect (secure context, SNI); null = plain TCP. */
  tlsOptions(host: string): tls.ConnectionOptions | null;
}

export interface NodeConnectionOptions {
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  /** Called when the connection breaks or cannot be made (the pool asks for a topology refresh). */
  onBroken?: (address: string, failure: BackendFailure) => void;
  /**
   * Encoded commands written first on every new socket, before any request (HELLO 3 for a RESP3
   * client's connections, READONLY for replica reads: Redis keeps both per connection, so a
   * reconnect must send them again). Their replies are read and dropped; an error reply is
   * harmless (READONLY refused: the node answers with MOVED; HELLO 3 refused: RESP2 replies).
   */
  handshake?: readonly Buffer[];
  /**
   * RESP3 push frames (`>`) the node sends on this connection: they answer no request, so they
   * never touch the request FIFO. Dropped when absent (slotgate does not subscribe or track on
   * shared connections; its tracking connections, upstream/tracking-hub.ts, set it).
   */
  onPush?: (frame: Buffer) => void;
  /**
   * Called when a request's reply handler threw (a bug in slotgate). The request is failed with
   * an `internal` failure and its remaining replies are skipped; the connection and every other
   * request on it carry on, because the reply stream itself was read correctly.
   */
  onRequestFault?: (address: string, err: unknown) => void;
  /** Credentials and TLS for new sockets; absent = plain TCP, no AUTH. */
  security?: BackendSecurity;
  /**
   * A subscriber connection (upstream/subscriber-link.ts): once signed in, every frame the node
   * sends goes here instead of to a waiting request, because in subscribed mode Redis sends
   * messages nobody asked for between the replies. Requests on it are sent with `replyCount` 0:
   * written, never awaited, never timed out.
   */
  onSubscribedFrame?: (frame: Buffer, isError: boolean) => void;
}


/** `authenticating`: connected, AUTH written, its reply awaited; nothing else is written yet. */
type State = 'idle' | 'connecting' | 'authenticating' | 'ready' | 'closed';

/** Batches up to this size are copied into one buffer and written with one write(). */
const COPY_BATCH_LIMIT = 256 * 1024;

/** The payloads of batch[0..count) in one buffer of `total` bytes (io/batch-scratch.ts). */
function concatPayloads(batch: readonly (BackendRequest | undefined)[], count: number, total: number, writerIdle: boolean): Buffer {
  const out = joinBuffer(total, writerIdle);
  let offset = 0;
  for (let i = 0; i < count; i++) {
    const request = batch[i]!;
    offset += copyRange(request.payload, request.payloadStart, request.payloadEnd, out, offset);
  }
  return out;
}

/** A request's bytes as a Buffer of their own (see BackendRequest.payload). */
function payloadOf(request: BackendRequest): Buffer {
  return frameOf(request.payload, request.payloadStart, request.payloadEnd);
}

export class NodeConnection implements TurnEndTask {
  private socket: net.Socket | null = null;
  private writer: SocketWriter | null = null;
  private state: State = 'idle';
  // What is in flight is kept in parallel queues and fields, not in an entry object per request
  // (issue #22: nothing allocated per request). Replies come in order, so only the oldest request
  // needs a reply count and a fault flag; requests are written in order, so the written ones are the
  // oldest `sentTimes.length` of `inflight`, and sentTimes holds when each was written.
  /** Requests awaiting replies, oldest first. */
  private readonly inflight = new Fifo<BackendRequest>(64);
  /** When each written request of `inflight` was written (performance.now()), oldest first. */
  private readonly sentTimes = new NumberFifo(64);
  /** Replies the oldest in-flight request has had so far. */
  private headRepliesSeen = 0;
  /** The oldest in-flight request's reply handler threw: its later replies are read and dropped. */
  private headFaulted = false;
  /** Requests whose bytes are waiting for the next flush (or for the connection). */
  // Filled by index and counted, not pushed and emptied: `length = 0` would drop the array's
  // storage, and the next push would allocate it again.
  private unwritten: (BackendRequest | undefined)[] = [];
  private unwrittenCount = 0;
  /** The array of the last flush, cleared, reused as the next `unwritten`. */
  private spareBatch: (BackendRequest | undefined)[] | null = [];
  private flushScheduled = false;
  private addressText: string | null = null;
  /** Requests in the last write: 1 means light load (see send). */
  private lastBatchSize = 0;
  private readonly framer: ReplyFramer;
  private timeoutTimer: NodeJS.Timeout | null = null;
  /** retire() was called: no new requests, closed once the pending ones are answered. */
  private retiring = false;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly options: NodeConnectionOptions,
  ) {
    this.framer = new ReplyFramer(null, options.onPush ?? null, (bytes, start, end, isError) =>
      this.state === 'authenticating' ? this.onAuthReply(frameOf(bytes, start, end), isError) : this.onFrame(bytes, start, end, isError),
    );
  }

  /** host:port, made once: the forwarder reads it for every request it sends here. */
  get address(): string {
    return (this.addressText ??= `${this.host}:${this.port}`);
  }

  get pendingCount(): number {
    return this.inflight.length;
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  /** No socket now: never used, or its socket broke (the next request opens a new one). */
  get isIdle(): boolean {
    return this.state === 'idle';
  }

  send(request: BackendRequest): void {
    if (this.state === 'closed' || this.retiring) {
      request.onFailure({ message: 'connection closed', neverSent: true, kind: 'closed' });
      return;
    }
    const connecting = this.state === 'idle';
    if (connecting && this.options.handshake) for (const command of this.options.handshake) this.enqueue(replyIgnored(command)); // through the FIFO like any request; nobody waits for it
    this.enqueue(request);
    if (connecting) this.connect();
    else if (this.state === 'ready') {
      // Idle connection, and the last batch was a lone request too (light load): waiting for the
      // end of the turn could only add latency. Under load, batches are bigger and this waits.
      if (this.lastBatchSize <= 1 && this.unwrittenCount === 1 && this.inflight.length <= 1) this.flush();
      else this.scheduleFlush();
    }
  }

  private enqueue(request: BackendRequest): void {
    if (request.replyCount > 0) this.inflight.push(request);
    this.unwritten[this.unwrittenCount++] = request;
  }

  /**
   * A command on a subscribed connection (`onSubscribedFrame`): written, never awaited; what the
   * node answers goes to onSubscribedFrame, and a failure is reported once, for the whole
   * connection (onBroken).
   */
  sendSubscribed(payload: Buffer): void {
    this.send(replyIgnored(payload, 0));
  }

  /**
   * Closes for good once every pending request is answered (or has failed: command-timeout still
   * applies); meanwhile new requests fail unsent, so their callers send them elsewhere. For the
   * connections of a master that was failed over: what it carries is answered, nothing new goes there.
   */
  retire(): void {
    this.retiring = true;
    this.closeIfDone();
  }

  private closeIfDone(): void {
    if (this.retiring && this.inflight.length === 0 && this.unwrittenCount === 0) this.close();
  }

  /** Closes for good: pending requests fail, later `send`s fail at once. */
  close(): void {
    if (this.state === 'closed') return;
    this.fail({ message: 'connection closed', neverSent: false, kind: 'closed' }, false);
    this.state = 'closed';
  }

  private connect(): void {
    this.state = 'connecting';
    const tlsOptions = this.options.security?.tlsOptions(this.host) ?? null;
    // Plain TCP reads into the process's shared read buffer (io/socket-reader.ts); TLS decrypts into its own.
    const onChunk = (chunk: Buffer): void => {
      if (this.socket === socket) this.onData(chunk);
    };
    const socket: net.Socket = tlsOptions
      ? tls.connect({ ...tlsOptions, host: this.host, port: this.port }).setNoDelay(true).on('data', onChunk)
      : net.connect({ host: this.host, port: this.port, noDelay: true, onread: connectReadOption(onChunk) });
    this.socket = socket;
    // An earlier batch the kernel could not take at once is out of libuv's queue: what waited goes now (see flush).
    const writer = new SocketWriter(socket, () => {
      if (this.writer === writer && this.unwrittenCount > 0) this.scheduleFlush();
    });
    this.writer = writer;
    // Until the node has accepted the credentials the connection is still being made: a node
    // that never answers AUTH fails it after connectTimeoutMs like one that never accepts.
    socket.setTimeout(this.options.connectTimeoutMs);
    socket.on('timeout', () => {
      if (this.socket !== socket || (this.state !== 'connecting' && this.state !== 'authenticating')) return;
      this.fail({ message: 'connect timeout', neverSent: true, kind: 'connect' }, true);
    });
    // A TLS socket is usable once the handshake is done ('secureConnect'), not at 'connect'.
    socket.on(tlsOptions ? 'secureConnect' : 'connect', () => {
      if (this.socket !== socket) return;
      socket.setKeepAlive(true, 10_000);
      const auth = this.options.security?.authCommand() ?? null;
      if (auth) {
        this.state = 'authenticating';
        socket.write(auth);
        return;
      }
      socket.setTimeout(0);
      this.becomeReady();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (this.socket !== socket) return;
      const connecting = this.state === 'connecting' || this.state === 'authenticating';
      this.fail(
        {
          message: connecting ? `connect failed (${err.code ?? err.message})` : `connection lost (${err.code ?? err.message})`,
          neverSent: connecting,
          kind: isDescriptorExhaustion(err) ? 'descriptors' : connecting ? 'connect' : 'closed',
        },
        true,
      );
    });
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.fail({ message: 'connection lost', neverSent: this.state === 'connecting' || this.state === 'authenticating', kind: 'closed' }, true);
    });
  }

  private onData(chunk: Buffer): void {
    try {
      this.framer.write(chunk);
    } catch (err) {
      this.fail({ message: `bad reply from backend: ${(err as Error).message}`, neverSent: false, kind: 'closed' }, true);
    }
  }

  private becomeReady(): void {
    this.state = 'ready';
    this.startTimeoutChecks();
    this.scheduleFlush();
  }

  /**
   * The reply to AUTH. Refused, every queued request fails unsent with a message that quotes the
   * node's error (WRONGPASS…/NOAUTH…: Redis never echoes the password) and never the secret.
   */
  private onAuthReply(frame: Buffer, isError: boolean): void {
    if (isError) {
      const reason = frame.toString('utf8', 1, Math.min(frame.length, 200)).replace(/\r\n$/, '');
      this.fail({ message: `the backend rejected slotgate's credentials (${reason})`, neverSent: true, kind: 'auth' }, true);
      return;
    }
    this.socket?.setTimeout(0);
    this.becomeReady();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    deferToTurnEnd(this);
  }

  /** TurnEndTask: the batch queued during this turn leaves (see the header). */
  atTurnEnd(): void {
    this.flush();
  }

  private flush(): void {
    this.flushScheduled = false;
    const writer = this.writer;
    if (this.state !== 'ready' || !writer || this.unwrittenCount === 0) return;
    // The node is not reading as fast as we write: libuv still holds our last batch. The next one
    // waits for it to drain (the writer's drain callback flushes), growing meanwhile, instead of
    // queueing behind it in a buffer of its own (issue #22: that was 60% of the bytes allocated
    // at pipeline 16). Its bytes could not leave sooner anyway; the node reads them in one go.
    if (writer.busy) return;
    const batch = this.unwritten;
    const count = this.unwrittenCount;
    // Null while a flush is under way, so a flush re-entered from a write takes a fresh array.
    this.unwritten = this.spareBatch ?? [];
    this.spareBatch = null;
    this.unwrittenCount = 0;
    this.lastBatchSize = count;
    // The clock itself, not callbackNow(): the command timeout counts from here (one read per batch).
    const now = performance.now();
    for (let i = 0; i < count; i++) if (batch[i]!.replyCount > 0) this.sentTimes.push(now);
    this.writeBatch(writer, batch, count);
    clearSlots(batch, count); // nothing written stays referenced
    this.spareBatch = batch;
  }

  /**
   * One write per batch. Small commands are copied into one buffer (a memcpy is far cheaper than
   * a writev of many tiny chunks through the stream machinery); a big payload is not copied, each
   * goes out in a write of its own.
   */
  private writeBatch(writer: SocketWriter, batch: readonly (BackendRequest | undefined)[], count: number): void {
    if (count === 1) {
      writer.write(payloadOf(batch[0]!));
      return;
    }
    let total = 0;
    for (let i = 0; i < count; i++) total += batch[i]!.payloadEnd - batch[i]!.payloadStart;
    if (total <= COPY_BATCH_LIMIT) {
      const joined = concatPayloads(batch, count, total, writer.idle);
      joinBufferWritten(joined, writer.write(joined));
      return;
    }
    for (let i = 0; i < count; i++) writer.write(payloadOf(batch[i]!));
  }

  /** A reply: bytes[start, end) (see FrameRangeHandler); a view of it is made only for a request that needs one. */
  private onFrame(bytes: Buffer, start: number, end: number, isError: boolean): void {
    const onSubscribedFrame = this.options.onSubscribedFrame;
    if (onSubscribedFrame) {
      try {
        onSubscribedFrame(frameOf(bytes, start, end), isError);
      } catch (err) {
        this.options.onRequestFault?.(this.address, err);
      }
      return;
    }
    const request = this.inflight.peek();
    if (!request) {
      // A reply nobody asked for means we lost track of the stream: start over.
      this.fail({ message: 'unexpected reply from backend', neverSent: false, kind: 'closed' }, true);
      return;
    }
    const index = this.headRepliesSeen++;
    const faulted = this.headFaulted;
    const last = this.headRepliesSeen >= request.replyCount;
    if (last) this.shiftHead();
    if (!faulted) {
      try {
        if (!isError && request.onReplyIn !== undefined && request.replyCount === 1) request.onReplyIn(bytes, start, end);
        else request.onReply(frameOf(bytes, start, end), isError, index);
      } catch (err) {
        // Later replies of a request still at the head are dropped; a finished one has none.
        if (!last) this.headFaulted = true;
        this.requestFaulted(request, err);
      }
    }
    if (this.retiring) this.closeIfDone();
  }

  /** The oldest in-flight request has all its replies: the next one becomes the head. */
  private shiftHead(): void {
    this.inflight.shift();
    this.sentTimes.shift();
    this.headRepliesSeen = 0;
    this.headFaulted = false;
  }

  /** A reply handler threw: fail that request alone (see NodeConnectionOptions.onRequestFault). */
  private requestFaulted(request: BackendRequest, err: unknown): void {
    this.options.onRequestFault?.(this.address, err);
    try {
      request.onFailure({ message: 'slotgate internal error', neverSent: false, kind: 'internal' });
    } catch (again) {
      this.options.onRequestFault?.(this.address, again);
    }
  }

  private startTimeoutChecks(): void {
    if (this.timeoutTimer) return;
    const period = Math.max(10, Math.min(250, Math.floor(this.options.commandTimeoutMs / 4)));
    this.timeoutTimer = setInterval(() => {
      // The head is written when any request is (written ones are the oldest).
      if (this.sentTimes.length > 0 && performance.now() - this.sentTimes.peek() > this.options.commandTimeoutMs) {
        this.fail({ message: `backend timeout after ${this.options.commandTimeoutMs} ms`, neverSent: false, kind: 'timeout' }, true);
      }
    }, period);
    this.timeoutTimer.unref();
  }

  /** Drops the socket and answers every pending request with `failure`. */
  private fail(failure: BackendFailure, notify: boolean): void {
    const socket = this.socket;
    this.socket = null;
    this.writer = null;
    if (socket) socket.destroy();
    if (this.timeoutTimer) clearInterval(this.timeoutTimer);
    this.timeoutTimer = null;
    this.framer.reset();
    this.unwritten = [];
    this.unwrittenCount = 0;
    if (this.state !== 'closed') this.state = this.retiring ? 'closed' : 'idle';
    const pending = this.inflight.drain();
    const written = this.sentTimes.length;
    this.sentTimes.clear();
    this.headRepliesSeen = 0;
    this.headFaulted = false;
    if (notify) this.options.onBroken?.(this.address, failure);
    for (let i = 0; i < pending.length; i++) {
      pending[i]!.onFailure(i < written ? failure : { ...failure, neverSent: true });
    }
  }
}
