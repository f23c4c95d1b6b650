/**
 * Sends the parts of a fanned-out command and gathers one reply per part (SPEC §3).
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
 *  - with `replicaRead` (a read of an account whose reads go to replicas, SPEC §6), key parts go
 *    to a replica of their slot when the session's forwarding context offers one.
 */
import type { BackendFailure, BackendRequest, NodeConnection } from '../backend/node-connection.js';
import { parseRedirect } from '../backend/redirect.js';
import * as errors from '../errors/catalogue.js';
import { ForwardedCommand, type ForwardContext } from '../session/forwarder.js';
import type { PartReply } from './reducers.js';

export interface PartTarget {
  /** The node to send to; null when no node serves the part's slot right now (it then waits, like a single-slot command). */
  readonly address: string | null;
  /** The encoded command. */
  readonly frame: Buffer;
  /** The slot of a key part, or null for a part addressed to a node. */
  readonly slot: number | null;
  /** Names the part in error messages. */
  readonly label: string;
}

export type GatherDone = (replies: PartReply[]) => void;

export function gather(
  ctx: ForwardContext,
  targets: readonly PartTarget[],
  onLatency: ((seconds: number) => void) | null,
  done: GatherDone,
  replicaRead = false,
): void {
  new Gathering(ctx, targets, onLatency, done).start(replicaRead);
}

class Gathering {
  private readonly replies: (PartReply | undefined)[];
  private pending: number;

  constructor(
    private readonly ctx: ForwardContext,
    private readonly targets: readonly PartTarget[],
    private readonly onLatency: ((seconds: number) => void) | null,
    private readonly done: GatherDone,
  ) {
    this.replies = new Array<PartReply | undefined>(targets.length);
    this.pending = targets.length;
  }

  start(replicaRead: boolean): void {
    if (this.pending === 0) return this.done([]);
    const byConnection = new Map<NodeConnection, number[]>();
    for (let i = 0; i < this.targets.length; i++) {
      const { address, slot } = this.targets[i]!;
      if (address === null) {
        this.resend(i);
        continue;
      }
      const replica = replicaRead && slot !== null ? this.ctx.replicaReadConnection?.(slot) : null;
      const conn = replica ?? this.ctx.connectionFor(address);
      const indexes = byConnection.get(conn);
      if (indexes) indexes.push(i);
      else byConnection.set(conn, [i]);
    }
    for (const [conn, indexes] of byConnection) conn.send(new PartBatch(this, indexes));
  }

  target(index: number): PartTarget {
    return this.targets[index]!;
  }

  latency(seconds: number): void {
    this.onLatency?.(seconds);
  }

  settle(index: number, frame: Buffer, isError: boolean): void {
    if (this.replies[index]) return;
    this.replies[index] = { frame, isError, label: this.targets[index]!.label };
    if (--this.pending === 0) this.done(this.replies as PartReply[]);
  }

  /** Sends one key part on its own, following redirections and waiting out failovers. */
  resend(index: number): void {
    const target = this.targets[index]!;
    if (target.slot === null) {
      this.settle(index, errors.SLOT_NOT_SERVED.frame, true);
      return;
    }
    new ForwardedCommand(this.ctx, [target.frame], false, { slot: target.slot }, null, (frame, isError) => this.settle(index, frame, isError)).start();
  }
}

/** The parts of one fan-out bound for one node, as one backend request. */
class PartBatch implements BackendRequest {
  readonly payload: Buffer;
  readonly replyCount: number;
  private answered = 0;
  private readonly sentAt = performance.now();

  constructor(
    private readonly gathering: Gathering,
    private readonly indexes: readonly number[],
  ) {
    const frames = indexes.map((i) => gathering.target(i).frame);
    this.payload = frames.length === 1 ? frames[0]! : Buffer.concat(frames);
    this.replyCount = indexes.length;
  }

  onReply(frame: Buffer, isError: boolean, index: number): void {
    this.answered = index + 1;
    if (this.answered === this.replyCount) this.gathering.latency((performance.now() - this.sentAt) / 1000);
    const part = this.indexes[index]!;
    if (isError && this.gathering.target(part).slot !== null && parseRedirect(frame)) this.gathering.resend(part);
    else this.gathering.settle(part, frame, isError);
  }

  onFailure(failure: BackendFailure): void {
    for (let k = this.answered; k < this.indexes.length; k++) {
      const part = this.indexes[k]!;
      if (failure.neverSent && this.gathering.target(part).slot !== null) this.gathering.resend(part);
      else this.gathering.settle(part, errors.backendFailure(failure.message).frame, true);
    }
  }
}
