/**
 * SCAN through the proxy (SPEC §3): walks the masters one after the other, shard 0 first, with
 * the combined cursor of scan-cursor.ts. Each call is one SCAN on one master, with the client's
 * MATCH/COUNT/TYPE unchanged, so Redis's guarantee holds per node and so for the whole scan:
 * every key present from start to end is returned (keys may come twice, as with Redis).
 * A MATCH pattern that pins one slot (`{user1}*`) scans only that slot's master, and then the
 * cursor is simply that node's.
 */
import { patternSlot } from '../cluster/pattern-slot.js';
import type { CommandSpec } from '../commands/command-table.js';
import { asciiEqualsIgnoreCase } from '../commands/argument-bytes.js';
import * as errors from '../errors/catalogue.js';
import { encodeArrayOfFrames, encodeBulk, encodeCommand } from '../protocol/encoder.js';
import type { Request } from '../protocol/request-decoder.js';
import type { ReplySlot } from '../session/reply-queue.js';
import type { Session } from '../session/session.js';
import { gather } from './executor.js';
import { arrayElementFrames, bulkOf } from './resp-elements.js';
import { failureOf } from './reducers.js';
import { answer } from './run-fanout.js';
import { decodeCursor, nextCursor, parseCursor } from './scan-cursor.js';

/** The MATCH pattern of `SCAN cursor [option value]…` (the last one wins, as in Redis), if any. */
function matchPattern(args: readonly Buffer[]): Buffer | undefined {
  let pattern: Buffer | undefined;
  for (let i = 2; i + 1 < args.length; i += 2) if (asciiEqualsIgnoreCase(args[i]!, 'match')) pattern = args[i + 1];
  return pattern;
}

export function runScan(session: Session, slot: ReplySlot, spec: CommandSpec, req: Request): void {
  const args = req.args;
  const pattern = matchPattern(args);
  const pinned = pattern === undefined ? null : patternSlot(pattern);
  if (pinned !== null) {
    session.forward(slot, spec, [req.raw], false, { slot: pinned }, false, 'read');
    return;
  }
  const cursor = parseCursor(args[1]!.toString('latin1'));
  if (cursor === null) return session.failRequest(slot, errors.INVALID_CURSOR, spec.name);
  const { shard, nodeCursor } = decodeCursor(cursor);
  const shards = session.ctx.topology.current.shards;
  // A shard index past the end: a forged cursor, or shards were removed mid-scan.
  if (shard >= shards.length) return session.failRequest(slot, errors.INVALID_CURSOR, spec.name);
  const master = shards[shard]!.master;
  const frame = encodeCommand([args[0]!, nodeCursor.toString(), ...args.slice(2)]);
  const latency = session.ctx.metrics.latencyByClass.read;
  gather(session.sharedForward, [{ node: master, command: frame, slot: null }], (s) => latency.observe(s), session.guard(slot, spec.name, (replies) => {
    const failure = failureOf({ command: 'SCAN', replies });
    if (failure) return answer(session, slot, spec, replies, failure);
    const [cursorFrame, keysFrame] = arrayElementFrames(replies[0]!.frame) ?? [];
    const next = nextCursor(shard, shards.length, BigInt(bulkOf(cursorFrame!)!.toString('latin1')));
    if (next === null) return session.failRequest(slot, errors.NODE_CURSOR_TOO_LARGE, spec.name);
    session.reply(slot, encodeArrayOfFrames([encodeBulk(next.toString()), keysFrame!]), spec.name);
  }));
}
