/**
 * MULTI … EXEC and WATCH through the proxy.
 *
 * Commands are queued in the proxy (each gets +QUEUED after the same checks Redis makes:
 * known command, arity, and — cluster rule — one hash slot for the whole transaction).
 * EXEC sends MULTI, the queued commands and EXEC to the slot's master in ONE write on
 * one connection: Redis executes a connection's commands in order, so nothing from
 * other clients can land inside the batch, and the transaction stays atomic even on a
 * shared connection. With WATCH, the batch goes over the client's own connection that
 * holds the WATCH.
 *
 * Commands slotgate answers itself (CONFIG SET/GET, INFO, DBSIZE …; registry `defer`) are
 * queued too, as Redis queues them, and run at EXEC once the node's batch has committed; their
 * replies take their places in EXEC's array, errors included. They are not atomic with the
 * batch (they reach other nodes, or none), which no cluster could make them.
 */
import * as errors from '../errors/catalogue.js';
import { EMPTY_ARRAY, OK, QUEUED } from '../protocol/constants.js';
import { hasWholeKeyspace } from '../cluster/topology-source.js';
import { routeCommand } from '../routing/router.js';
import { arrayElementFrames } from '../upstream/resp-elements.js';
import { encodeArrayOfFrames } from '../protocol/encoder.js';
import type { CommandCall, CommandHandler, OpenTransaction } from './command-call.js';
import { runDeferred, type DeferredCommand, type DeferredServices } from './deferred-call.js';

const EXEC_OTHER = { access: 'other' } as const;

/** What MULTI (queueing, then EXEC's deferred commands: deferred-call.ts) and WATCH use besides their call: the backend's kind and masters. */
export type TransactionServices = DeferredServices;

export interface TransactionCommands {
  readonly multi: CommandHandler;
  readonly watch: CommandHandler;
}

/** MULTI (its transaction keeps the services for queueing and EXEC) and WATCH; EXEC, DISCARD and UNWATCH need nothing more than their call. */
export function transactionCommands(deps: TransactionServices): TransactionCommands {
  return {
    multi: (call) => multi(call, deps),
    watch: (call) => watch(call, deps),
  };
}

export class Transaction implements OpenTransaction {
  private readonly commands: Buffer[] = [];
  /** Commands slotgate runs itself, with their places in EXEC's reply. */
  private readonly deferred: { readonly at: number; readonly command: DeferredCommand }[] = [];
  private slot: number | null = null;
  private aborted = false;
  private hasWrite = false;

  constructor(private readonly deps: TransactionServices) {}

  /** A command refused while queueing fails the EXEC, as in Redis. */
  abort(): void {
    this.aborted = true;
  }

  /** Commands queued so far (CLIENT LIST `multi=`). */
  get queued(): number {
    return this.commands.length + this.deferred.length;
  }

  /** Queues a command slotgate answers itself: run at EXEC by `run`. */
  defer(call: CommandCall, run: CommandHandler): void {
    this.deferred.push({ at: this.queued, command: { spec: call.spec, args: call.args, raw: call.raw, run } });
    call.reply(QUEUED);
  }

  /** Queues a command that may run inside the batch (its registry entry says `queue`). */
  queue(call: CommandCall): void {
    // A non-cluster backend has no slots: any keys may share a transaction (routed as one slot).
    const plan = routeCommand(call.spec, call.args, hasWholeKeyspace(this.deps.topology.kind));
    if (plan.kind === 'error') {
      this.aborted = true;
      return call.fail(plan.error);
    }
    // A split command would not be atomic: inside MULTI it stays CROSSSLOT, as in Redis Cluster.
    if (plan.kind === 'split') {
      this.aborted = true;
      return call.fail(errors.CROSSSLOT);
    }
    if (plan.kind === 'slot') {
      if (this.slot !== null && this.slot !== plan.slot) {
        this.aborted = true;
        return call.fail(errors.CROSSSLOT);
      }
      this.slot = plan.slot;
    }
    if (call.spec.isWrite) this.hasWrite = true;
    this.commands.push(call.raw);
    call.reply(QUEUED);
  }

  /** EXEC: runs the batch and answers `call` with EXEC's reply. */
  exec(call: CommandCall): void {
    const connection = call.connection;
    const watch = connection.watch;
    connection.watch = null; // EXEC ends the WATCH, whatever happens
    if (this.aborted) {
      watch?.conn.close();
      return call.fail(errors.EXECABORT);
    }
    if (this.queued === 0 && !watch) return call.reply(EMPTY_ARRAY);
    if (this.deferred.length > 0 && this.commands.length === 0 && !watch) return this.finish(call, []);
    const slot = this.slot ?? watch?.slot ?? null;
    if (watch && slot !== watch.slot) {
      watch.conn.close();
      return call.fail(errors.CROSSSLOT);
    }
    const target = slot === null ? { slot: null } : { slot };
    // With deferred commands, EXEC's reply comes back here to take their replies in.
    const onReply = this.deferred.length === 0 ? undefined : (frame: Buffer, isError: boolean) => this.afterBatch(call, frame, isError);
    if (watch) {
      // Run on the WATCH connection; close it afterwards (its WATCH is spent).
      return call.forward(target, { access: 'other', commands: this.commands, transaction: true, connection: watch.conn, closeConnectionAfter: true, onReply });
    }
    call.forward(target, { access: this.hasWrite ? 'write' : 'read', commands: this.commands, transaction: true, onReply });
  }

  /** The node's EXEC reply: committed (an array), the deferred commands run; else (WATCH, EXECABORT) it is the answer. */
  private afterBatch(call: CommandCall, frame: Buffer, isError: boolean): void {
    const replies = isError || frame[0] !== 0x2a ? null : arrayElementFrames(frame); // `*-1`/`_`: a WATCH failed
    if (replies === null) return call.reply(frame, isError ? 'error' : 'ok');
    this.finish(call, replies);
  }

  /** Runs the deferred commands and answers EXEC with every reply in queueing order. */
  private finish(call: CommandCall, batchReplies: readonly Buffer[]): void {
    runDeferred(call, this.deferred.map((d) => d.command), (deferredReplies) => {
      const all = [...batchReplies];
      this.deferred.forEach((d, i) => all.splice(d.at, 0, deferredReplies[i]!));
      call.reply(encodeArrayOfFrames(all));
    }, this.deps);
  }
}

function multi(call: CommandCall, deps: TransactionServices): void {
  if (call.connection.transaction) return call.fail(errors.MULTI_NESTED);
  call.connection.transaction = new Transaction(deps);
  call.reply(OK);
}

export function exec(call: CommandCall): void {
  const transaction = call.connection.transaction;
  if (!transaction) return call.fail(errors.EXEC_WITHOUT_MULTI);
  call.connection.transaction = null;
  transaction.exec(call);
}

export function discard(call: CommandCall): void {
  if (!call.connection.transaction) return call.fail(errors.DISCARD_WITHOUT_MULTI);
  call.connection.transaction = null;
  call.connection.dropWatch();
  call.reply(OK);
}

function watch(call: CommandCall, deps: TransactionServices): void {
  const connection = call.connection;
  if (connection.transaction) return call.fail(errors.WATCH_INSIDE_MULTI);
  const plan = routeCommand(call.spec, call.args, hasWholeKeyspace(deps.topology.kind));
  if (plan.kind === 'error') return call.fail(plan.error);
  if (plan.kind === 'split') return call.fail(errors.CROSSSLOT);
  if (plan.kind !== 'slot') return call.fail(errors.SYNTAX);
  if (connection.watch && connection.watch.slot !== plan.slot) return call.fail(errors.CROSSSLOT);
  if (!connection.watch) {
    const master = deps.topology.current.masterForSlot(plan.slot);
    if (!master) return call.fail(errors.SLOT_NOT_SERVED);
    // WATCH state lives on a connection: this client gets one of its own until EXEC/DISCARD/UNWATCH.
    connection.watch = { slot: plan.slot, conn: connection.dedicatedConnection(master.address) };
  }
  call.forward({ slot: plan.slot }, { ...EXEC_OTHER, connection: connection.watch.conn });
}

export function unwatch(call: CommandCall): void {
  call.connection.dropWatch();
  call.reply(OK);
}
