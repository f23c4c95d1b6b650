/**
 * SLOWLOG without a node suffix, for the whole cluster (`SLOWLOG GET 10 @0` still reads one node,
 * handlers/node-target.ts):
 *  - GET [count]: every master's slow log, merged newest first, the count newest overall
 *    (upstream/slowlog-merge.ts; the entries' ids are their node's own);
 *  - LEN: the sum over masters;
 *  - RESET: every master's, and this slotgate's own slow-command log (GET /v1/slowlog).
 * The request goes to each master as the client wrote it, so each node checks the count itself.
 */
import * as errors from '../errors/catalogue.js';
import { mergeSlowlogReplies, slowlogCount } from '../upstream/slowlog-merge.js';
import type { CommandCall, CommandHandler } from './command-call.js';
import { answer, commandLabel, runOnEveryNode } from './fanout.js';
import type { HandlerServices } from './handler-services.js';

/** What SLOWLOG uses besides its call: the masters, and slotgate's own slow-command log (RESET). */
export type SlowlogServices = Pick<HandlerServices, 'topology' | 'metrics'>;

export function slowlogCommands(deps: SlowlogServices): { get: CommandHandler; len: CommandHandler; reset: CommandHandler } {
  return {
    get: (call) => runSlowlogGet(call, deps),
    len: (call) => runOnEveryNode(call, { targets: 'masters', reduce: 'sum' }, deps),
    reset: (call) => {
      deps.metrics.slowCommands.reset();
      runOnEveryNode(call, { targets: 'masters', reduce: 'same-reply' }, deps);
    },
  };
}

function runSlowlogGet(call: CommandCall, deps: SlowlogServices): void {
  const masters = deps.topology.current.masters();
  if (masters.length === 0) return call.fail(errors.SLOT_NOT_SERVED);
  const count = slowlogCount(call.args);
  call.gather(
    masters.map((node) => ({ node, command: call.raw, slot: null })),
    (replies) => answer(call, replies, mergeSlowlogReplies(commandLabel(call.spec), replies, count)),
    { latency: 'other' },
  );
}
