/**
 * SCAN through the proxy (README: *Cross-slot commands, node targeting and the cluster view*): walks the masters one after the other, shard 0 first, with
 * the combined cursor of scan-cursor.ts. Each call is one SCAN on one master, with the client's
 * MATCH/COUNT/TYPE unchanged, so Redis's guarantee holds per node and so for the whole scan:
 * every key present from start to end is returned (keys may come twice, as with Redis).
 * A MATCH pattern that pins one slot (`{user1}*`) scans only that slot's master, and then the
 * cursor is simply that node's.
 */
import { patternSlot } from '../cluster/pattern-slot.js';
import { asciiEqualsIgnoreCase } from '../commands/argument-bytes.js';
import * as errors from '../errors/catalogue.js';
import { encodeArrayOfFrames, encodeBulk, encodeCommand } from '../protocol/encoder.js';
import { failureOf } from '../upstream/reducers.js';
import { arrayElementFrames, bulkOf } from '../upstream/resp-elements.js';
import { decodeCursor, nextCursor, parseCursor } from '../upstream/scan-cursor.js';
import type { CommandCall, CommandHandler } from './command-call.js';
import { answer } from './fanout.js';
import { forwardOptions } from './forward-options.js';
import type { HandlerServices } from './handler-services.js';

/** What SCAN uses besides its call: the shards to walk. */
export type ScanServices = Pick<HandlerServices, 'topology'>;

/** The MATCH pattern of `SCAN cursor [option value]…` (the last one wins, as in Redis), if any. */
function matchPattern(args: readonly Buffer[]): Buffer | undefined {
  let pattern: Buffer | undefined;
  for (let i = 2; i + 1 < args.length; i += 2) if (asciiEqualsIgnoreCase(args[i]!, 'match')) pattern = args[i + 1];
  return pattern;
}

export function scanCommand(deps: ScanServices): CommandHandler {
  return (call) => runScan(call, deps);
}

function runScan(call: CommandCall, deps: ScanServices): void {
  const args = call.args;
  const pattern = matchPattern(args);
  const pinned = pattern === undefined ? null : patternSlot(pattern);
  if (pinned !== null) return call.forward({ slot: pinned }, forwardOptions('read', false));
  const cursor = parseCursor(args[1]!.toString('latin1'));
  if (cursor === null) return call.fail(errors.INVALID_CURSOR);
  const { shard, nodeCursor } = decodeCursor(cursor);
  const shards = deps.topology.current.shards;
  // A shard index past the end: a forged cursor, or shards were removed mid-scan.
  if (shard >= shards.length) return call.fail(errors.INVALID_CURSOR);
  const master = shards[shard]!.master;
  const frame = encodeCommand([args[0]!, nodeCursor.toString(), ...args.slice(2)]);
  call.gather(
    [{ node: master, command: frame, slot: null }],
    (replies) => {
      const failure = failureOf({ command: 'SCAN', replies });
      if (failure) return answer(call, replies, failure);
      const [cursorFrame, keysFrame] = arrayElementFrames(replies[0]!.frame) ?? [];
      const next = nextCursor(shard, shards.length, BigInt(bulkOf(cursorFrame!)!.toString('latin1')));
      if (next === null) return call.fail(errors.NODE_CURSOR_TOO_LARGE);
      call.reply(encodeArrayOfFrames([encodeBulk(next.toString()), keysFrame!]));
    },
    { latency: 'read' },
  );
}
