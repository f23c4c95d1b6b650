/**
 * WAIT numreplicas timeout, through a proxy: "have my writes reached `numreplicas` replicas?"
 * asked of the masters this client wrote to since its last WAIT (the session notes them as writes
 * are sent, ConnectionState.noteWrittenMaster).
 *
 * Redis's own WAIT cannot be forwarded: it waits for the replication offset of the connection it
 * runs on, and this client's writes travelled shared backend connections — a WAIT on one of them
 * would block every other client's commands on it for up to `timeout` (forever for 0). So
 * slotgate does what WAIT does, from outside:
 *  1. asks each written master `INFO replication` on the same shared connection that carried this
 *     client's writes to it, so it is answered after them: its `master_repl_offset` is at or past
 *     every one of those writes — the offset to wait for;
 *  2. counts the replicas (`slaveN:…,state=online,offset=…`) whose acknowledged offset reached it,
 *     and asks again every POLL_MS until every master has `numreplicas` or the timeout passes
 *     (having had the masters ask their replicas to acknowledge, askReplicasToAcknowledge).
 * The reply is the MINIMUM over those masters: every write the client made is on at least that
 * many replicas, which is what a client checks WAIT's number for. With no write since the last
 * WAIT there is nothing to wait for on any particular master: every master is asked, offset 0.
 */
import { parseRedisInteger } from '../commands/argument-bytes.js';
import * as errors from '../errors/catalogue.js';
import { encodeCommand, encodeInteger } from '../protocol/encoder.js';
import { bulkOf } from '../upstream/resp-elements.js';
import type { BackendNode } from '../cluster/topology-snapshot.js';
import type { CommandCall, CommandHandler } from './command-call.js';
import type { HandlerServices } from './handler-services.js';

/** What WAIT uses besides its call: the masters to ask. */
export type WaitServices = Pick<HandlerServices, 'topology'>;

const INFO_REPLICATION = encodeCommand(['INFO', 'replication']);
const POLL_MS = 100;
const ASK_FOR_ACKS = encodeCommand(['WAIT', String(2 ** 31 - 1), '1']);

interface ReplicationState {
  readonly isMaster: boolean;
  readonly offset: number;
  /** Acknowledged offsets of the online replicas. */
  readonly replicaOffsets: readonly number[];
}

/** The fields WAIT needs from an `INFO replication` text. */
export function parseReplication(text: string): ReplicationState {
  let isMaster = false;
  let offset = 0;
  const replicaOffsets: number[] = [];
  for (const line of text.split('\r\n')) {
    if (line === 'role:master') isMaster = true;
    else if (line.startsWith('master_repl_offset:')) offset = Number(line.slice('master_repl_offset:'.length));
    else if (/^slave\d+:/.test(line)) {
      const fields = new Map(line.slice(line.indexOf(':') + 1).split(',').map((kv) => kv.split('=') as [string, string]));
      if (fields.get('state') === 'online') replicaOffsets.push(Number(fields.get('offset') ?? -1));
    }
  }
  return { isMaster, offset, replicaOffsets };
}

/** How many replicas acknowledged `target`. */
export function acknowledged(state: ReplicationState, target: number): number {
  return state.isMaster ? state.replicaOffsets.filter((offset) => offset >= target).length : 0;
}

/**
 * Replicas acknowledge their offset about once a second on their own; a master asks them at once
 * (REPLCONF GETACK) when a WAIT of its own cannot be satisfied yet. A WAIT no master can satisfy,
 * for 1 ms, on a connection opened for it alone (nothing else waits behind it; closed after),
 * makes each master ask, so the count WAIT polls for moves as fast as a real WAIT's would.
 */
function askReplicasToAcknowledge(call: CommandCall, masters: readonly BackendNode[]): void {
  if (masters.length === 0) return;
  call.gather(masters.map((node) => ({ node, command: ASK_FOR_ACKS, slot: null })), () => {}, { outOfBand: true });
}

export function waitCommand(deps: WaitServices): CommandHandler {
  return (call) => runWait(call, deps);
}

function runWait(call: CommandCall, deps: WaitServices): void {
  // waitCommand's order: numreplicas (a negative one is satisfied at once), then the timeout.
  const numreplicas = parseRedisInteger(call.args[1]!);
  if (numreplicas === null) return call.fail(errors.NOT_AN_INTEGER);
  const timeout = parseRedisInteger(call.args[2]!);
  if (timeout === null) return call.fail(errors.WAIT_TIMEOUT_NOT_INTEGER);
  if (timeout < 0) return call.fail(errors.TIMEOUT_NEGATIVE);

  const topology = deps.topology.current;
  const written = call.connection.takeWrittenMasters();
  const nothingWritten = written.length === 0;
  const masters: (BackendNode | undefined)[] = nothingWritten ? topology.masters() : written.map((address) => topology.nodeByAddress(address));
  // A written master no longer in the topology (failed over, removed): nothing confirms those writes.
  const known = masters.filter((node): node is BackendNode => node !== undefined);
  if (known.length === 0 || known.length < masters.length) return call.reply(encodeInteger(0));

  const deadline = timeout === 0 ? Infinity : Date.now() + timeout;
  let targets: number[] | null = null;
  let askedForAcks = false;
  const ask = (): void => {
    call.gather(
      known.map((node) => ({ node, command: INFO_REPLICATION, slot: null })),
      (replies) => {
        const states = replies.map((reply) => (reply.isError ? null : parseReplication(bulkOf(reply.frame)?.toString('latin1') ?? '')));
        targets ??= states.map((state) => (nothingWritten || state === null ? 0 : state.offset));
        const counts = states.map((state, i) => (state === null ? 0 : acknowledged(state, targets![i]!)));
        const least = Math.min(...counts);
        if (least >= numreplicas || Date.now() >= deadline || call.connection.isClosed) return call.reply(encodeInteger(least));
        if (!askedForAcks) {
          askedForAcks = true;
          askReplicasToAcknowledge(call, known.filter((_, i) => counts[i]! < numreplicas));
        }
        setTimeout(call.guard(ask), Math.min(POLL_MS, deadline - Date.now())).unref();
      },
    );
  };
  ask();
}
