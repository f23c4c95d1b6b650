/**
 * MULTI … EXEC through the proxy.
 *
 * Commands are queued in the proxy (each gets +QUEUED after the same checks Redis makes:
 * known command, arity, and — cluster rule — one hash slot for the whole transaction).
 * EXEC sends MULTI, the queued commands and EXEC to the slot's master in ONE write on
 * one connection: Redis executes a connection's commands in order, so nothing from
 * other clients can land inside the batch, and the transaction stays atomic even on a
 * shared connection. With WATCH, the batch goes over the session's own connection that
 * holds the WATCH.
 */
import type { CommandSpec } from '../commands/command-table.js';
import * as errors from '../errors/catalogue.js';
import { EMPTY_ARRAY, QUEUED } from '../protocol/constants.js';
import type { Request } from '../protocol/request-decoder.js';
import { routeCommand } from '../routing/router.js';
import { isLocalCommand } from './local-commands.js';
import type { ReplySlot } from './reply-queue.js';
import type { Session } from './session.js';

const CONTROL = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);
/** Local commands Redis would also run inside a transaction; the backend can run them just as well. */
const FORWARDABLE_LOCAL = new Set(['ping', 'echo']);

export class Transaction {
  private readonly commands: Buffer[] = [];
  private slot: number | null = null;
  private aborted = false;
  private hasWrite = false;

  static isControlCommand(name: string): boolean {
    return CONTROL.has(name);
  }

  abort(): void {
    this.aborted = true;
  }

  queue(session: Session, replySlot: ReplySlot, spec: CommandSpec, req: Request): void {
    const plan = routeCommand(spec, req.args);
    const name = (spec.parent ?? spec).name;
    if (plan.kind === 'error') {
      this.aborted = true;
      session.failRequest(replySlot, plan.error, spec.name);
      return;
    }
    // A split command would not be atomic: inside MULTI it stays CROSSSLOT, as in Redis Cluster.
    if (plan.kind === 'fanout' && plan.targets === 'slots') {
      this.aborted = true;
      session.failRequest(replySlot, errors.CROSSSLOT, spec.name);
      return;
    }
    // Fan-outs over every master, node-targeted and proxy-answered commands cannot be part of
    // one node's MULTI/EXEC batch (FLUSHALL would empty one master, CLUSTER SLOTS would leak it).
    const batchable = plan.kind === 'slot' || plan.kind === 'any-master';
    if (!batchable || (isLocalCommand(name) && !FORWARDABLE_LOCAL.has(name))) {
      this.aborted = true;
      session.failRequest(replySlot, errors.notAllowedInTransaction(name), spec.name);
      return;
    }
    if (plan.kind === 'slot') {
      if (this.slot !== null && this.slot !== plan.slot) {
        this.aborted = true;
        session.failRequest(replySlot, errors.CROSSSLOT, spec.name);
        return;
      }
      this.slot = plan.slot;
    }
    if (spec.isWrite) this.hasWrite = true;
    this.commands.push(req.raw);
    session.reply(replySlot, QUEUED, spec.name);
  }

  /** EXEC: runs the batch and answers `replySlot` with EXEC's reply. */
  exec(session: Session, replySlot: ReplySlot, spec: CommandSpec): void {
    const watch = session.watch;
    session.watch = null; // EXEC ends the WATCH, whatever happens
    if (this.aborted) {
      watch?.conn.close();
      session.failRequest(replySlot, errors.EXECABORT, spec.name);
      return;
    }
    if (this.commands.length === 0 && !watch) {
      session.reply(replySlot, EMPTY_ARRAY, spec.name);
      return;
    }
    const slot = this.slot ?? watch?.slot ?? null;
    if (watch && slot !== watch.slot) {
      watch.conn.close();
      session.failRequest(replySlot, errors.CROSSSLOT, spec.name);
      return;
    }
    if (watch) {
      // Run on the WATCH connection; close it afterwards (its WATCH is spent).
      session.forwardOn(watch.conn, replySlot, spec, this.commands, true, slot, true);
      return;
    }
    session.forward(replySlot, spec, this.commands, true, { slot }, false, this.hasWrite ? 'write' : 'read');
  }
}
