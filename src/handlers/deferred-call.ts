/**
 * A command slotgate answers itself (CONFIG SET, INFO, DBSIZE …) queued inside MULTI and run at
 * EXEC, as Redis runs it there: its handler runs against this call, which keeps the reply for
 * EXEC's array instead of sending it to the client. Everything else goes to the EXEC call's.
 */
import type { CommandSpec } from '../commands/command-table.js';
import type { ErrorReply } from '../errors/catalogue.js';
import type { CommandCall, CommandHandler, ConnectionState, ForwardOptions, GatherOptions } from './command-call.js';
import type { HandlerServices } from './handler-services.js';
import { slotTarget, type Target } from '../upstream/forwarder.js';
import type { PartTarget } from '../upstream/gather.js';
import type { PartReply } from '../upstream/reducers.js';
import * as errors from '../errors/catalogue.js';

/** What MULTI kept of the command: enough to run its handler later. */
export interface DeferredCommand {
  readonly spec: CommandSpec;
  readonly args: readonly Buffer[];
  readonly raw: Buffer;
  readonly run: CommandHandler;
}

/**
 * What a deferred call uses besides EXEC's call: the masters (a handler that forwards), and where
 * its failures are counted and logged, as the session does for a call of its own.
 */
export type DeferredServices = Pick<HandlerServices, 'topology' | 'metrics' | 'logLimiter' | 'logger'>;

export class DeferredCall implements CommandCall {
  readonly nodeTarget = null;
  readonly keySlot = -1; // its handler reads the key from args
  private answered = false;

  constructor(
    private readonly exec: CommandCall,
    private readonly command: DeferredCommand,
    private readonly done: (frame: Buffer) => void,
    private readonly deps: DeferredServices,
  ) {}

  get spec(): CommandSpec {
    return this.command.spec;
  }
  get args(): readonly Buffer[] {
    return this.command.args;
  }
  get raw(): Buffer {
    return this.command.raw;
  }
  get connection(): ConnectionState {
    return this.exec.connection;
  }

  /** Runs the handler; an exception in it answers this command alone, as the session would. */
  start(): void {
    this.guard(() => this.command.run(this))();
  }

  reply(frame: Buffer): void {
    if (this.answered) return;
    this.answered = true;
    this.done(frame);
  }

  fail(error: ErrorReply): void {
    this.deps.metrics.countProxyError(error.kind);
    this.reply(error.frame);
  }

  replyAndClose(frame: Buffer): void {
    this.reply(frame);
  }

  forwardToSlot(slot: number, options: ForwardOptions): void {
    this.forward(slotTarget(slot), options);
  }

  /** A handler that forwards one command: sent as a part, its reply kept (redirections are followed for a slot). */
  forward(target: Target, options: ForwardOptions): void {
    const topology = this.deps.topology.current;
    const masters = topology.masters();
    const node = target.slot === null ? (masters[Math.floor(Math.random() * masters.length)] ?? null) : (topology.masterForSlot(target.slot) ?? null);
    if (node === null && target.slot === null) return this.fail(errors.SLOT_NOT_SERVED);
    const command = options.commands?.[0] ?? this.raw;
    this.gather([{ node, command, slot: target.slot }], (replies) => this.reply(replies[0]!.frame));
  }

  gather(targets: readonly PartTarget[], done: (replies: PartReply[]) => void, options?: GatherOptions): void {
    this.exec.gather(targets, done, options);
  }

  afterEarlierReplies(run: () => void): void {
    run(); // EXEC runs once its turn has come: the earlier replies are the client's, already ordered
  }

  guard<A extends unknown[]>(callback: (...args: A) => void): (...args: A) => void {
    return (...args: A) => {
      try {
        callback(...args);
      } catch (err) {
        const deps = this.deps;
        deps.metrics.countInternalError(this.spec.name);
        deps.logLimiter.log('internal_error', 'error', { err, command: this.spec.name }, 'internal error while running a command; the command failed', deps.logger);
        this.fail(errors.INTERNAL_ERROR);
      }
    };
  }

  startStreaming(stop: () => void): void {
    stop(); // no feed from inside a transaction (MONITOR is refused there)
  }

  streamFrame(frame: Buffer): void {
    this.reply(frame);
  }
}

/** Runs `commands` one after the other (as EXEC would), then gives their replies in order. */
export function runDeferred(exec: CommandCall, commands: readonly DeferredCommand[], done: (replies: Buffer[]) => void, deps: DeferredServices): void {
  const replies: Buffer[] = [];
  const next = (): void => {
    if (replies.length === commands.length) return done(replies);
    new DeferredCall(
      exec,
      commands[replies.length]!,
      (frame) => {
        replies.push(frame);
        next();
      },
      deps,
    ).start();
  };
  next();
}
