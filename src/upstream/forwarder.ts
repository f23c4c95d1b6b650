/**
 * Sends one client command (or one MULTI…EXEC batch) to the backend and follows the
 * cluster's redirections until it gets a real answer, so the client never sees MOVED
 * or ASK (README: *What clients see*).
 *
 *  - MOVED: patch the slot map at once, ask for a topology refresh, resend to the new
 *    owner. Counted against `maxRedirects`.
 *  - ASK: resend to the importing node with ASKING in front (same write, same
 *    connection, so nothing can slip between them). Counted against `maxRedirects`.
 *  - TRYAGAIN / CLUSTERDOWN, and requests that never reached a node (connect failure):
 *    nothing ran, so retry after a short, growing pause until the deadline
 *    (`commandTimeoutMs` after the first attempt). A failover is waited out this way.
 *  - READONLY from a non-cluster backend's master (it was demoted: a Sentinel failover, FAILOVER):
 *    the write did not run, so hold that master's commands (cluster/write-hold.ts), this one
 *    first, until a refresh confirms the new master. (A cluster's demoted master answers MOVED.)
 *  - A master being failed over (a Sentinel's first failover event, or READONLY as above): new
 *    commands for it are parked in order and sent to the new master once it is confirmed.
 *  - A failure after the bytes were written (connection lost, timeout) is NOT retried:
 *    the command may have run, and a retry could apply a write twice. The one exception is a
 *    replica read (a read-only command): it goes to the master once, within the deadline.
 */
import type { NodeConnection } from '../backend/node-connection.js';
import { mayRetry, type BackendFailure, type BackendRequest } from '../backend/backend-request.js';
import type { TopologyManager } from '../cluster/topology-manager.js';
import type { BackendNode } from '../cluster/topology-snapshot.js';
import { isReadonlyRefusal, parseRedirect } from '../cluster/redirect.js';
import { hasWholeKeyspace } from '../cluster/topology-source.js';
import type { ParkedCommand } from '../cluster/write-hold.js';
import * as errors from '../errors/catalogue.js';
import type { Metrics } from '../observability/metrics.js';
import { encodeCommand } from '../protocol/encoder.js';
import { callbackNow } from '../util/callback-clock.js';

const ASKING = encodeCommand(['ASKING']);
const MULTI = encodeCommand(['MULTI']);
const EXEC = encodeCommand(['EXEC']);

export interface ForwardContext {
  readonly topology: TopologyManager;
  readonly metrics: Metrics;
  readonly maxRedirects: number;
  readonly commandTimeoutMs: number;
  /**
   * The connection to use for a node address (shared, or the session's own). `node`, when the
   * caller has the topology's node at that address: its address id finds a shared connection
   * faster (NodePool.connectionForNode); a context that ignores it is just as right.
   */
  connectionFor(address: string, node?: BackendNode): NodeConnection;
  /** True when the node at `address` failed lately (used to pick a master for keyless commands). */
  recentlyFailed(address: string): boolean;
  /**
   * For a read a replica may serve: a READONLY connection to the replica of `slot` to use,
   * or null when the master must serve it (see routing/replica-reads.ts).
   */
  replicaReadConnection?(slot: number): NodeConnection | null;
}

/**
 * Where the command goes: the master of a slot, or any master (keyless). `replicaRead`: a
 * replica of the slot may serve it; redirections and retries after one go to masters as usual.
 */
export type Target = { readonly slot: number; readonly replicaRead?: boolean } | { readonly slot: null };

/**
 * One Target per slot, made on first use and shared (never changed), so routing one allocates nothing.
 * Sized for every slot up front: writing slot 12000 into an empty array would turn it into a slow
 * dictionary (V8 does that to an array written far past its end), looked up on every request.
 */
const slotTargets = new Array<Target | undefined>(16384);

/** The Target of `slot`'s master (0 ≤ slot < 16384): the same object every time. */
export function slotTarget(slot: number): Target {
  return (slotTargets[slot] ??= { slot });
}

/**
 * The plain case of a forward, without a ForwardedCommand (issue #22: nothing is allocated per
 * request beyond what the request keeps): one command for the master of `slot`, which is not being
 * failed over. The caller (the session's Call) is itself the BackendRequest of this one attempt and
 * passes any error reply, or a failure, to `ForwardedCommand.takeOver`, which follows redirections
 * and retries as if it had sent the command. Null when the ForwardedCommand must send it (no master
 * known, a master whose commands are held); a replica read or a keyless command never asks.
 */
export function directConnection(ctx: ForwardContext, slot: number): NodeConnection | null {
  const master = ctx.topology.current.masterForSlot(slot);
  if (master === undefined || ctx.topology.hold.isHeld(master.address)) return null;
  return ctx.connectionFor(master.address, master);
}

/** Who gets the final answer (an object, not a closure: nothing allocated per command for it). */
export interface Completion {
  complete(frame: Buffer, isError: boolean): void;
}

/** Where round-trip times go (a histogram child), when anywhere. */
export interface LatencySink {
  observe(seconds: number): void;
}

export class ForwardedCommand implements BackendRequest, ParkedCommand {
  payload: Buffer = EMPTY;
  readonly payloadStart = 0;
  replyCount = 1;
  private resultIndex = 0;
  private redirectFrame: Buffer | null = null;
  private redirects = 0;
  readonly deadline: number;
  private address = '';
  /** Sent to a replica (a replica read): a `-LOADING` answer then goes to the master instead. */
  private onReplica = false;
  private startedAt = 0;
  private attempt = 0;
  /** Answered (finish): a failure reported after that (a fault in the answer's handler) has nothing left to fail. */
  private answered = false;

  get payloadEnd(): number {
    return this.payload.length;
  }

  /**
   * @param commands raw frames; one for a plain command (a Buffer alone, or an array of one: a
   *                 plain command's caller need not make an array per request), several for a
   *                 transaction, which is wrapped in MULTI … EXEC and answered with EXEC's reply.
   */
  constructor(
    private readonly ctx: ForwardContext,
    private readonly commands: Buffer | readonly Buffer[],
    private readonly transaction: boolean,
    private readonly target: Target,
    private readonly onLatency: LatencySink | null,
    private readonly done: Completion,
    /** Milliseconds of the deadline already spent (a direct attempt taken over: `takeOver`). */
    spentMs = 0,
  ) {
    this.deadline = Date.now() + ctx.commandTimeoutMs - spentMs;
  }

  /**
   * Continues a direct attempt (`directConnection`) whose answer was an error or a failure: made
   * as if it had sent the command itself to `address` at `sentAt` (callbackNow()), so a
   * redirection, a retry or a demoted master is handled exactly as for any forwarded command.
   * The caller then hands it the reply (onReply) or the failure (onFailure).
   */
  static takeOver(ctx: ForwardContext, command: Buffer, target: Target, onLatency: LatencySink | null, done: Completion, address: string, sentAt: number): ForwardedCommand {
    const taken = new ForwardedCommand(ctx, command, false, target, onLatency, done, Math.max(0, callbackNow() - sentAt));
    taken.address = address;
    taken.startedAt = sentAt;
    taken.payload = command;
    return taken;
  }

  /** First attempt: to the slot's master as the current snapshot says. */
  start(): void {
    const topology = this.ctx.topology.current;
    let address: string | undefined;
    if (this.target.slot === null) {
      // Any master will do: prefer the ones whose connections have not just failed.
      const masters = topology.masters();
      const healthy = masters.filter((m) => !this.ctx.recentlyFailed(m.address));
      const choices = healthy.length > 0 ? healthy : masters;
      address = choices.length ? choices[Math.floor(Math.random() * choices.length)]!.address : undefined;
    } else {
      const replica = this.target.replicaRead ? this.ctx.replicaReadConnection?.(this.target.slot) : null;
      if (replica) {
        this.onReplica = true;
        this.sendOn(replica, false);
        return;
      }
      address = topology.masterForSlot(this.target.slot)?.address;
    }
    if (!address) {
      this.ctx.topology.requestRefresh('slot not served');
      this.retryLater(() => errors.SLOT_NOT_SERVED.frame);
      return;
    }
    // Its master is being failed over: wait for the new one rather than write to one being demoted.
    if (this.ctx.topology.hold.isHeld(address) && this.ctx.topology.hold.park(address, this)) return;
    this.sendTo(address, false);
  }

  /** Parked while its master was failed over (cluster/write-hold.ts): sent again from scratch. */
  resume(): void {
    this.start();
  }

  /** Its deadline passed while parked. */
  expire(): void {
    this.finish(errors.backendUnreachable('its master is being failed over; no new master within command-timeout').frame, true);
  }

  private sendTo(address: string, asking: boolean): void {
    this.sendOn(this.ctx.connectionFor(address), asking);
  }

  private sendOn(conn: NodeConnection, asking: boolean): void {
    this.address = conn.address;
    this.buildPayload(asking);
    this.startedAt = this.onLatency ? callbackNow() : 0;
    conn.send(this);
  }

  private buildPayload(asking: boolean): void {
    const commands = this.commands;
    if (!this.transaction) {
      const command = Buffer.isBuffer(commands) ? commands : commands[0]!;
      this.payload = asking ? Buffer.concat([ASKING, command]) : command;
      this.replyCount = asking ? 2 : 1;
    } else {
      // In a transaction Redis checks the slot when each command is queued, so each
      // needs its own ASKING while a slot is migrating.
      const parts: Buffer[] = [MULTI];
      for (const command of Buffer.isBuffer(commands) ? [commands] : commands) {
        if (asking) parts.push(ASKING);
        parts.push(command);
      }
      parts.push(EXEC);
      this.payload = Buffer.concat(parts);
      this.replyCount = parts.length;
    }
    this.resultIndex = this.replyCount - 1;
    this.redirectFrame = null;
  }

  onReply(frame: Buffer, isError: boolean, index: number): void {
    if (index < this.resultIndex) {
      // ASKING's +OK and MULTI's +OK/+QUEUED: only a redirection among them matters.
      if (isError && this.redirectFrame === null && (parseRedirect(frame) || this.fromDemotedMaster(frame))) this.redirectFrame = frame;
      return;
    }
    if (this.onLatency) this.onLatency.observe((callbackNow() - this.startedAt) / 1000);
    if (this.onReplica) {
      this.onReplica = false;
      // A replica still loading its data (restarted, or resyncing) cannot serve the read: its master can.
      if (isError && startsWithLoading(frame) && this.target.slot !== null) {
        const master = this.ctx.topology.current.masterForSlot(this.target.slot);
        if (master) return this.sendTo(master.address, false);
      }
    }
    const redirectSource = this.redirectFrame ?? (isError ? frame : null);
    if (redirectSource && this.followRedirect(redirectSource)) return;
    this.finish(frame, isError);
  }

  onFailure(failure: BackendFailure): void {
    if (this.answered) return;
    if (this.onReplica) {
      // A replica read (read-only commands only: replica-reads.ts) whose replica went away, before
      // or after the bytes left: running it again cannot change data, so the master answers it,
      // once, within command-timeout. Never for writes: those stay at most once (header).
      this.onReplica = false;
      const master = this.target.slot === null ? undefined : this.ctx.topology.current.masterForSlot(this.target.slot);
      if (master && Date.now() < this.deadline) return this.sendTo(master.address, false);
    }
    if (mayRetry(failure)) {
      this.retryLater(() => errors.backendUnreachable(failure.message).frame);
      return;
    }
    this.finish(errors.backendFailure(failure).frame, true);
  }

  /** The one way out: the command's answer (or final error) goes to its Completion, once. */
  private finish(frame: Buffer, isError: boolean): void {
    this.answered = true;
    this.done.complete(frame, isError);
  }

  /** Returns true when the command was re-sent. */
  private followRedirect(frame: Buffer): boolean {
    const redirect = parseRedirect(frame);
    if (!redirect) {
      if (!this.fromDemotedMaster(frame)) return false;
      // Not run there: hold this master's commands (this one first) until a refresh finds the new
      // one; when slotgate already follows the new master, just send it again.
      const { topology } = this.ctx;
      const held = topology.holdMaster(this.address, 'READONLY');
      topology.requestRefresh('READONLY');
      if (held && Date.now() < this.deadline && topology.hold.park(this.address, this)) return true;
      return this.retryLater(() => frame);
    }
    const { topology, metrics } = this.ctx;
    metrics.redirections.labels(redirect.kind).inc();
    switch (redirect.kind) {
      case 'moved':
      case 'ask': {
        if (++this.redirects > this.ctx.maxRedirects) {
          this.finish(errors.TOO_MANY_REDIRECTS.frame, true);
          return true;
        }
        // Redis sends ":port" when it does not know its own announced host: same host as the sender.
        const address = redirect.address.startsWith(':') ? `${this.address.slice(0, this.address.lastIndexOf(':'))}${redirect.address}` : redirect.address;
        if (redirect.kind === 'moved') {
          topology.applyMoved(redirect.slot, address);
          topology.requestRefresh('MOVED');
        }
        this.sendTo(address, redirect.kind === 'ask');
        return true;
      }
      case 'clusterdown':
        topology.requestRefresh('CLUSTERDOWN');
        return this.retryLater(() => frame);
      case 'tryagain':
        return this.retryLater(() => frame);
    }
  }

  /** A write refused by a standalone/Sentinel master that has become a replica (see the header). */
  private fromDemotedMaster(frame: Buffer): boolean {
    return hasWholeKeyspace(this.ctx.topology.kind) && isReadonlyRefusal(frame);
  }

  /**
   * Retries from scratch (fresh slot lookup) after a pause, or gives up with
   * `finalError()` once the deadline has passed. Returns true (the command is handled).
   */
  private retryLater(finalError: () => Buffer): boolean {
    const now = Date.now();
    if (now >= this.deadline) {
      this.finish(finalError(), true);
      return true;
    }
    this.attempt++;
    const pause = Math.min(this.deadline - now, 10 * 2 ** Math.min(this.attempt, 6));
    setTimeout(() => this.start(), pause);
    return true;
  }
}

const EMPTY = Buffer.alloc(0);
const LOADING = Buffer.from('-LOADING ');

function startsWithLoading(frame: Buffer): boolean {
  return frame.length > LOADING.length && frame.compare(LOADING, 0, LOADING.length, 0, LOADING.length) === 0;
}
