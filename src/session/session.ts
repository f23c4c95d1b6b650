/**
 * One client connection: its socket, its decoder, its replies in request order, and the
 * limits that protect the proxy from it (slow readers, bad input, back-pressure). What each
 * command does is the handlers' business (handlers/dispatch.ts and registry.ts); they see this
 * connection only through a Call (call.ts) and the ConnectionState it implements.
 *
 * Hot path: decoder callback → Call → dispatch (lookup, gate, registry) → route handler →
 * ForwardedCommand.start() on a shared backend connection. The request's raw bytes are forwarded untouched; the
 * reply frame is written back untouched. A reply that leaves the client owing nothing is
 * written at once; otherwise replies are flushed once per event-loop turn (setImmediate,
 * after every readable socket was read), so a pipeline answered by several nodes in one
 * turn goes back in one write (see fill). Socket I/O goes through src/io/.
 *
 * Back-pressure: when `client-max-inflight` replies are owed, or the socket's unsent
 * output passes a high-water mark, the session stops reading from the client until
 * things drain; past `client-output-buffer-limit` unsent bytes the client is dropped.
 */
import type net from 'node:net';
import type { Logger } from 'pino';
import type { Account } from '../auth/accounts.js';
import type { BackendRequest, NodeConnection } from '../backend/node-connection.js';
import * as errors from '../errors/catalogue.js';
import type { ConnectionState, OpenTransaction, ReplyMode, WatchState } from '../handlers/command-call.js';
import { dispatch } from '../handlers/dispatch.js';
import { unsubscribeAll } from '../handlers/pubsub-commands.js';
import { releaseTracking } from '../handlers/tracking-commands.js';
import type { ProxyContext } from '../handlers/proxy-context.js';
import type { UnblockReason } from '../peers/client-directory.js';
import type { ClientRecord } from '../peers/client-record.js';
import { executeOn } from '../backend/node-pool.js';
import { RespError } from '../protocol/reply-parser.js';
import { encodeCommand } from '../protocol/encoder.js';
import { ProtocolError } from '../protocol/protocol-error.js';
import type { RespVersion } from '../protocol/resp3-encoder.js';
import { readSocket } from '../io/socket-reader.js';
import { SocketWriter } from '../io/socket-writer.js';
import { RequestDecoder, type Request } from '../protocol/request-decoder.js';
import type { ForwardContext } from '../upstream/forwarder.js';
import { ClientSubscriptions } from '../upstream/client-subscriptions.js';
import type { ClientTracking } from '../upstream/tracking-client.js';
import { replicaReadConnection } from '../upstream/replica-read-target.js';
import { Call, type CallHost } from './call.js';
import { ReplyQueue, type ReplySlot } from './reply-queue.js';

/** Unsent output above which we stop reading the client until 'drain'. */
const OUTPUT_HIGH_WATER = 4 * 1024 * 1024;
/** Replies up to this many bytes in one flush are copied into one buffer for a single write(). */
const COPY_REPLIES_LIMIT = 256 * 1024;
/**
 * Bytes of replies one client may have in flight, by estimate (see inflightWindow): bounds what
 * one client's pipeline of big values can queue on a shared backend connection ahead of others.
 */
const INFLIGHT_REPLY_BYTES = OUTPUT_HIGH_WATER;
/** A new client's first guess of its reply size: a window of 64 requests until replies say more. */
const INITIAL_REPLY_ESTIMATE = INFLIGHT_REPLY_BYTES / 64;

/**
 * How many replies a client may owe: `client-max-inflight`, or fewer when its replies are big,
 * so that about INFLIGHT_REPLY_BYTES are in flight at most (always at least one request).
 * 2,500 pipelined GETs of 1 MB values then run a few at a time instead of queueing 2.5 GB on
 * the master and stalling every client that shares its connection.
 */
export function inflightWindow(replyBytesEstimate: number, maxInflight: number): number {
  return Math.max(1, Math.min(maxInflight, Math.floor(INFLIGHT_REPLY_BYTES / Math.max(1, replyBytesEstimate))));
}

/** Blocking commands may legitimately wait forever (timeout 0). */
const NO_TIMEOUT_MS = 2 ** 31 - 1;

const HELLO_2 = encodeCommand(['HELLO', '2']);
const HELLO_3 = encodeCommand(['HELLO', '3']);

/** A command whose reply nobody needs (a failure shows on the next request anyway). */
function dropReply(payload: Buffer): BackendRequest {
  return { payload, replyCount: 1, onReply: () => undefined, onFailure: () => undefined };
}

/**
 * A ForwardContext: one object literal for both kinds, so the forwarder's property reads see one
 * shape (replicaReadConnection is present, maybe undefined).
 */
function forwardContext(
  proxy: ProxyContext,
  connectionFor: (address: string) => NodeConnection,
  replicaRead: ((slot: number) => NodeConnection | null) | undefined,
): ForwardContext {
  const pool = proxy.pool;
  return {
    topology: proxy.topology,
    metrics: proxy.metrics,
    maxRedirects: proxy.config.maxRedirects,
    commandTimeoutMs: proxy.config.commandTimeoutMs,
    recentlyFailed: (address: string) => pool.recentlyFailed(address),
    connectionFor,
    replicaReadConnection: replicaRead,
  };
}

function concatFrames(slots: readonly ReplySlot[], count: number, bytes: number): Buffer {
  const out = Buffer.allocUnsafe(bytes);
  let offset = 0;
  for (let i = 0; i < count; i++) offset += slots[i]!.frame!.copy(out, offset);
  return out;
}

/** The file descriptor of a client socket, when Node exposes it (-1 otherwise, e.g. TLS). */
function socketDescriptor(socket: net.Socket): number {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' ? fd : -1;
}

export class Session implements ConnectionState, CallHost {
  readonly id: number;
  readonly createdAt = Date.now();
  lastInteraction = Date.now();
  name: string | null = null;
  /** The selected database (ConnectionState.db). */
  db = 0;
  lastCommand = 'NULL';
  transaction: OpenTransaction | null = null;
  /** Slot and connection of an active WATCH: the transaction must run on that connection. */
  watch: WatchState | null = null;
  libName = '';
  libVer = '';
  noEvict = false;
  noTouch = false;
  /** RESP2 until HELLO 3; picks the backend connections (their protocol) for this client's commands. */
  protocol: RespVersion = 2;
  /**
   * Pub/sub: messages are written like MONITOR lines, in order with the replies owed; in RESP3 as
   * push frames, and every command stays allowed while subscribed.
   */
  readonly subscriptions = new ClientSubscriptions((frame) => this.streamFrame(frame), () => this.protocol === 3);
  tracking: ClientTracking | null = null;

  private readonly decoder: RequestDecoder;
  /** Kept for the session's life, whatever later reloads do to the account (SPEC §7). */
  private signedInAs: Account | null = null;
  private readonly replies = new ReplyQueue();
  /** Writes to the client (io/socket-writer.ts); its unsentBytes is this client's output buffer. */
  private readonly writer: SocketWriter;
  private flushScheduled = false;
  /** True while a chunk from the client is being decoded: replies made meanwhile leave at its end. */
  private decoding = false;
  private flushAfterDecode = false;
  private paused = false;
  /** Average size of this client's replies (see fill), and the window of replies it may owe. */
  private replyBytesEstimate = INITIAL_REPLY_ESTIMATE;
  /** The blocking command this session waits on (see runBlocking), and its send when still held. */
  private blockedOn: Call | null = null;
  private heldBlocking: (() => void) | null = null;
  private inflightLimit: number;
  private closing = false;
  private closed = false;
  /** Masters this client wrote to since its last WAIT (handlers/wait.ts); null for none. */
  private writtenMasters: Set<string> | null = null;
  private lastWrittenMaster: string | null = null;
  /** Set by drain(): close the connection as soon as the client owes nothing. */
  private draining = false;
  private idleCloseScheduled = false;
  /** CLIENT REPLY OFF, and SKIP's "not the next reply" (see setReplyMode). */
  private replyOff = false;
  private skipNextReply = false;
  /** The request being dispatched now: CLIENT REPLY decides about its own reply too. */
  private dispatching: Call | null = null;
  /**
   * Node of the blocking command sent last, and the backend's client id of each blocking
   * connection (asked with CLIENT ID when it opens): CLIENT UNBLOCK is sent to that node for it.
   */
  private blockingAddress: string | null = null;
  private blockingBackendIds: Map<string, Promise<number | null>> | null = null;
  /** The blockingConnections key (node and database) of the blocking command sent last. */
  private blockingKey: string | null = null;
  /** Connections of this session's own, for blocking commands (one per node). */
  private blockingConnections: Map<string, NodeConnection> | null = null;
  /** Made on first use (see logger): most sessions never log, and 10,000 idle ones should not pay for it. */
  private childLogger: Logger | null = null;
  private sharedForwardContext: ForwardContext | null = null;
  private blockingForwardContext: ForwardContext | null = null;
  /** Set while the session streams a MONITOR/IMONITOR feed (no more requests are run); stops the feed. */
  private streamStop: (() => void) | null = null;

  constructor(
    readonly socket: net.Socket,
    readonly proxy: ProxyContext,
  ) {
    const ctx = proxy;
    this.id = ctx.nextClientId();
    this.inflightLimit = inflightWindow(this.replyBytesEstimate, ctx.config.clientMaxInflight);
    this.decoder = new RequestDecoder((req) => this.onRequest(req), {
      maxBulkLength: ctx.config.protoMaxBulkLen,
    });
    this.signIn(ctx.runtime.accounts.initialAccount);
    socket.setNoDelay(true);
    this.writer = new SocketWriter(socket, () => this.maybeResume());
    socket.on('drain', () => this.maybeResume());
    socket.on('error', () => this.destroy());
    socket.on('close', () => this.destroy());
    if (ctx.config.idleTimeoutSeconds > 0) {
      socket.setTimeout(ctx.config.idleTimeoutSeconds * 1000, () => {
        // Redis does not time out clients blocked in a command; neither do we.
        if (this.streamStop) return; // nor monitors (Redis exempts them too)
        if (this.subscriptions.active) return; // nor subscribers, which may hear nothing for hours
        if (!this.blockingConnections?.size || this.replies.length === 0) this.destroy();
      });
    }
    // The server accepts with pauseOnConnect, so the first read happens here (io/socket-reader.ts).
    readSocket(socket, (chunk) => this.onData(chunk));
  }

  private get logger(): Logger {
    return (this.childLogger ??= this.proxy.logger.child({ client: this.id, addr: this.address }));
  }

  /** How this session's commands reach the backend on shared connections (fan-out parts too); made on first use. */
  get sharedForward(): ForwardContext {
    return (this.sharedForwardContext ??= this.makeSharedForward());
  }

  private makeSharedForward(): ForwardContext {
    const proxy = this.proxy;
    const pool = proxy.pool;
    return forwardContext(
      proxy,
      (address) => (this.watch?.conn.address === address ? this.watch.conn : pool.connectionFor(address, this.id, this.protocol, this.db)),
      // proxy.runtime is read per call: a reload replaces it (config/reload.ts).
      (slot) => replicaReadConnection(proxy.topology, proxy.runtime, pool, slot, this.id, this.protocol, this.db),
    );
  }

  /** How this session's blocking commands reach the backend: on connections of its own. */
  get blockingForward(): ForwardContext {
    return (this.blockingForwardContext ??= forwardContext(this.proxy, (address) => this.blockingConnection(address), undefined));
  }

  /** Handlers see this connection's state through this interface (CallHost). */
  get connection(): ConnectionState {
    return this;
  }

  /** The account this connection is signed in as; null until AUTH/HELLO succeeds. */
  get account(): Account | null {
    return this.signedInAs;
  }

  /** Signs in as `account`; null signs out (RESET while the default account has a password). */
  signIn(account: Account | null): void {
    this.signedInAs = account;
    this.decoder.authRequired = account === null;
  }

  get address(): string {
    return `${this.socket.remoteAddress}:${this.socket.remotePort}`;
  }

  /** Replies owed to the client (commands in flight). */
  get pendingReplies(): number {
    return this.replies.length;
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    this.lastInteraction = Date.now();
    this.proxy.metrics.bytesIn.inc(chunk.length);
    this.decode(chunk);
  }

  /** Feeds the decoder `chunk`, or (null) lets it go on with what it held back. */
  private decode(chunk: Buffer | null): void {
    this.decoding = true;
    try {
      if (chunk) this.decoder.write(chunk);
      else this.decoder.resume();
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      // Like Redis: answer the commands before the bad one, then the error, then close.
      this.proxy.metrics.countProxyError('protocol');
      this.proxy.logLimiter.log('protocol_error', 'info', { err: err.message }, 'protocol error from client; closing the connection', this.logger);
      const slot = this.replies.reserve();
      slot.closeAfter = true;
      slot.silent = this.replyOff; // like Redis: with CLIENT REPLY OFF not even this error is sent
      this.fill(slot, errors.protocolError(err.message).frame);
      this.closing = true;
      this.socket.pause();
    } finally {
      this.decoding = false;
    }
    // Replies slotgate answered itself while decoding (PING, errors…) leave together, now.
    if (this.flushAfterDecode) {
      this.flushAfterDecode = false;
      this.flush();
    }
  }

  private onRequest(req: Request): void {
    if (this.closing || this.streamStop) return;
    const call = this.replies.append(new Call(this));
    if (this.replyOff || this.skipNextReply) {
      call.silent = true;
      this.skipNextReply = false;
    }
    this.dispatching = call;
    this.proxy.metrics.requestDecoded(call, req); // stats hook: start time, big request, hot-key sample
    try {
      dispatch(call, req);
    } catch (err) {
      this.internalError(call, err);
    }
    this.dispatching = null;
    this.lastCommand = call.spec ? call.spec.name : 'NULL'; // Redis shows an unknown command as NULL
    // Checked per request, not per chunk: the decoder halts right here and keeps the rest of
    // the chunk, so a client never has more than its window of replies owed.
    if (this.replies.length >= this.inflightLimit) {
      this.decoder.stop();
      this.pause();
    }
  }

  /**
   * A fault in slotgate's own code while running one command (an exception from a handler, or
   * from a callback handling its backend reply): that command fails, nothing else does. The
   * connection, the shared backend connections and every other client carry on.
   */
  internalError(call: Call, err: unknown): void {
    const metrics = this.proxy.metrics;
    metrics.countInternalError(call.commandName);
    metrics.countProxyError('internal');
    this.proxy.logLimiter.log('internal_error', 'error', { err, command: call.commandName }, 'internal error while running a command; the command failed', this.logger);
    if (call.frame === null) this.fill(call, errors.INTERNAL_ERROR.frame);
  }

  /** CallHost: a reply for `slot`, in order with the others. */
  answer(slot: ReplySlot, frame: Buffer): void {
    this.fill(slot, frame, true);
  }

  /** CallHost: a reply, then the connection closes once it (and everything before it) is written. */
  answerAndClose(slot: ReplySlot, frame: Buffer): void {
    slot.closeAfter = true;
    this.closing = true;
    this.fill(slot, frame);
  }

  /**
   * A blocking command travels a connection of its own, so on its own it could overtake the
   * commands pipelined before it (still queued on a shared connection) and be overtaken by
   * those after it: `SET k v | BLPOP k 1 | DEL k` must see `k` set and delete it afterwards.
   * Like Redis, which runs nothing else of a client's while it is blocked, the session waits
   * for every earlier reply before sending it and reads nothing more until it is answered.
   */
  runBlocking(call: Call, send: () => void): void {
    this.blockedOn = call;
    this.decoder.stop();
    this.pause();
    if (this.replies.firstUnanswered() === call) send();
    else this.heldBlocking = send;
  }

  /**
   * MONITOR/IMONITOR: from now on the client only receives `streamFrame`s, until it
   * disconnects; `stop` ends the feed then (at once if the client is already gone).
   */
  startStreaming(stop: () => void): void {
    if (this.closed) return stop();
    this.streamStop = stop;
  }

  /** One frame of the feed, after every reply owed so far; `closeAfter` ends the connection after it. */
  streamFrame(frame: Buffer, closeAfter = false): void {
    if (this.closing) return;
    if (closeAfter) this.answerAndClose(this.replies.reserve(), frame);
    else this.fill(this.replies.reserve(), frame);
  }

  /**
   * Sets a reply and decides when it leaves. `replyToCall`: the answer to one of the client's
   * requests (not a pub/sub message or MONITOR line, which come in bursts and are batched).
   *  - Decoding a chunk of the client's: at the end of that chunk (one write for a pipeline).
   *  - The answer that leaves the client owing nothing else: at once. Nothing could join it, and
   *    waiting for the end of the event-loop turn only adds latency (issue #12).
   *  - Otherwise after the poll phase (setImmediate): replies of one pipeline arriving from
   *    several nodes in the same loop iteration leave in one write.
   */
  private fill(slot: ReplySlot, frame: Buffer, replyToCall = false): void {
    this.replies.fill(slot, frame);
    if (this.blockedOn !== null) this.advanceBlocking(slot);
    // The window of replies owed follows their size (an average that forgets old replies
    // in about 8): small replies allow `client-max-inflight`, 1 MB ones a handful.
    this.replyBytesEstimate += (frame.length - this.replyBytesEstimate) / 8;
    this.inflightLimit = inflightWindow(this.replyBytesEstimate, this.proxy.config.clientMaxInflight);
    if (!this.replies.headReady) return;
    if (this.decoding) this.flushAfterDecode = true;
    else if (replyToCall && this.replies.allReady) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushCallback);
    }
  }

  /** After a reply: send the held blocking command once it is next, or resume reading once it is answered. */
  private advanceBlocking(filled: ReplySlot): void {
    if (filled === this.blockedOn) {
      this.blockedOn = null;
      this.heldBlocking = null;
      return; // the flush that follows resumes reading (maybeResume)
    }
    const held = this.heldBlocking;
    if (held && this.replies.firstUnanswered() === this.blockedOn) {
      this.heldBlocking = null;
      held();
    }
  }

  private readonly flushCallback = (): void => this.flush();

  private flush(): void {
    // Also called directly (see fill); a setImmediate still scheduled then finds nothing to send.
    this.flushScheduled = false;
    if (this.closed) return;
    const ready = this.replies.takeReady();
    if (ready.length === 0) return;
    const socket = this.socket;
    let bytes = 0;
    let count = 0;
    let closeAfter = false;
    let silent = false;
    for (const slot of ready) {
      if (slot.silent) silent = true;
      else bytes += slot.frame!.length;
      count++;
      if (slot.closeAfter) {
        closeAfter = true;
        break;
      }
    }
    // CLIENT REPLY OFF/SKIP: those replies were awaited in order like the others, and are dropped here.
    const frames = silent ? ready.slice(0, count).filter((slot) => !slot.silent) : ready;
    if (silent) count = frames.length;
    // One write per flush: small replies are copied together (a memcpy is cheaper than a writev).
    const writer = this.writer;
    if (count === 1) writer.write(frames[0]!.frame!);
    else if (count === 0) {
      // every reply of this flush was silenced
    } else if (bytes <= COPY_REPLIES_LIMIT) writer.write(concatFrames(frames, count, bytes));
    else {
      // Big replies are not copied: each is its own write (their size, not the call count, is the cost).
      for (let i = 0; i < count; i++) writer.write(frames[i]!.frame!);
    }
    this.proxy.metrics.bytesOut.inc(bytes);
    if (closeAfter) {
      socket.end();
      this.releaseConnections();
      return;
    }
    // A subscriber has a limit of its own (Redis's pubsub class): messages come whether it reads or not.
    const subscribed = this.subscriptions.active;
    const limit = subscribed ? this.proxy.config.clientOutputBufferLimitPubsub : this.proxy.config.clientOutputBufferLimit;
    const unsent = writer.unsentBytes;
    if (unsent > limit) {
      if (subscribed) this.proxy.metrics.pubsubSlowSubscribersDisconnected.inc();
      this.proxy.logLimiter.log('output_buffer_limit', 'warn', { unsentBytes: unsent, subscribed }, 'client output buffer limit reached; closing the connection', this.logger);
      this.destroy();
      return;
    }
    if (unsent > OUTPUT_HIGH_WATER) this.pause();
    else this.maybeResume();
    if (this.draining) this.closeIfIdle();
  }

  private pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.socket.pause();
  }

  private maybeResume(): void {
    if (!this.paused || this.closing || this.blockedOn !== null) return;
    if (this.replies.length > this.inflightLimit / 2) return;
    if (this.writer.unsentBytes > OUTPUT_HIGH_WATER) return;
    this.paused = false;
    // Requests held back in the decoder first: they may fill the window again.
    this.decode(null);
    if (!this.paused && !this.closing) this.socket.resume();
  }

  private blockingConnection(address: string): NodeConnection {
    // One per node and database: a connection stays in the database it selected when it connected.
    const key = this.db === 0 ? address : `${address}/${this.db}`;
    const connections = (this.blockingConnections ??= new Map());
    let conn = connections.get(key);
    if (!conn || conn.isClosed) {
      conn = this.proxy.pool.dedicated(address, { commandTimeoutMs: NO_TIMEOUT_MS }, this.protocol, this.db);
      connections.set(key, conn);
      // Pipelined ahead of the blocking command, so it costs no round trip: the id CLIENT UNBLOCK needs.
      this.blockingBackendIds ??= new Map();
      this.blockingBackendIds.set(
        key,
        executeOn(conn, ['CLIENT', 'ID']).then(
          (reply) => (typeof reply === 'number' ? reply : null),
          () => null,
        ),
      );
    }
    this.blockingAddress = address;
    this.blockingKey = key;
    return conn;
  }

  /**
   * CLIENT UNBLOCK for this session: when a blocking command of it is waiting on a node, that node
   * is asked to unblock it (CLIENT UNBLOCK <its connection's id> TIMEOUT|ERROR), so the node's own
   * reply (nil, or -UNBLOCKED) comes back the usual way. Nothing is cut short here: a value the
   * node already popped is never lost.
   */
  async unblock(reason: UnblockReason): Promise<boolean> {
    const address = this.blockingAddress;
    const key = this.blockingKey;
    if (this.blockedOn === null || this.heldBlocking !== null || address === null || key === null) return false;
    const backendId = await this.blockingBackendIds?.get(key);
    if (backendId === null || backendId === undefined || this.blockedOn === null) return false;
    const reply = await this.proxy.pool.execute(address, ['CLIENT', 'UNBLOCK', String(backendId), reason.toUpperCase()]);
    return !(reply instanceof RespError) && reply === 1;
  }

  /** CLIENT REPLY (ConnectionState): ON answers, OFF and SKIP do not (Redis's clientCommand). */
  setReplyMode(mode: ReplyMode): void {
    const current = this.dispatching;
    if (mode === 'on') {
      this.replyOff = false;
      this.skipNextReply = false;
      if (current) current.silent = false;
    } else if (mode === 'off') {
      this.replyOff = true;
      if (current) current.silent = true;
    } else {
      if (!this.replyOff) this.skipNextReply = true;
      if (current) current.silent = true;
    }
  }

  /** This session as CLIENT LIST shows it: figures of slotgate's own socket and queues. */
  clientRecord(): ClientRecord {
    const socket = this.socket;
    const now = Date.now();
    const qbuf = this.decoder.bufferedBytes;
    const omem = this.writer.unsentBytes;
    return {
      id: this.id,
      addr: this.address,
      laddr: `${socket.localAddress}:${socket.localPort}`,
      fd: socketDescriptor(socket),
      name: this.name ?? '',
      age: Math.floor((now - this.createdAt) / 1000),
      idle: Math.floor((now - this.lastInteraction) / 1000),
      flags: this.flags(),
      db: this.db,
      sub: this.subscriptions.channels.size,
      psub: this.subscriptions.patterns.size,
      ssub: this.subscriptions.shardChannels.size,
      multi: this.transaction ? this.transaction.queued : -1,
      qbuf,
      qbufFree: 0,
      obl: 0,
      oll: this.replies.length,
      omem,
      totMem: qbuf + omem,
      events: (this.paused ? '' : 'r') + (omem > 0 ? 'w' : ''),
      // Like Redis, a client's own CLIENT LIST / INFO shows that command as its last.
      cmd: this.dispatching?.spec ? this.dispatching.spec.name : this.lastCommand,
      user: this.signedInAs?.name ?? 'default',
      resp: this.protocol,
      redir: this.tracking?.on ? this.tracking.redirectId : -1,
      libName: this.libName,
      libVer: this.libVer,
      network: 'encrypted' in socket ? 'tls' : 'tcp',
      proxy: this.proxy.proxyId,
    };
  }

  /** CLIENT LIST flags, Redis's letters for the states a slotgate session can be in. */
  private flags(): string {
    let flags = '';
    if (this.streamStop) flags += 'O';
    // Redis's CLIENT_PUBSUB: subscribed to anything, in RESP2 or RESP3.
    if (this.subscriptions.active) flags += 'P';
    if (this.transaction) flags += 'x';
    if (this.blockedOn !== null && this.heldBlocking === null) flags += 'b';
    if (this.tracking?.on) flags += this.tracking.flagLetters;
    if (this.closing) flags += 'c';
    if (this.noEvict) flags += 'e';
    if (this.noTouch) flags += 'T';
    return flags || 'N';
  }

  /** In a blocking command (BLPOP, XREAD BLOCK…) that has not been answered yet. */
  get isBlocked(): boolean {
    return this.blockedOn !== null;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  noteWrittenMaster(address: string): void {
    // Consecutive writes mostly go to the same master: skip the Set for them.
    if (address === this.lastWrittenMaster) return;
    this.lastWrittenMaster = address;
    (this.writtenMasters ??= new Set()).add(address);
  }

  takeWrittenMasters(): string[] {
    const masters = this.writtenMasters ? [...this.writtenMasters] : [];
    this.writtenMasters = null;
    this.lastWrittenMaster = null;
    return masters;
  }

  /** A connection of this session's own to `address` (WATCH state lives on it), in the session's database. */
  dedicatedConnection(address: string): NodeConnection {
    return this.proxy.pool.dedicated(address, {}, this.protocol, this.db);
  }

  /**
   * HELLO 2/3, RESET: the commands that follow travel backend connections of `version`. Run
   * behind a barrier (CommandCall.afterEarlierReplies), so nothing of this client is in flight:
   * its idle blocking connections are simply dropped (re-made in the new protocol when next
   * needed); a WATCH connection must be kept (its WATCH lives there), so it says HELLO itself.
   */
  setProtocol(version: RespVersion): void {
    if (version === this.protocol) return;
    this.protocol = version;
    this.closeBlockingConnections();
    this.blockingBackendIds = null;
    this.watch?.conn.send(dropReply(version === 3 ? HELLO_3 : HELLO_2));
  }

  /** Ends a WATCH: closing its connection is what UNWATCH does, and frees the connection too. */
  dropWatch(): void {
    this.watch?.conn.close();
    this.watch = null;
  }

  private closeBlockingConnections(): void {
    if (!this.blockingConnections) return;
    for (const conn of this.blockingConnections.values()) conn.close();
    this.blockingConnections = null;
  }

  private releaseConnections(): void {
    this.closeBlockingConnections();
    this.blockingBackendIds = null;
    this.blockingAddress = null;
    this.dropWatch();
  }

  /**
   * Graceful shutdown (SlotgateHandle.drain): the connection is closed as soon as the client owes
   * nothing — at once if it is idle, else right after the reply that leaves it with no command in
   * flight. Until then it is served as usual, new commands too, so no command the client sent is
   * left unanswered by a close of ours before the deadline. A client inside MULTI or holding a
   * WATCH is not idle until EXEC/DISCARD/UNWATCH; blocked commands, MONITOR and a subscribed client
   * (it is waiting for messages) never become idle
   * and are cut by the server at the drain deadline (destroy()).
   */
  drain(): void {
    this.draining = true;
    this.closeIfIdle();
  }

  private closeIfIdle(): void {
    if (!this.isIdle() || this.idleCloseScheduled) return;
    // Not yet: requests the client sent while its reads were stopped (window full, blocked) are
    // still in the kernel's buffer, and reads that just resumed get them only at the next poll.
    // A setImmediate set from the check phase runs after that poll: closing then leaves no sent
    // command unanswered.
    this.idleCloseScheduled = true;
    setImmediate(() =>
      setImmediate(() => {
        this.idleCloseScheduled = false;
        if (!this.isIdle()) return;
        this.closing = true;
        this.releaseConnections();
        // Like a QUIT: the FIN after every reply written, then the descriptor freed without waiting for the client's.
        this.socket.end(() => this.destroy());
      }),
    );
  }

  /** Owes nothing and holds nothing that makes it busy (see drain). */
  private isIdle(): boolean {
    // A request half received is in flight too: its reply is owed once the rest arrives.
    return !(this.closing || this.streamStop || this.subscriptions.active || this.transaction || this.watch || this.replies.length > 0 || this.decoder.bufferedBytes > 0);
  }

  /** Drops the connection now (client gone, limit exceeded, killed). */
  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.closing = true;
    this.replies.clear();
    this.releaseConnections();
    this.streamStop?.();
    unsubscribeAll(this);
    releaseTracking(this, this.proxy);
    this.socket.destroy();
    this.onClose?.();
  }

  onClose: (() => void) | null = null;
}
