/**
 * Turns `CLUSTER SHARDS` (Redis ≥ 7.0, seed 002) or `CLUSTER SLOTS` (the fallback for
 * 6.2) replies into shard descriptions. Backend replies are untrusted input: anything
 * malformed throws, and the refresher keeps the previous snapshot.
 */
import { RespError, type RespValue } from '../protocol/reply-parser.js';
import { SLOT_COUNT } from './hash-slot.js';
import type { NodeHealth, ShardInput } from './topology-snapshot.js';

type NodeInput = ShardInput['master'];

/**
 * `tlsPorts`: slotgate talks TLS to the nodes (backend-tls). A node with TLS announces its TLS
 * port as `tls-port` and its plain port (if any) as `port`; dialling the plain port with TLS, or
 * the TLS port without it, fails, so the field matching the transport is used.
 */
export function parseClusterShards(reply: RespValue, queriedHost: string, tlsPorts = false): ShardInput[] {
  if (reply instanceof RespError) throw new Error(reply.message);
  if (!Array.isArray(reply)) throw new Error('CLUSTER SHARDS: not an array');
  return reply.map((shardValue) => {
    const shard = toMap(shardValue);
    const slots = shard.get('slots');
    if (!Array.isArray(slots) || slots.length % 2 !== 0) throw new Error('CLUSTER SHARDS: bad slots');
    const ranges: [number, number][] = [];
    for (let i = 0; i < slots.length; i += 2) ranges.push([toSlot(slots[i]!), toSlot(slots[i + 1]!)]);
    const nodes = shard.get('nodes');
    if (!Array.isArray(nodes)) throw new Error('CLUSTER SHARDS: bad nodes');
    let master: NodeInput | undefined;
    const replicas: NodeInput[] = [];
    for (const nodeValue of nodes) {
      const node = toMap(nodeValue);
      const input: NodeInput = {
        id: toText(node.get('id')),
        host: pickHost(node.get('endpoint'), node.get('ip'), queriedHost),
        port: toPort(tlsPorts ? node.get('tls-port') ?? node.get('port') : node.get('port') ?? node.get('tls-port')),
        health: toHealth(node.get('health')),
      };
      if (toText(node.get('role')) !== 'master') replicas.push(input);
      // Redis 7.2 lists a failed-over master beside the promoted one in the same shard: the live one
      // is the master, the dead one is left out (it serves nothing and is no replica).
      else if (!master || (master.health === 'failed' && input.health !== 'failed')) master = input;
    }
    // A shard whose master is gone (no master listed) serves nothing until a replica is promoted.
    if (!master) return { master: { id: '', host: '', port: 0, health: 'failed' as const }, replicas, ranges: [] };
    return { master, replicas, ranges };
  });
}

/** The slots are all covered by the shards' ranges. */
export function coversEverySlot(shards: readonly ShardInput[]): boolean {
  const covered = new Uint8Array(SLOT_COUNT);
  for (const shard of shards) for (const [from, to] of shard.ranges) covered.fill(1, from, to + 1);
  return covered.every((c) => c === 1);
}

/**
 * Redis 7.2 answers CLUSTER SHARDS with an empty `slots` list for a shard whose master failed over
 * (redis/redis#13414: it reads the slots of the failed master listed first), so the promoted master
 * would seem to serve nothing. Such shards take their ranges from CLUSTER SLOTS (`bySlots`, parsed
 * from the same node), matched by master id.
 */
export function fillRangesFromSlots(shards: readonly ShardInput[], bySlots: readonly ShardInput[]): ShardInput[] {
  const rangesByMaster = new Map(bySlots.map((s) => [s.master.id, s.ranges]));
  return shards.map((shard) =>
    shard.ranges.length === 0 && shard.master.id !== '' ? { ...shard, ranges: rangesByMaster.get(shard.master.id) ?? [] } : shard,
  );
}

export function parseClusterSlots(reply: RespValue, queriedHost: string): ShardInput[] {
  if (reply instanceof RespError) throw new Error(reply.message);
  if (!Array.isArray(reply)) throw new Error('CLUSTER SLOTS: not an array');
  // CLUSTER SLOTS lists one entry per range; a shard owning several ranges appears several times.
  const byMasterId = new Map<string, ShardInput>();
  for (const entry of reply) {
    if (!Array.isArray(entry) || entry.length < 3) throw new Error('CLUSTER SLOTS: bad entry');
    const range: [number, number] = [toSlot(entry[0]!), toSlot(entry[1]!)];
    const [master, ...replicas] = entry.slice(2).map((n) => slotsNode(n, queriedHost));
    const key = master!.id || `${master!.host}:${master!.port}`;
    const existing = byMasterId.get(key);
    if (existing) existing.ranges.push(range);
    else byMasterId.set(key, { master: master!, replicas, ranges: [range] });
  }
  return [...byMasterId.values()];
}

function slotsNode(value: RespValue, queriedHost: string): NodeInput {
  if (!Array.isArray(value) || value.length < 2) throw new Error('CLUSTER SLOTS: bad node');
  return {
    host: pickHost(value[0], undefined, queriedHost),
    port: toPort(value[1]),
    id: value.length > 2 ? toText(value[2]) : '',
    health: 'online',
  };
}

function toMap(value: RespValue | undefined): Map<string, RespValue> {
  if (!Array.isArray(value) || value.length % 2 !== 0) throw new Error('expected a key/value array');
  const map = new Map<string, RespValue>();
  for (let i = 0; i < value.length; i += 2) map.set(toText(value[i]), value[i + 1]!);
  return map;
}

function toText(value: RespValue | undefined): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'number') return String(value);
  return '';
}

function toSlot(value: RespValue): number {
  const n = typeof value === 'number' ? value : Number(toText(value));
  if (!Number.isInteger(n) || n < 0 || n >= SLOT_COUNT) throw new Error(`bad slot number ${toText(value)}`);
  return n;
}

function toPort(value: RespValue | undefined): number {
  const n = typeof value === 'number' ? value : Number(toText(value));
  if (!Number.isInteger(n) || n <= 0 || n > 65535) throw new Error(`bad port ${toText(value)}`);
  return n;
}

function toHealth(value: RespValue | undefined): NodeHealth {
  const text = toText(value);
  // The CLUSTER SHARDS docs say "failed", but Redis 7.0 replies "fail": take both.
  if (text === 'fail' || text === 'failed') return 'failed';
  return text === 'loading' ? 'loading' : 'online';
}

/** Redis reports '' or '?' when a node does not know its own address: use the one we dialled. */
function pickHost(endpoint: RespValue | undefined, ip: RespValue | undefined, queriedHost: string): string {
  for (const candidate of [toText(endpoint), toText(ip)]) {
    if (candidate && candidate !== '?') return candidate;
  }
  return queriedHost;
}
