/**
 * The cluster a client sees through slotgate (README: *Cross-slot commands, node targeting and the cluster view*): ONE node — slotgate itself, at its
 * announce address, with its own node ID — owning every slot. Cluster-aware clients (ioredis
 * Cluster, JedisCluster, redis-py, go-redis) then send everything to slotgate, which does the
 * real routing; no backend address or node ID is revealed. Pure reply builders; the shapes are
 * Redis 7.0's.
 */
import { SLOT_COUNT } from '../cluster/hash-slot.js';
import { encodeArrayOfFrames, encodeBulk, encodeInteger } from '../protocol/encoder.js';
import { mapReply, textReply, type RespVersion } from '../protocol/resp3-encoder.js';
import type { ProxyIdentity } from './identity.js';

const LAST_SLOT = SLOT_COUNT - 1;

/**
 * CLUSTER SLOTS: `[[0, 16383, [host, port, id, {}]]]` (the last element: no extra networking
 * metadata; an empty array in RESP2, an empty map in RESP3, as Redis sends it).
 */
export function clusterSlotsReply(self: ProxyIdentity, protocol: RespVersion = 2): Buffer {
  const node = encodeArrayOfFrames([encodeBulk(self.host), encodeInteger(self.port), encodeBulk(self.nodeId), mapReply(protocol, [])]);
  return encodeArrayOfFrames([encodeArrayOfFrames([encodeInteger(0), encodeInteger(LAST_SLOT), node])]);
}

/** CLUSTER SHARDS: one shard, slots 0-16383, one online master (shard and node are maps in RESP3). */
export function clusterShardsReply(self: ProxyIdentity, protocol: RespVersion = 2): Buffer {
  const node = mapReply(protocol, [
    encodeBulk('id'), encodeBulk(self.nodeId),
    encodeBulk('port'), encodeInteger(self.port),
    encodeBulk('ip'), encodeBulk(self.host),
    encodeBulk('endpoint'), encodeBulk(self.host),
    encodeBulk('role'), encodeBulk('master'),
    encodeBulk('replication-offset'), encodeInteger(0),
    encodeBulk('health'), encodeBulk('online'),
  ]);
  const slots = encodeArrayOfFrames([encodeInteger(0), encodeInteger(LAST_SLOT)]);
  return encodeArrayOfFrames([mapReply(protocol, [encodeBulk('slots'), slots, encodeBulk('nodes'), encodeArrayOfFrames([node])])]);
}

/**
 * CLUSTER NODES: `<id> <ip:port@cport> myself,master - 0 0 0 connected 0-16383`. The bus port
 * is 0: slotgate has no cluster bus, and nothing may connect to one on its behalf.
 */
export function clusterNodesReply(self: ProxyIdentity, protocol: RespVersion = 2): Buffer {
  return textReply(protocol, `${self.nodeId} ${self.host}:${self.port}@0 myself,master - 0 0 0 connected 0-${LAST_SLOT}\n`);
}

/**
 * CLUSTER INFO from the proxy's point of view: the state and slot health of the backend (what
 * clients need to know: can my commands be served?), but one node and one shard.
 * `backendInfo` is a backend master's own CLUSTER INFO text.
 */
export function clusterInfoReply(backendInfo: string, protocol: RespVersion = 2): Buffer {
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
  return textReply(protocol, `${lines.join('\r\n')}\r\n`);
}
