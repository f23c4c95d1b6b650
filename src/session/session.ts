/**
 * One client connection: a small coordinator over parts that do not know it, and the owner of
 * its one lifecycle.
 *
 *  - ReplyWriter (reply-writer.ts): replies in request order, when they are flushed, CLIENT REPLY;
 *  - ReadGate (read-gate.ts): the in-flight window, the blocking barrier, back-pressure;
 *  - BackendAffinity (backend-affinity.ts): the backend connections the client holds of its own;
 *  - ClientState (client-state.ts): what the client chose, and its CLIENT LIST line;
 *  - SessionPorts (session-ports.ts), its base: what those parts and the socket call back, as
 *    methods of the session itself (no closure or adapter object per connection).
 *
 * Lifecycle: open → (draining) → closing → closed. Every way a connection ends goes through
 * `close(reason)` (at once) or `closeAfterReply` (a last reply, then close), and both end in
 * `release`, run once, which frees everything the session holds: its replies, its backend
 * connections (a node holding a blocked command for it frees it when that connection closes),
 * its subscriptions, its MONITOR feed, its socket, and its place in the server's set (maxclients,
 * CLIENT LIST, metrics, drain). The socket is read in every state until the end, so a client that
 * goes away is seen at once whatever it was doing — blocked, held back, or after a protocol error.
 *
 * Hot path: decoder callback (arguments by offset) → Call → dispatch's direct path (lookup, gate,
 * registry, key slot) → route handler → the Call itself sent on a shared backend connection. The
 * request's raw bytes are forwarded untouched; the reply frame is written back untouched. Socket
 * I/O goes through src/io/.
 */
import type net from 'node:net';
import type { Logger } from 'pino';
import type { Account } from '../auth/accounts.js';
import * as errors from '../errors/catalogue.js';
import type { ReplyMode } from '../handlers/command-call.js';
import { dispatch } from '../handlers/dispatch.js';
import { unsubscribeAll } from '../handlers/pubsub-commands.js';
import { releaseTracking } from '../handlers/tracking-commands.js';
import type { ProxyContext } from '../handlers/proxy-context.js';
import type { UnblockReason } from '../peers/client-directory.js';
import type { ClientRecord } from '../peers/client-record.js';
import { ProtocolError } from '../protocol/protocol-error.js';
import type { DecodedRequest } from '../protocol/decoded-request.js';
import type { ForwardContext } from '../upstream/forwarder.js';
import { callbackNow } from '../util/callback-clock.js';
import { Call, type CallHost } from './call.js';
import { ClientConnection, type ConnectionControl } from './client-connection.js';
import { clientFlags, clientRecordOf, socketFigures, type CloseReason, type SessionPhase } from './client-state.js';
import type { ReplySlot } from './reply-queue.js';
import { SessionPorts } from './session-ports.js';

/** Told once a session has released everything (the server's set, metrics): the acceptor. */
export interface SessionOwner {
  sessionClosed(session: Session, reason: CloseReason): void;
}

/** The session is itself what its parts call back (session-ports.ts). */
export class Session extends SessionPorts implements CallHost, ConnectionControl {
  readonly id: number;
  /** The connection as handlers see it: the client's state, subscriptions, backend affinity. */
  readonly connection: ClientConnection;
  private phase: SessionPhase = 'open';
  /** Set once the node is known to hold the blocking command in flight (see noteBlockedOnNode). */
  private blockedOnNode = false;
  private idleCloseScheduled = false;
  /** CLIENT REPLY OFF, and SKIP's "not the next reply" (see setReplyMode). */
  private replyOff = false;
  private skipNextReply = false;
  /** The request being dispatched now: CLIENT REPLY decides about its own reply too. */
  private dispatching: Call | null = null;
  /** Made on first use (see logger): most sessions never log, and 10,000 idle ones should not pay for it. */
  private childLogger: Logger | null = null;
  /** Set while the session streams a MONITOR/IMONITOR feed (no more requests are run); stops the feed. */
  private streamStop: (() => void) | null = null;
  /** Why the connection is closing, once a last reply was queued (closeAfterReply). */
  private closingReason: CloseReason = 'quit';
  /** Told once, when the session has released everything (the server's set, metrics). */
  owner: SessionOwner | null = null;

  constructor(socket: net.Socket, proxy: ProxyContext) {
    super(socket, proxy);
    this.id = proxy.nextClientId();
    this.connection = new ClientConnection(this.id, proxy, this);
    this.connection.signIn(proxy.runtime.accounts.initialAccount);
    socket.setNoDelay(true);
    const idleSeconds = proxy.config.idleTimeoutSeconds;
    if (idleSeconds > 0) socket.setTimeout(idleSeconds * 1000, () => this.idleTimedOut());
    this.listen();
  }

  /** ReplyWriterEvents: the output limit, back-pressure, a drain waiting for idleness. */
  flushed(unsent: number): void {
    this.afterFlush(unsent);
  }

  closingReplyWritten(): void {
    this.endAfterReplies();
  }

  /** GatedClient: what the decoder held back. */
  decodeHeld(): void {
    this.decode(null);
  }

  private get logger(): Logger {
    return (this.childLogger ??= this.proxy.logger.child({ client: this.id, addr: this.address }));
  }

  /** ConnectionControl: Redis's tighter request limits apply until the client signs in. */
  signedIn(account: Account | null): void {
    this.decoder.authRequired = account === null;
  }

  get address(): string {
    return `${this.socket.remoteAddress}:${this.socket.remotePort}`;
  }

  /** CallHost: how this session's commands reach the backend (see BackendAffinity). */
  get sharedForward(): ForwardContext {
    return this.connection.affinity.sharedForward;
  }

  get blockingForward(): ForwardContext {
    return this.connection.affinity.blockingForward;
  }

  /** Replies owed to the client (commands in flight). */
  get pendingReplies(): number {
    return this.writer.length;
  }

  onChunk(chunk: Buffer): void {
    // Closing: the input is read (so the client's going away is seen) and dropped, as Redis does.
    if (this.phase === 'closing' || this.phase === 'closed') return;
    this.connection.lastInteractionAt = callbackNow();
    this.proxy.metrics.bytesIn.pending += chunk.length;
    this.decode(chunk);
    if (this.gate.inputTaken() === 'over-query-buffer-limit') {
      this.proxy.logLimiter.log('query_buffer_limit', 'warn', { heldBytes: this.decoder.bufferedBytes }, 'client query buffer limit reached; closing the connection', this.logger);
      this.close('query_buffer_limit');
    }
  }

  /** Feeds the decoder `chunk`, or (null) lets it go on with what it held back. */
  private decode(chunk: Buffer | null): void {
    this.writer.decodeStarted();
    try {
      if (chunk) this.decoder.write(chunk);
      else this.decoder.resume();
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.protocolError(err);
    } finally {
      // Replies slotgate answered itself while decoding (PING, errors…) leave together, now.
      this.writer.decodeEnded();
    }
  }

  /** Like Redis: answer the commands before the bad one, then the error, then close. */
  private protocolError(err: ProtocolError): void {
    if (this.phase === 'closing' || this.phase === 'closed') return;
    this.proxy.metrics.countProxyError('protocol');
    this.proxy.logLimiter.log('protocol_error', 'info', { err: err.message }, 'protocol error from client; closing the connection', this.logger);
    const slot = this.writer.reserve();
    slot.silent = this.replyOff; // like Redis: with CLIENT REPLY OFF not even this error is sent
    this.closeAfterReply(slot, errors.protocolError(err.message).frame, 'protocol_error');
  }

  onRequest(request: DecodedRequest): void {
    if (this.phase === 'closing' || this.phase === 'closed') return;
    // A MONITOR client runs nothing but RESET, which ends the feed (as in Redis 6.2+) and QUIT.
    if (this.streamStop && !this.leavesMonitor(request.args()[0])) return;
    // Nothing owed: none of this client's commands is in flight, so it may change lanes. More
    // bytes after this request in its read: a pipelined burst (ClientConnection.chooseLane).
    if (this.writer.length === 0) this.connection.chooseLane(request.end < request.bytes.length);
    const call = this.writer.append(Call.forHost(this));
    if (this.replyOff || this.skipNextReply) {
      call.silent = true;
      this.skipNextReply = false;
    }
    this.dispatching = call;
    this.proxy.metrics.requestDecoded(call, request); // stats hook: start time, big request, hot-key sample
    try {
      dispatch(call, request, this.proxy);
    } catch (err) {
      this.internalError(call, err);
    }
    this.dispatching = null;
    this.connection.lastCommand = call.spec ? call.spec.name : 'NULL'; // Redis shows an unknown command as NULL
    this.gate.requestDispatched();
  }

  private leavesMonitor(name: Buffer | undefined): boolean {
    const word = name && name.length <= 5 ? name.toString('latin1').toLowerCase() : '';
    if (word === 'quit') return true;
    if (word !== 'reset') return false;
    const stop = this.streamStop!;
    this.streamStop = null;
    stop();
    return true;
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

  /** CallHost: a reply for `slot` that is bytes[start, end) of a backend read (see ReplyQueue.fill). */
  answerIn(slot: ReplySlot, bytes: Buffer, start: number, end: number): void {
    this.fill(slot, bytes, true, start, end);
  }

  /** CallHost: a reply, then the connection closes once it (and everything before it) is written (QUIT). */
  answerAndClose(slot: ReplySlot, frame: Buffer): void {
    this.closeAfterReply(slot, frame, 'quit');
  }

  /**
   * A blocking command travels a connection of its own, so on its own it could overtake the
   * commands pipelined before it (still queued on a shared connection) and be overtaken by
   * those after it: `SET k v | BLPOP k 1 | DEL k` must see `k` set and delete it afterwards.
   * Like Redis, which runs nothing else of a client's while it is blocked, the session waits
   * for every earlier reply before sending it and runs nothing more until it is answered.
   */
  runBlocking(call: Call, send: () => void, onNode = false): void {
    this.blockedOnNode = false;
    this.gate.runBlocking(call, () => {
      send();
      if (onNode) this.noteBlockedOnNode(call);
    });
  }

  /** CLIENT LIST's `b` and INFO's blocked_clients count a client once its node holds the command. */
  private noteBlockedOnNode(call: Call): void {
    this.connection.affinity.blockedOnNode().then(
      (held) => {
        if (held && this.gate.isBlockedOn(call)) this.blockedOnNode = true;
      },
      () => undefined, // not known to be held: the client is not reported blocked
    );
  }

  /**
   * MONITOR/IMONITOR: from now on the client only receives `streamFrame`s, until it
   * disconnects; `stop` ends the feed then (at once if the client is already gone).
   */
  startStreaming(stop: () => void): void {
    if (this.phase === 'closed') return stop();
    this.streamStop = stop;
  }

  /** One frame of the feed, after every reply owed so far; `closeAfter` ends the connection after it. */
  streamFrame(frame: Buffer, closeAfter = false): void {
    if (this.phase === 'closing' || this.phase === 'closed') return;
    if (closeAfter) this.closeAfterReply(this.writer.reserve(), frame, 'killed');
    else this.fill(this.writer.reserve(), frame);
  }

  /** Sets a reply; `replyToCall`: the answer to a request (see ReplyWriter.release). */
  private fill(slot: ReplySlot, frame: Buffer, replyToCall = false, start = 0, end = frame.length): void {
    this.writer.record(slot, frame, start, end);
    this.gate.replied(slot, end - start);
    if (!this.gate.isWaiting) this.blockedOnNode = false;
    this.writer.release(replyToCall);
  }

  /** After a flush: the output limit, back-pressure, and a drain waiting for the client to be idle. */
  private afterFlush(unsent: number): void {
    // A subscriber has a limit of its own (Redis's pubsub class): messages come whether it reads or not.
    const subscribed = this.connection.subscriptions.active;
    const config = this.proxy.config;
    const limit = subscribed ? config.clientOutputBufferLimitPubsub : config.clientOutputBufferLimit;
    if (unsent > limit) {
      if (subscribed) this.proxy.metrics.pubsubSlowSubscribersDisconnected.inc();
      this.proxy.logLimiter.log('output_buffer_limit', 'warn', { unsentBytes: unsent, subscribed }, 'client output buffer limit reached; closing the connection', this.logger);
      this.close('output_buffer_limit');
      return;
    }
    this.gate.flushed(unsent);
    if (this.phase === 'draining') this.closeIfIdle();
  }

  /** CLIENT UNBLOCK for this session (see BackendAffinity.unblock). */
  unblock(reason: UnblockReason): Promise<boolean> {
    if (!this.gate.blockingSent) return Promise.resolve(false);
    return this.connection.affinity.unblock(reason, () => this.gate.isWaiting);
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
    const subscriptions = this.connection.subscriptions;
    const flags = clientFlags({
      monitor: this.streamStop !== null,
      subscribed: subscriptions.active,
      transaction: this.connection.transaction !== null,
      blocked: this.isBlocked,
      tracking: this.connection.tracking?.on ? this.connection.tracking.flagLetters : '',
      closing: this.phase === 'closing' || this.phase === 'closed',
      noEvict: this.connection.noEvict,
      noTouch: this.connection.noTouch,
    });
    return clientRecordOf(this.connection, {
      ...socketFigures(this.socket),
      flags,
      sub: subscriptions.channels.size,
      psub: subscriptions.patterns.size,
      ssub: subscriptions.shardChannels.size,
      qbuf: this.decoder.bufferedBytes,
      oll: this.writer.length,
      omem: this.writer.unsentBytes,
      reading: this.gate.reading,
      // Like Redis, a client's own CLIENT LIST / INFO shows that command as its last.
      runningCommand: this.dispatching?.spec ? this.dispatching.spec.name : null,
      proxy: this.proxy.proxyId,
    });
  }

  /** In a blocking command (BLPOP, XREAD BLOCK…) that its node holds now (see noteBlockedOnNode). */
  get isBlocked(): boolean {
    return this.blockedOnNode && this.gate.blockingSent;
  }

  get isClosed(): boolean {
    return this.phase === 'closed';
  }

  private idleTimedOut(): void {
    // Redis does not time out clients blocked in a command, monitors or subscribers (which may
    // hear nothing for hours); neither does slotgate.
    if (this.streamStop || this.connection.subscriptions.active || this.gate.blockingSent) return;
    if (this.writer.length === 0) this.close('idle_timeout');
  }

  /**
   * Graceful shutdown (SlotgateHandle.drain): the connection is closed as soon as the client owes
   * nothing — at once if it is idle, else right after the reply that leaves it with no command in
   * flight. Until then it is served as usual, new commands too, so no command the client sent is
   * left unanswered by a close of ours before the deadline. A client inside MULTI or holding a
   * WATCH is not idle until EXEC/DISCARD/UNWATCH; blocked commands, MONITOR and a subscribed client
   * (it is waiting for messages) never become idle and are cut by the server at the drain deadline.
   */
  drain(): void {
    if (this.phase !== 'open') return;
    this.phase = 'draining';
    this.closeIfIdle();
  }

  private closeIfIdle(): void {
    if (!this.isIdle() || this.idleCloseScheduled) return;
    // Not yet: requests the client sent while its reads were held may still be in the kernel's
    // buffer, and reads that just resumed get them only at the next poll. A setImmediate set
    // from the check phase runs after that poll: closing then leaves no sent command unanswered.
    this.idleCloseScheduled = true;
    setImmediate(() =>
      setImmediate(() => {
        this.idleCloseScheduled = false;
        if (this.phase === 'draining' && this.isIdle()) this.endAfterReplies('drained');
      }),
    );
  }

  /** Owes nothing and holds nothing that makes it busy (see drain). */
  private isIdle(): boolean {
    // A request half received is in flight too: its reply is owed once the rest arrives.
    return !(this.streamStop || this.connection.subscriptions.active || this.connection.transaction || this.connection.watch || this.writer.length > 0 || this.decoder.bufferedBytes > 0);
  }

  /**
   * The last reply: nothing more is run (input is still read, and dropped), and once `frame` and
   * every reply before it are written the connection ends (endAfterReplies).
   */
  private closeAfterReply(slot: ReplySlot, frame: Buffer, reason: CloseReason): void {
    if (this.phase === 'closing' || this.phase === 'closed') return;
    this.phase = 'closing';
    this.closingReason = reason;
    this.gate.stop();
    slot.closeAfter = true;
    this.fill(slot, frame);
  }

  /**
   * Every reply is written: the backend connections are let go, our side of the socket ends (FIN
   * after the replies, like a QUIT), and the session closes when that is done — or earlier, when
   * the client goes first.
   */
  private endAfterReplies(reason: CloseReason = this.closingReason): void {
    if (this.phase === 'closed') return;
    this.phase = 'closing';
    this.gate.stop();
    this.connection.releaseBackends();
    this.socket.end(() => this.close(reason));
  }

  /**
   * Ends the connection now (client gone, killed, a limit, the drain deadline), or finishes a
   * close begun by closeAfterReply. The one release path: whatever state the session is in,
   * everything it holds is freed here, once.
   */
  close(reason: CloseReason): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.writer.close();
    this.gate.stop();
    this.connection.releaseBackends();
    const stop = this.streamStop;
    this.streamStop = null;
    stop?.();
    unsubscribeAll(this.connection, this.proxy.pubsub);
    releaseTracking(this.connection, this.proxy.tracking);
    this.socket.setTimeout(0);
    this.socket.destroy();
    this.proxy.metrics.connectionsClosed.labels(reason).inc();
    this.owner?.sessionClosed(this, reason);
  }
}
