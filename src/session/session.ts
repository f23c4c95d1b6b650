/**
 * One client connection: decode requests, route them, keep replies in request order,
 * and protect the proxy from this client (limits, slow readers, bad input).
 *
 * Hot path: decoder callback → lookupCommand → routeCommand → ForwardedCommand.start()
 * on a shared backend connection. The request's raw bytes are forwarded untouched; the
 * reply frame is written back untouched. Replies are flushed once per event-loop turn
 * (setImmediate, after every readable socket was read), so a pipeline answered by
 * several nodes in one turn goes back in one write.
 *
 * Back-pressure: when `client-max-inflight` replies are owed, or the socket's unsent
 * output passes a high-water mark, the session stops reading from the client until
 * things drain; past `client-output-buffer-limit` unsent bytes the client is dropped.
 */
import type net from 'node:net';
import type { Logger } from 'pino';
import type { Account } from '../auth/accounts.js';
import { commandRefusal } from '../auth/command-gate.js';
import type { NodeConnection } from '../backend/node-connection.js';
import { lookupCommand, type CommandSpec } from '../commands/command-table.js';
import { runFanout } from '../fanout/run-fanout.js';
import * as errors from '../errors/catalogue.js';
import type { ErrorReply } from '../errors/catalogue.js';
import type { CommandOutcome } from '../observability/metrics.js';
import { encodeCommand } from '../protocol/encoder.js';
import { ProtocolError } from '../protocol/protocol-error.js';
import { RequestDecoder, type Request } from '../protocol/request-decoder.js';
import { splitNodeSuffix } from '../routing/node-suffix.js';
import { routeCommand, type RoutePlan } from '../routing/router.js';
import type { ProxyContext } from './context.js';
import { ForwardedCommand, type ForwardContext, type Target } from './forwarder.js';
import { isLocalCommand, runLocalCommand } from './local-commands.js';
import { runOnNode } from './node-target.js';
import { runProxyCommand } from './proxy-commands.js';
import { replicaReadConnection, replicaReadTarget } from './replica-read-target.js';
import { ReplyQueue, type ReplySlot } from './reply-queue.js';
import { Transaction } from './transaction.js';

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

function concatFrames(slots: readonly ReplySlot[], count: number, bytes: number): Buffer {
  const out = Buffer.allocUnsafe(bytes);
  let offset = 0;
  for (let i = 0; i < count; i++) offset += slots[i]!.frame!.copy(out, offset);
  return out;
}

export class Session {
  readonly id: number;
  readonly createdAt = Date.now();
  lastInteraction = Date.now();
  name: string | null = null;
  lastCommand = 'NULL';
  transaction: Transaction | null = null;
  /** Slot and connection of an active WATCH: the transaction must run on that connection. */
  watch: { slot: number; conn: NodeConnection } | null = null;

  private readonly decoder: RequestDecoder;
  /** Kept for the session's life, whatever later reloads do to the account (SPEC §7). */
  private signedInAs: Account | null = null;
  private readonly replies = new ReplyQueue();
  private flushScheduled = false;
  private paused = false;
  /** Average size of this client's replies (see fill), and the window of replies it may owe. */
  private replyBytesEstimate = INITIAL_REPLY_ESTIMATE;
  /** The blocking command this session waits on (see runBlocking), and its send when still held. */
  private blockedOn: ReplySlot | null = null;
  private heldBlocking: (() => void) | null = null;
  private inflightLimit: number;
  private closing = false;
  private closed = false;
  /** Connections of this session's own, for blocking commands (one per node). */
  private readonly blockingConnections = new Map<string, NodeConnection>();
  private readonly logger: Logger;
  /** How this session's commands reach the backend on shared connections (fan-out parts too). */
  readonly sharedForward: ForwardContext;
  /** Set while the session streams a MONITOR/IMONITOR feed (no more requests are run); stops the feed. */
  private streamStop: (() => void) | null = null;
  private readonly blockingForward: ForwardContext;

  constructor(
    readonly socket: net.Socket,
    readonly ctx: ProxyContext,
  ) {
    this.id = ctx.nextClientId();
    this.inflightLimit = inflightWindow(this.replyBytesEstimate, ctx.config.clientMaxInflight);
    this.logger = ctx.logger.child({ client: this.id, addr: `${socket.remoteAddress}:${socket.remotePort}` });
    this.decoder = new RequestDecoder((req) => this.onRequest(req), {
      maxBulkLength: ctx.config.protoMaxBulkLen,
    });
    this.signIn(ctx.runtime.accounts.initialAccount);
    const base = {
      topology: ctx.topology,
      metrics: ctx.metrics,
      maxRedirects: ctx.config.maxRedirects,
      commandTimeoutMs: ctx.config.commandTimeoutMs,
      recentlyFailed: (address: string) => ctx.pool.recentlyFailed(address),
    };
    this.sharedForward = {
      ...base,
      connectionFor: (address) => (this.watch?.conn.address === address ? this.watch.conn : ctx.pool.connectionFor(address, this.id)),
      replicaReadConnection: (slot) => replicaReadConnection(ctx, slot, this.id),
    };
    this.blockingForward = {
      ...base,
      connectionFor: (address) => this.blockingConnection(address),
    };
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.maybeResume());
    socket.on('error', () => this.destroy());
    socket.on('close', () => this.destroy());
    if (ctx.config.idleTimeoutSeconds > 0) {
      socket.setTimeout(ctx.config.idleTimeoutSeconds * 1000, () => {
        // Redis does not time out clients blocked in a command; neither do we.
        if (this.streamStop) return; // nor monitors (Redis exempts them too)
        if (this.blockingConnections.size === 0 || this.replies.length === 0) this.destroy();
      });
    }
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
    this.ctx.metrics.bytesIn.inc(chunk.length);
    this.decode(chunk);
  }

  /** Feeds the decoder `chunk`, or (null) lets it go on with what it held back. */
  private decode(chunk: Buffer | null): void {
    try {
      if (chunk) this.decoder.write(chunk);
      else this.decoder.resume();
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      // Like Redis: answer the commands before the bad one, then the error, then close.
      this.ctx.metrics.countProxyError('protocol');
      this.ctx.logLimiter.log('protocol_error', 'info', { err: err.message }, 'protocol error from client; closing the connection', this.logger);
      const slot = this.replies.reserve();
      slot.closeAfter = true;
      this.fill(slot, errors.protocolError(err.message).frame);
      this.closing = true;
      this.socket.pause();
    }
  }

  private onRequest(req: Request): void {
    if (this.closing || this.streamStop) return;
    const slot = this.replies.reserve();
    this.ctx.metrics.requestDecoded(slot, req); // stats hook: start time, big request, hot-key sample
    try {
      this.dispatch(slot, req);
    } catch (err) {
      this.internalError(slot, this.lastCommand === 'NULL' ? 'unknown' : this.lastCommand, err);
    }
    // Checked per request, not per chunk: the decoder halts right here and keeps the rest of
    // the chunk, so a client never has more than its window of replies owed.
    if (this.replies.length >= this.inflightLimit) {
      this.decoder.stop();
      this.pause();
    }
  }

  private dispatch(slot: ReplySlot, req: Request): void {
    this.lastCommand = 'NULL'; // as Redis shows an unknown command in CLIENT LIST
    // `DBSIZE @0` (SPEC §4): the node suffix comes off first, so lookup, arity and permission
    // checks see the command itself. Not inside MULTI: a transaction runs on one slot's master.
    const nodeTarget = this.transaction ? null : splitNodeSuffix(req.args);
    if (nodeTarget) req = { args: nodeTarget.args, raw: encodeCommand(nodeTarget.args) };
    const lookup = lookupCommand(req.args);
    if (!lookup.ok) {
      this.failRequest(slot, errors.fromLookup(lookup.error));
      this.transaction?.abort();
      return;
    }
    const spec = lookup.spec;
    const commandName = (spec.parent ?? spec).name;
    this.lastCommand = spec.name;
    const refusal = commandRefusal(this.signedInAs, this.ctx.runtime.disabledCommands, spec);
    if (refusal) {
      this.failRequest(slot, refusal, spec.name);
      this.transaction?.abort(); // like Redis: a command refused while queueing fails the EXEC
      return;
    }
    if (this.ctx.monitors.active) this.ctx.monitors.publish(this.address, req.args);
    if (this.transaction && !Transaction.isControlCommand(commandName)) {
      this.transaction.queue(this, slot, spec, req);
      return;
    }
    if (isLocalCommand(commandName) && !nodeTarget) {
      runLocalCommand(this, slot, spec, req);
      return;
    }
    const plan = routeCommand(spec, req.args, nodeTarget);
    if ((plan.kind === 'slot' || plan.kind === 'any-master') && plan.blocking) return this.runBlocking(slot, spec, req, plan);
    this.execute(slot, spec, req, plan);
  }

  /**
   * A blocking command travels a connection of its own, so on its own it could overtake the
   * commands pipelined before it (still queued on a shared connection) and be overtaken by
   * those after it: `SET k v | BLPOP k 1 | DEL k` must see `k` set and delete it afterwards.
   * Like Redis, which runs nothing else of a client's while it is blocked, the session waits
   * for every earlier reply before sending it and reads nothing more until it is answered.
   */
  private runBlocking(slot: ReplySlot, spec: CommandSpec, req: Request, plan: RoutePlan): void {
    this.blockedOn = slot;
    this.decoder.stop();
    this.pause();
    if (this.replies.firstUnanswered() === slot) this.execute(slot, spec, req, plan);
    else this.heldBlocking = () => this.execute(slot, spec, req, plan);
  }

  /**
   * A fault in slotgate's own code while running one command (an exception from a handler, or
   * from a callback handling its backend reply): that command fails, nothing else does. The
   * connection, the shared backend connections and every other client carry on.
   */
  internalError(slot: ReplySlot, commandName: string, err: unknown): void {
    this.ctx.metrics.countInternalError(commandName);
    this.ctx.metrics.countProxyError('internal');
    this.ctx.logLimiter.log('internal_error', 'error', { err, command: commandName }, 'internal error while running a command; the command failed', this.logger);
    if (slot.frame === null) this.fill(slot, errors.INTERNAL_ERROR.frame);
  }

  /**
   * Wraps a callback that completes `slot` later (a backend reply handler): an exception in it
   * fails that one command through internalError() instead of unwinding into the backend
   * connection that delivered the reply.
   */
  guard<A extends unknown[]>(slot: ReplySlot, commandName: string, callback: (...args: A) => void): (...args: A) => void {
    return (...args: A) => {
      try {
        callback(...args);
      } catch (err) {
        this.internalError(slot, commandName, err);
      }
    };
  }

  /** Runs a routed command and fills `slot` with its reply. */
  execute(slot: ReplySlot, spec: CommandSpec, req: Request, plan: RoutePlan): void {
    switch (plan.kind) {
      case 'error':
        this.failRequest(slot, plan.error, spec.name);
        return;
      case 'slot':
        this.ctx.metrics.keysAccessedPending += plan.keys;
        this.forward(slot, spec, [req.raw], false, { slot: plan.slot }, plan.blocking, plan.access);
        return;
      case 'any-master':
        this.forward(slot, spec, [req.raw], false, { slot: null }, plan.blocking, plan.access);
        return;
      case 'fanout':
        runFanout(this, slot, spec, req, plan);
        return;
      case 'node':
        runOnNode(this, slot, spec, req, plan);
        return;
      case 'proxy':
        runProxyCommand(this, slot, spec, req, plan.handler);
        return;
    }
  }

  /** Sends raw command frames to the backend; `transaction` wraps them in MULTI/EXEC. */
  forward(
    slot: ReplySlot,
    spec: CommandSpec,
    commands: readonly Buffer[],
    transaction: boolean,
    target: Target,
    blocking: boolean,
    access: 'read' | 'write' | 'other',
  ): void {
    const metrics = this.ctx.metrics;
    const command = new ForwardedCommand(
      blocking ? this.blockingForward : this.sharedForward,
      commands,
      transaction,
      replicaReadTarget(this.ctx.runtime, this.signedInAs, target, access, blocking, transaction || this.watch !== null),
      blocking ? null : (seconds) => metrics.latencyByClass[access].observe(seconds),
      (frame, isError) => this.reply(slot, frame, spec.name, isError ? 'error' : 'ok'),
    );
    command.start();
  }

  /**
   * Sends commands over one given connection (the WATCH connection), no redirections:
   * WATCH state cannot follow a command to another node.
   */
  forwardOn(
    conn: NodeConnection,
    slot: ReplySlot,
    spec: CommandSpec,
    commands: readonly Buffer[],
    transaction: boolean,
    targetSlot: number | null,
    closeWhenDone: boolean,
  ): void {
    const context: ForwardContext = { ...this.sharedForward, maxRedirects: 0, connectionFor: () => conn };
    new ForwardedCommand(context, commands, transaction, { slot: targetSlot }, null, (frame, isError) => {
      if (closeWhenDone) conn.close();
      this.reply(slot, frame, spec.name, isError ? 'error' : 'ok');
    }).start();
  }

  /** Answers `slot` with a proxy-made error, counting it. */
  failRequest(slot: ReplySlot, error: ErrorReply, commandName?: string): void {
    this.ctx.metrics.countProxyError(error.kind);
    if (commandName) this.ctx.metrics.commandDone(commandName, 'error', slot, error.frame.length); // stats hook
    this.fill(slot, error.frame);
  }

  /** Answers `slot` with a locally made (or merged) reply; `outcome` 'error' for an error the backend gave. */
  reply(slot: ReplySlot, frame: Buffer, commandName: string, outcome: CommandOutcome = 'ok'): void {
    this.ctx.metrics.commandDone(commandName, outcome, slot, frame.length); // stats hook
    this.fill(slot, frame);
  }

  /** Sets a reply and closes the connection once it (and everything before it) is written. */
  replyAndClose(slot: ReplySlot, frame: Buffer): void {
    slot.closeAfter = true;
    this.closing = true;
    this.fill(slot, frame);
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
    if (closeAfter) this.replyAndClose(this.replies.reserve(), frame);
    else this.fill(this.replies.reserve(), frame);
  }

  private fill(slot: ReplySlot, frame: Buffer): void {
    slot.frame = frame;
    if (this.blockedOn !== null) this.advanceBlocking(slot);
    // The window of replies owed follows their size (an average that forgets old replies
    // in about 8): small replies allow `client-max-inflight`, 1 MB ones a handful.
    this.replyBytesEstimate += (frame.length - this.replyBytesEstimate) / 8;
    this.inflightLimit = inflightWindow(this.replyBytesEstimate, this.ctx.config.clientMaxInflight);
    if (!this.flushScheduled && this.replies.headReady) {
      this.flushScheduled = true;
      // After the poll phase: replies of one pipeline arriving from several nodes in the
      // same loop iteration leave in one write.
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
    this.flushScheduled = false;
    if (this.closed) return;
    const ready = this.replies.takeReady();
    if (ready.length === 0) return;
    const socket = this.socket;
    let bytes = 0;
    let count = 0;
    let closeAfter = false;
    for (const slot of ready) {
      bytes += slot.frame!.length;
      count++;
      if (slot.closeAfter) {
        closeAfter = true;
        break;
      }
    }
    // One write() per flush: small replies are copied together, big ones go corked.
    if (count === 1) socket.write(ready[0]!.frame!);
    else if (bytes <= COPY_REPLIES_LIMIT) socket.write(concatFrames(ready, count, bytes));
    else {
      socket.cork();
      for (let i = 0; i < count; i++) socket.write(ready[i]!.frame!);
      socket.uncork();
    }
    this.ctx.metrics.bytesOut.inc(bytes);
    if (closeAfter) {
      socket.end();
      this.releaseConnections();
      return;
    }
    if (socket.writableLength > this.ctx.config.clientOutputBufferLimit) {
      this.ctx.logLimiter.log('output_buffer_limit', 'warn', { unsentBytes: socket.writableLength }, 'client output buffer limit reached; closing the connection', this.logger);
      this.destroy();
      return;
    }
    if (socket.writableLength > OUTPUT_HIGH_WATER) this.pause();
    else this.maybeResume();
  }

  private pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.socket.pause();
  }

  private maybeResume(): void {
    if (!this.paused || this.closing || this.blockedOn !== null) return;
    if (this.replies.length > this.inflightLimit / 2) return;
    if (this.socket.writableLength > OUTPUT_HIGH_WATER) return;
    this.paused = false;
    // Requests held back in the decoder first: they may fill the window again.
    this.decode(null);
    if (!this.paused && !this.closing) this.socket.resume();
  }

  private blockingConnection(address: string): NodeConnection {
    let conn = this.blockingConnections.get(address);
    if (!conn || conn.isClosed) {
      conn = this.ctx.pool.dedicated(address, { commandTimeoutMs: NO_TIMEOUT_MS });
      this.blockingConnections.set(address, conn);
    }
    return conn;
  }

  /** A connection of this session's own to `address` (WATCH state lives on it). */
  dedicatedConnection(address: string): NodeConnection {
    return this.ctx.pool.dedicated(address);
  }

  /** Ends a WATCH: closing its connection is what UNWATCH does, and frees the connection too. */
  dropWatch(): void {
    this.watch?.conn.close();
    this.watch = null;
  }

  private releaseConnections(): void {
    for (const conn of this.blockingConnections.values()) conn.close();
    this.blockingConnections.clear();
    this.dropWatch();
  }

  /** Drops the connection now (client gone, limit exceeded, killed). */
  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.closing = true;
    this.replies.clear();
    this.releaseConnections();
    this.streamStop?.();
    this.socket.destroy();
    this.onClose?.();
  }

  onClose: (() => void) | null = null;
}
