/**
 * `GET /v1/slowlog[?limit=n]`: the cluster's slow log and slotgate's own, as JSON.
 *  - `nodes`: every master's SLOWLOG GET n, merged newest first, the n newest overall (as the
 *    SLOWLOG GET command gives them, upstream/slowlog-merge.ts), each entry with its node's id,
 *    address and shard; a master that did not answer is listed under `failed`, never left out
 *    silently.
 *  - `proxy`: slotgate's own slow-command log (observability/slow-command-log.ts): commands whose
 *    time as the client saw it reached `slowlog-log-slower-than`, newest first.
 * Arguments are shown as UTF-8 text; Redis has already cut long ones and redacted secrets, and
 * slotgate's own log does the same.
 */
import type { NodePool } from '../backend/node-pool.js';
import type { TopologyManager } from '../cluster/topology-manager.js';
import type { BackendNode } from '../cluster/topology-snapshot.js';
import type { SlowCommandLog } from '../observability/slow-command-log.js';
import { RespError, type RespValue } from '../protocol/reply-parser.js';
import { mergeNewestFirst } from '../upstream/slowlog-merge.js';
import { invalid, limitParam, type StatsAnswer } from './stats-endpoints.js';

export interface SlowlogApiDeps {
  readonly pool: NodePool;
  readonly topology: TopologyManager;
  readonly slowCommands: SlowCommandLog;
}

interface NodeEntry {
  readonly id: number;
  readonly time: number;
  readonly duration_us: number;
  readonly command: string[];
  readonly client_address: string;
  readonly client_name: string;
}

const nodeJson = (node: BackendNode) => ({ id: node.id, address: node.address, shard: node.shardIndex });

const text = (v: RespValue): string => (Buffer.isBuffer(v) ? v.toString('utf8') : typeof v === 'string' ? v : String(v));

/** One entry of a node's SLOWLOG GET reply, or null when it is not one. */
function entryOf(value: RespValue): NodeEntry | null {
  if (!Array.isArray(value) || value.length < 4) return null;
  const [id, time, duration, args, address, name] = value;
  if (typeof id !== 'number' || typeof time !== 'number' || typeof duration !== 'number' || !Array.isArray(args)) return null;
  return {
    id,
    time,
    duration_us: duration,
    command: args.map(text),
    client_address: address === undefined ? '' : text(address),
    client_name: name === undefined ? '' : text(name),
  };
}

async function nodeSlowlog(pool: NodePool, node: BackendNode, limit: number): Promise<NodeEntry[]> {
  const reply = await pool.execute(node.address, ['SLOWLOG', 'GET', String(limit)]);
  if (reply instanceof RespError) throw new Error(reply.message);
  const entries = Array.isArray(reply) ? reply.map(entryOf) : null;
  if (entries === null || entries.some((e) => e === null)) throw new Error('unexpected reply to SLOWLOG GET');
  return entries as NodeEntry[];
}

export async function answerSlowlog(url: URL, deps: SlowlogApiDeps): Promise<StatsAnswer> {
  const limit = limitParam(url);
  if (typeof limit === 'string') return invalid(limit);
  const masters = deps.topology.current.masters();
  const settled = await Promise.allSettled(masters.map((node) => nodeSlowlog(deps.pool, node, limit)));
  const lists = settled.map((s) => (s.status === 'fulfilled' ? s.value : []));
  const failed = settled.flatMap((s, i) => (s.status === 'rejected' ? [{ node: nodeJson(masters[i]!), error: (s.reason as Error).message }] : []));
  const entries = mergeNewestFirst(lists, (e) => e.time, limit).map(({ item, list }) => ({ ...item, node: nodeJson(masters[list]!) }));
  const log = deps.slowCommands;
  return {
    status: 200,
    body: {
      nodes: { entries, failed },
      proxy: {
        slower_than_us: log.slowerThanMicros,
        max_len: log.capacity,
        length: log.length,
        entries: log.newestFirst().slice(0, limit).map((e) => ({
          id: e.id,
          time: e.time,
          duration_us: e.durationMicros,
          command: e.args,
          client_address: e.clientAddress,
          client_name: e.clientName,
          node: e.node,
        })),
      },
    },
  };
}
