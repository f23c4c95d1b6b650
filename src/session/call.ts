/**
 * One request of one client, as its handler sees it (handlers/command-call.ts). It is also that
 * request's place in the client's ordered reply queue (it extends ReplySlot), so a request costs
 * one object here, as a bare reply slot did before.
 *
 * Hot path (a single-slot GET): the dispatcher binds the spec, the route handler calls
 * forward(), and the call itself is the request the master's connection sends and answers
 * (sendDirect: no ForwardedCommand, no closure, nothing allocated for the forward). An error reply
 * or a failure is handed to a ForwardedCommand then, which follows MOVED/ASK and retries.
 */
import type { BackendFailure, BackendRequest } from '../backend/backend-request.js';
import type { NodeConnection } from '../backend/node-connection.js';
import type { CommandSpec } from '../commands/command-table.js';
import type { ErrorReply } from '../errors/catalogue.js';
import type { ConnectionState, ForwardOptions, GatherOptions } from '../handlers/command-call.js';
import type { IncomingCall } from '../handlers/dispatch.js';
import type { ProxyContext } from '../handlers/proxy-context.js';
import { recordSlowCommand } from '../handlers/slow-command.js';
import type { CommandOutcome } from '../observability/metrics.js';
import { frameOf } from '../protocol/byte-range.js';
import { argsOfFrame, type DecodedRequest } from '../protocol/decoded-request.js';
import type { NodeTargeted } from '../routing/node-suffix.js';
import { directConnection, ForwardedCommand, slotTarget, type Completion, type ForwardContext, type LatencySink, type Target } from '../upstream/forwarder.js';
import { callbackNow } from '../util/callback-clock.js';
import { gather, type PartTarget } from '../upstream/gather.js';
import type { PartReply } from '../upstream/reducers.js';
import { readsReplica } from '../upstream/replica-read-target.js';
import { ReplySlot } from './reply-queue.js';

/** What a call needs of its client connection (the Session). */
export interface CallHost {
  readonly proxy: ProxyContext;
  readonly connection: ConnectionState;
  /** Shared backend connections (or the WATCH connection), with this client's affinity. */
  readonly sharedForward: ForwardContext;
  /** This client's own connections for blocking commands. */
  readonly blockingForward: ForwardContext;
  /** Sets the call's reply (in order with the others). */
  answer(call: ReplySlot, frame: Buffer): void;
  /** answer() with the reply as bytes[start, end) of a buffer nobody writes into again. */
  answerIn(call: ReplySlot, bytes: Buffer, start: number, end: number): void;
  answerAndClose(call: ReplySlot, frame: Buffer): void;
  internalError(call: Call, err: unknown): void;
  /**
   * Runs `send` once every earlier reply is in; nothing later is run until `call` is answered.
   * `onNode`: `send` sends a blocking command that its node will hold (BLPOP…), not a barrier.
   */
  runBlocking(call: Call, send: () => void, onNode?: boolean): void;
  startStreaming(stop: () => void): void;
  streamFrame(frame: Buffer, closeAfter: boolean): void;
}

const NO_COMMAND = 'unknown';

export class Call extends ReplySlot implements IncomingCall, Completion, BackendRequest {
  // Set by bind() before any handler sees the call; until then failures count as `unknown`.
  spec!: CommandSpec;
  nodeTarget: NodeTargeted | null = null;
  keySlot = -1;
  /** The arguments; null until asked for after a direct-path bind (made from `raw` then). */
  private argViews: Buffer[] | null = NO_ARGS;
  /**
   * The request's bytes, payload[payloadStart, payloadEnd): after a direct-path bind, a range of the
   * client's read chunk (protocol/byte-range.ts); `raw` is made from it when something asks. Also
   * what a direct attempt writes (BackendRequest): plain fields, not getters, because the node
   * connection reads them for every request it joins into a write (an accessor is a call per load).
   */
  payload: Buffer = EMPTY;
  payloadStart = 0;
  payloadEnd = 0;
  private rawView: Buffer | null = EMPTY;
  // The direct attempt's state (sendDirect): this call is then its own BackendRequest, whose payload is the request's bytes.
  readonly replyCount = 1;
  private direct: ForwardContext | null = null;
  private directSlot = -1;
  private directAddress = '';
  private latency: LatencySink | null = null;
  private sentAt = 0;

  constructor(private host: CallHost) {
    super();
  }

  get connection(): ConnectionState {
    return this.host.connection;
  }

  /** The command name for metrics and logs (`unknown` before the lookup). */
  get commandName(): string {
    return this.spec ? this.spec.name : NO_COMMAND;
  }

  /** The request's bytes (CommandCall.raw): a view of the range, made on first use. */
  get raw(): Buffer {
    return (this.rawView ??= frameOf(this.payload, this.payloadStart, this.payloadEnd));
  }

  get args(): readonly Buffer[] {
    return (this.argViews ??= argsOfFrame(this.raw));
  }

  bind(spec: CommandSpec, args: Buffer[], raw: Buffer, nodeTarget: NodeTargeted | null): void {
    this.spec = spec;
    this.argViews = args;
    this.setBytes(raw, 0, raw.length, raw);
    this.nodeTarget = nodeTarget;
  }

  bindRequest(spec: CommandSpec, request: Pick<DecodedRequest, 'bytes' | 'base' | 'end'>, keySlot: number): void {
    this.spec = spec;
    this.argViews = null;
    this.setBytes(request.bytes, request.base, request.end, null);
    this.keySlot = keySlot;
  }

  private setBytes(source: Buffer, start: number, end: number, view: Buffer | null): void {
    this.payload = source;
    this.payloadStart = start;
    this.payloadEnd = end;
    this.rawView = view;
  }

  reply(frame: Buffer, outcome: CommandOutcome = 'ok'): void {
    this.done(outcome, frame.length);
    this.host.answer(this, frame);
  }

  fail(error: ErrorReply): void {
    this.host.proxy.metrics.countProxyError(error.kind);
    if (this.spec) this.done('error', error.frame.length);
    this.host.answer(this, error.frame);
  }

  /** Counted, timed from requestDecoded(this), big replies and hot keys noted (observability/command-stats.ts); a slow one logged. */
  private done(outcome: CommandOutcome, replyBytes: number): void {
    const metrics = this.host.proxy.metrics;
    const seconds = metrics.commandDone(this.spec.name, outcome, this, replyBytes);
    if (seconds >= metrics.slowCommands.slowerThanSeconds) recordSlowCommand(this, seconds, this.host.proxy);
  }

  replyAndClose(frame: Buffer): void {
    this.host.answerAndClose(this, frame);
  }

  /** A forwarded command's answer (Completion). */
  complete(frame: Buffer, isError: boolean): void {
    this.reply(frame, isError ? 'error' : 'ok');
  }

  forward(target: Target, options: ForwardOptions): void {
    const writes = target.slot !== null && this.writes(options);
    if (options.blocking) {
      if (writes) this.noteWrite(target.slot);
      this.host.runBlocking(this, () => this.send(target, options, this.host.blockingForward, false), true);
      return;
    }
    if (options.connection) {
      if (writes) this.noteWrite(target.slot);
      // A handle this session's affinity made (ConnectionState.dedicatedConnection): a NodeConnection.
      this.sendOn(options.connection as NodeConnection, target, options);
      return;
    }
    this.send(target, options, this.host.sharedForward, writes);
  }

  /**
   * forward(slotTarget(slot), options), the hot path's way (route.ts): the master of `slot` is
   * found by the number alone. Reading the slot's shared Target object first was a cache miss per
   * request with random keys (16,384 of them): perf annotate put three quarters of routeByKeys'
   * own samples there at GET pipeline 16 (issue #22). A blocking command or one on a connection of
   * its own takes forward()'s way, with the Target.
   */
  forwardToSlot(slot: number, options: ForwardOptions): void {
    if (options.blocking === true || options.connection !== undefined) return this.forward(slotTarget(slot), options);
    this.sendToSlot(slot, options, this.host.sharedForward, this.writes(options));
  }

  /** Whether this is a write as WAIT counts them: its master is noted (noteWrite). */
  private writes(options: ForwardOptions): boolean {
    return options.access === 'write' || options.transaction === true || this.spec.isWrite;
  }

  /** Whether a command for a slot goes to a replica of it (read/write splitting). */
  private readsReplica(options: ForwardOptions): boolean {
    const { proxy, connection } = this.host;
    // A tracking client reads masters: the invalidations come from them, and a replica could still hold a value they already invalidated.
    const transactional = options.transaction === true || connection.watch !== null || connection.tracking !== null;
    return readsReplica(proxy.runtime, connection.account, options.access, options.blocking === true, transactional);
  }

  /** `writes`: WAIT's bookkeeping is to note the master this goes to (noteWrite). */
  private send(target: Target, options: ForwardOptions, context: ForwardContext, writes: boolean): void {
    const blocking = options.blocking === true;
    if (target.slot !== null && !blocking && target.replicaRead !== true) return this.sendToSlot(target.slot, options, context, writes);
    // A keyless command, a blocking one (never read from a replica: ReplicaReads.mayUseReplica), or
    // a read its handler already sent to a replica: the target stays as it is.
    const latency = blocking ? null : this.host.proxy.metrics.backendLatencyOf(options.access);
    this.sendForwarded(target, options, context, writes, latency);
  }

  /** A non-blocking command for `slot`: to a replica when read/write splitting says so, else the direct attempt to the master, else a ForwardedCommand. */
  private sendToSlot(slot: number, options: ForwardOptions, context: ForwardContext, writes: boolean): void {
    const latency = this.host.proxy.metrics.backendLatencyOf(options.access);
    if (this.readsReplica(options)) this.sendForwarded({ slot, replicaRead: true }, options, context, writes, latency);
    else if (!this.sentDirect(slot, options, context, writes, latency)) this.sendForwarded(slotTarget(slot), options, context, writes, latency);
  }

  /** Through a ForwardedCommand, which follows redirections and retries. */
  private sendForwarded(target: Target, options: ForwardOptions, context: ForwardContext, writes: boolean, latency: LatencySink | null): void {
    if (writes) this.noteWrite(target.slot!);
    new ForwardedCommand(context, options.commands ?? this.raw, options.transaction === true, target, latency, this.completionFor(options)).start();
  }

  /** The direct attempt to the master of `slot` (upstream/forwarder.ts, directConnection): false when a ForwardedCommand must send it. */
  private sentDirect(slot: number, options: ForwardOptions, context: ForwardContext, writes: boolean, latency: LatencySink | null): boolean {
    if (options.transaction === true || options.commands !== undefined || options.onReply !== undefined) return false;
    const conn = directConnection(context, slot);
    if (conn === null) return false;
    if (writes) this.host.connection.noteWrittenMaster(conn.address); // the slot's master: directConnection just looked it up
    this.sendDirect(conn, context, slot, latency);
    return true;
  }

  /** The hot path: this call is the backend request (upstream/forwarder.ts, directConnection). */
  private sendDirect(conn: NodeConnection, context: ForwardContext, slot: number, latency: LatencySink | null): void {
    this.direct = context;
    this.directSlot = slot;
    this.directAddress = conn.address;
    this.latency = latency;
    this.sentAt = callbackNow();
    conn.send(this);
  }

  /** BackendRequest (a direct attempt): a plain answer goes to the client; an error may be a redirection. */
  onReply(frame: Buffer, isError: boolean): void {
    if (isError) this.takenOver().onReply(frame, true, 0);
    else this.onReplyIn(frame, 0, frame.length);
  }

  /** BackendRequest (a direct attempt): a plain answer, as bytes[start, end) of the node's read (no view made). */
  onReplyIn(bytes: Buffer, start: number, end: number): void {
    if (this.latency !== null) this.latency.observe((callbackNow() - this.sentAt) / 1000);
    this.done('ok', end - start);
    // Answered here and nowhere else: its node connection has let go of it, no ForwardedCommand or
    // handler closure holds it, so once the reply is written the session may reuse it (Call.recycle).
    this.recyclable = true;
    this.host.answerIn(this, bytes, start, end);
  }

  /** Blank again (holding nothing of its request), for a later request: see forHost. */
  private blank(): void {
    this.resetSlot();
    this.spec = undefined as unknown as CommandSpec;
    this.setBytes(EMPTY, 0, 0, EMPTY);
    this.nodeTarget = null;
    this.keySlot = -1;
    this.argViews = NO_ARGS;
    this.direct = null;
    this.directSlot = -1;
    this.directAddress = '';
    this.latency = null;
    this.sentAt = 0;
  }

  /**
   * A call the reply writer handed back (`recyclable`, its reply written): blanked and kept for a
   * later request (see spareCalls). Only onReplyIn marks a call recyclable, when nothing else can hold it.
   */
  static recycle(call: Call): void {
    if (spareCalls.length >= SPARE_CALLS) return;
    call.blank();
    spareCalls.push(call);
  }

  /** A call for a new request of `host`'s: a recycled one when there is one. */
  static forHost(host: CallHost): Call {
    const call = spareCalls.pop();
    if (call === undefined) return new Call(host);
    call.host = host;
    return call;
  }

  /** BackendRequest (a direct attempt): retried, or answered with the failure, by the forwarder's rules. */
  onFailure(failure: BackendFailure): void {
    // Answered already (a fault in slotgate's code after its answer): nothing is left to retry or fail.
    if (this.recyclable) return;
    this.takenOver().onFailure(failure);
  }

  private takenOver(): ForwardedCommand {
    return ForwardedCommand.takeOver(this.direct!, this.raw, slotTarget(this.directSlot), this.latency, this, this.directAddress, this.sentAt);
  }

  /** On one given connection (a WATCH connection), no redirections: WATCH state cannot follow a command elsewhere. */
  private sendOn(conn: NodeConnection, target: Target, options: ForwardOptions): void {
    const context: ForwardContext = { ...this.host.sharedForward, maxRedirects: 0, connectionFor: () => conn };
    const then = this.completionFor(options);
    const done: Completion = options.closeConnectionAfter
      ? {
          complete: (frame, isError) => {
            conn.close();
            then.complete(frame, isError);
          },
        }
      : then;
    new ForwardedCommand(context, options.commands ?? this.raw, options.transaction === true, target, null, done).start();
  }

  /** Where a forwarded reply goes: to the client, or to the handler's `onReply` (guarded). */
  private completionFor(options: ForwardOptions): Completion {
    return options.onReply ? { complete: this.guard(options.onReply) } : this;
  }

  /** WAIT's bookkeeping: the master that serves `slot` now is where this write goes (MOVED is followed to the new one). */
  private noteWrite(slot: number): void {
    const master = this.host.proxy.topology.current.masterForSlot(slot);
    if (master) this.host.connection.noteWrittenMaster(master.address);
  }

  gather(targets: readonly PartTarget[], done: (replies: PartReply[]) => void, options: GatherOptions = {}): void {
    const metrics = this.host.proxy.metrics;
    if (this.spec.isWrite) {
      for (const target of targets) if (target.node?.role === 'master') this.host.connection.noteWrittenMaster(target.node.address);
    }
    let context = this.host.sharedForward;
    const opened: NodeConnection[] = [];
    if (options.outOfBand) {
      // Connections of this command's own, closed once every part answered.
      const pool = this.host.proxy.pool;
      context = { ...context, maxRedirects: 0, connectionFor: (address) => opened[opened.push(pool.dedicated(address, {}, this.host.connection.protocol)) - 1]! };
    }
    const finish = this.guard((replies: PartReply[]) => {
      for (const conn of opened) conn.close();
      done(replies);
    });
    gather(context, targets, options.latency ? metrics.backendLatencyOf(options.latency) : null, finish, options.replicaRead === true);
  }

  afterEarlierReplies(run: () => void): void {
    this.host.runBlocking(this, this.guard(run));
  }

  guard<A extends unknown[]>(callback: (...args: A) => void): (...args: A) => void {
    return (...args: A) => {
      try {
        callback(...args);
      } catch (err) {
        this.host.internalError(this, err);
      }
    };
  }

  startStreaming(stop: () => void): void {
    this.host.startStreaming(stop);
  }

  streamFrame(frame: Buffer, closeAfter = false): void {
    this.host.streamFrame(frame, closeAfter);
  }
}

const EMPTY = Buffer.alloc(0);
const NO_ARGS: Buffer[] = [];

/**
 * Calls whose replies were written, blank, for the next request of any session of the process
 * (issue #22: at pipeline 16 a Call was most of what a request allocated, with a number box for
 * each of its two time fields). Process-wide like the batch scratch buffer (io/batch-scratch.ts):
 * what it holds is blank objects, no state of any instance, and a session that goes idle keeps
 * none. Bounded: past SPARE_CALLS, a recycled call is left to the collector.
 */
const spareCalls: Call[] = [];
const SPARE_CALLS = 1024;
