/**
 * The cluster a client sees through slotgate (SPEC §5): ONE node — slotgate itself, at its
 * announce address, with its own node ID — owning every slot. Cluster-aware clients (ioredis
 * Cluster, JedisCluster, redis-py, go-redis) then send everything to slotgate, which does the
 * real routing; no backend address or node ID is revealed. Pure reply builders; the shapes are
 * Redis 7.0's.
 */
import { SLOT_COUNT } from '../cluster/hash-slot.js';
import { encodeBulk, encodeValue } from '../protocol/encoder.js';
import type { RespValue } from '../protocol/reply-parser.js';
import type { ProxyIdentity } from './identity.js';

const LAST_SLOT = SLOT_COUNT - 1;

/** CLUSTER SLOTS: `[[0, 16383, [host, port, id, []]]]` (the last element: no extra networking metadata). */
export function clusterSlotsReply(self: ProxyIdentity): Buffer {
  return encodeValue([[0, LAST_SLOT, [Buffer.from(self.host), self.port, Buffer.from(self.nodeId), []]]]);
}

/** CLUSTER SHARDS: one shard, slots 0-16383, one online master. */
export function clusterShardsReply(self: ProxyIdentity): Buffer {
  const bulk = (s: string) => Buffer.from(s);
  const node: RespValue[] = [
    bulk('id'), bulk(self.nodeId),
    bulk('port'), self.port,
    bulk('ip'), bulk(self.host),
    bulk('endpoint'), bulk(self.host),
    bulk('role'), bulk('master'),
    bulk('replication-offset'), 0,
    bulk('health'), bulk('online'),
  ];
  return encodeValue([[bulk('slots'), [0, LAST_SLOT], bulk('nodes'), [node]]]);
}

/**
 * CLUSTER NODES: `<id> <ip:port@cport> myself,master - 0 0 0 connected 0-16383`. The bus port
 * is 0: slotgate has no cluster bus, and nothing may connect to one on its behalf.
 */
export function clusterNodesReply(self: ProxyIdentity): Buffer {
  return encodeBulk(`${self.nodeId} ${self.host}:${self.port}@0 myself,master - 0 0 0 connected 0-${LAST_SLOT}\n`);
}

/**
 * CLUSTER INFO from the proxy's point of view: the state and slot health of the backend (what
 * clients need to know: can my commands be served?), but one node and one shard.
 * `backendInfo` is a backend master's own CLUSTER INFO text.
 */
export function clusterInfoReply(backendInfo: string): Buffer {
  const backend = new Map<string, string>();
  for (const line of backendInfo.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) backend.set(line.slice(0, colon), line.slice(colon + 1));
  }
  const field = (name: string, fallback: string) => backend.get(name) ?? fallback;
  const lines = [
    `cluster_state:${field('cluster_state', 'fail')}`,
    `cluster_slots_assigned:${SLOT_COUNT}`,
    `cluster_slots_ok:${field('cluster_slots_ok', '0')}`,
    `cluster_slots_pfail:${field('cluster_slots_pfail', '0')}`,
    `cluster_slots_fail:${field('cluster_slots_fail', '0')}`,
    'cluster_known_nodes:1',
    'cluster_size:1',
    `cluster_current_epoch:${field('cluster_current_epoch', '0')}`,
    `cluster_my_epoch:${field('cluster_current_epoch', '0')}`,
    'cluster_stats_messages_sent:0',
    'cluster_stats_messages_received:0',
    'total_cluster_links_buffer_limit_exceeded:0',
  ];
  return encodeBulk(`${lines.join('\r\n')}\r\n`);
}
