/**
 * Sends the parts of a fanned-out command and gathers one reply per part (README: *Cross-slot commands, node targeting and the cluster view*).
 *
 * Technique: the parts bound for one node travel as ONE backend request — their frames
 * concatenated, one write, replies read back in order — on the session's own shared connection
 * to that node (so a pipelined `SET a 1` then `MGET a b` still reads its write). A 100-key MGET
 * over three masters is three writes, not a hundred round trips.
 *
 * Invariants:
 *  - every part is answered exactly once, by a reply or by an error frame, and `done` is called
 *    once, when the last part is answered;
 *  - a key part (one slot) that meets MOVED/ASK/TRYAGAIN/CLUSTERDOWN, or never reached its node,
 *    is re-sent alone as a ForwardedCommand, which follows the cluster like any single-slot
 *    command; a part written to a connection that then failed is NOT re-sent (it may have run);
 *  - a part for a named node (every master, every node) is never redirected: its reply, error or
 *    not, is that node's answer;
 *  - with `replicaRead` (a read of an account whose reads go to replicas, README: *Accounts, read/write splitting, disabled commands, reload*), key parts go
 *    to a replica of their slot when the session's forwarding context offers one.
 */
import type { NodeConnection } from '../backend/node-connection.js';
import { mayRetry, type BackendFailure, type BackendRequest } from '../backend/backend-request.js';
import { parseRedirect } from '../cluster/redirect.js';
import type { BackendNode } from '../cluster/topology-snapshot.js';
import * as errors from '../errors/catalogue.js';
import { encodeCommand, encodeCommands } from '../protocol/encoder.js';
import { ForwardedCommand, type ForwardContext, type LatencySink } from './forwarder.js';
import type { PartReply } from './reducers.js';

export interface PartTarget {
  /**
   * The node to send to: a named node, or the master of a key part's slot; null when no node
   * serves that slot right now (the part then waits for one, like a single-slot command).
   */
  readonly node: BackendNode | null;
  /** An encoded command, or the arguments of one (encoded with the node's other parts into one buffer). */
  readonly command: Buffer | readonly Buffer[];
  /** The slot of a key part, or null for a part addressed to a node. */
  readonly slot: number | null;
}

/** `@1 master 3c1f…`: how error messages name a node (never by its address). */
export function nodeLabel(node: BackendNode): string {
  return `@${node.shardIndex} ${node.role}${node.id ? ` ${node.id}` : ''}`;
}

/** Names a part in error messages; only built when one is needed (a 100-key MGET has 100 parts). */
function partLabel(target: PartTarget): string {
  if (target.slot === null) return target.node ? nodeLabel(target.node) : 'a node';
  return target.node ? `slot ${target.slot} of @${target.node.shardIndex}` : `slot ${target.slot}`;
}

function addTo<K>(groups: Map<K, number[]>, key: K, index: number): void {
  const indexes = groups.get(key);
  if (indexes) indexes.push(index);
  else groups.set(key, [index]);
}

class GatheredReply implements PartReply {
  constructor(
    readonly frame: Buffer,
    readonly isError: boolean,
    private readonly target: PartTarget,
  ) {}

  get label(): string {
    return partLabel(this.target);
  }
}

function frameOf(command: Buffer | readonly Buffer[]): Buffer {
  return Buffer.isBuffer(command) ? command : encodeCommand(command);
}

export type GatherDone = (replies: PartReply[]) => void;

export function gather(
  ctx: ForwardContext,
  targets: readonly PartTarget[],
  onLatency: LatencySink | null,
  done: GatherDone,
  replicaRead = false,
): void {
  new Gathering(ctx, targets, onLatency, done).start(replicaRead);
}

class Gathering {
  private readonly replies: (PartReply | undefined)[];
  private pending: number;
  /** One latency observation per fan-out, first send to last reply (a histogram observe is not free). */
  private readonly startedAt = performance.now();

  constructor(
    private readonly ctx: ForwardContext,
    private readonly targets: readonly PartTarget[],
    private readonly onLatency: LatencySink | null,
    private readonly done: GatherDone,
  ) {
    this.replies = new Array<PartReply | undefined>(targets.length);
    this.pending = targets.length;
  }

  start(replicaRead: boolean): void {
    if (this.pending === 0) return this.done([]);
    // Grouped by node first: one connection lookup per node, not per part.
    const byNode = new Map<BackendNode, number[]>();
    const byReplica = new Map<NodeConnection, number[]>();
    for (let i = 0; i < this.targets.length; i++) {
      const { node, slot } = this.targets[i]!;
      if (node === null) {
        this.resend(i);
        continue;
      }
      const replica = replicaRead && slot !== null ? this.ctx.replicaReadConnection?.(slot) : null;
      if (replica) addTo(byReplica, replica, i);
      // A key part for a master being failed over waits (parked) for the new one; a part addressed
      // to that node by name goes to it as asked.
      else if (slot !== null && this.ctx.topology.hold.isHeld(node.address)) this.resend(i);
      else addTo(byNode, node, i);
    }
    const replicaConnections = new Set(byReplica.keys());
    const byConnection = byReplica;
    for (const [node, indexes] of byNode) {
      const conn = this.ctx.connectionFor(node.address);
      const sharing = byConnection.get(conn); // a replica read connection to the same node, or none
      if (sharing) sharing.push(...indexes);
      else byConnection.set(conn, indexes);
    }
    for (const [conn, indexes] of byConnection) conn.send(new PartBatch(this, indexes, replicaConnections.has(conn)));
  }

  target(index: number): PartTarget {
    return this.targets[index]!;
  }

  settle(index: number, frame: Buffer, isError: boolean): void {
    if (this.replies[index]) return;
    this.replies[index] = new GatheredReply(frame, isError, this.targets[index]!);
    if (--this.pending > 0) return;
    this.onLatency?.observe((performance.now() - this.startedAt) / 1000);
    this.done(this.replies as PartReply[]);
  }

  /** Sends one key part on its own, following redirections and waiting out failovers. */
  resend(index: number): void {
    const target = this.targets[index]!;
    if (target.slot === null) {
      this.settle(index, errors.SLOT_NOT_SERVED.frame, true);
      return;
    }
    const frame = frameOf(target.command);
    new ForwardedCommand(this.ctx, [frame], false, { slot: target.slot }, null, { complete: (reply, isError) => this.settle(index, reply, isError) }).start();
  }
}

/** The parts of one fan-out bound for one node, as one backend request. */
class PartBatch implements BackendRequest {
  readonly payload: Buffer;
  readonly payloadStart = 0;
  readonly payloadEnd: number;
  readonly replyCount: number;
  private answered = 0;

  constructor(
    private readonly gathering: Gathering,
    private readonly indexes: readonly number[],
    /** Sent to a replica (reads only): parts left unanswered when it fails go to their masters. */
    private readonly onReplica: boolean,
  ) {
    const commands = indexes.map((i) => gathering.target(i).command);
    if (commands.every((c) => !Buffer.isBuffer(c))) this.payload = encodeCommands(commands as readonly (readonly Buffer[])[]);
    else this.payload = commands.length === 1 ? frameOf(commands[0]!) : Buffer.concat(commands.map(frameOf));
    this.payloadEnd = this.payload.length;
    this.replyCount = indexes.length;
  }

  onReply(frame: Buffer, isError: boolean, index: number): void {
    this.answered = index + 1;
    const part = this.indexes[index]!;
    if (isError && this.gathering.target(part).slot !== null && parseRedirect(frame)) this.gathering.resend(part);
    else this.gathering.settle(part, frame, isError);
  }

  onFailure(failure: BackendFailure): void {
    for (let k = this.answered; k < this.indexes.length; k++) {
      const part = this.indexes[k]!;
      if ((this.onReplica || mayRetry(failure)) && this.gathering.target(part).slot !== null) this.gathering.resend(part);
      else this.gathering.settle(part, errors.backendFailure(failure).frame, true);
    }
  }
}
