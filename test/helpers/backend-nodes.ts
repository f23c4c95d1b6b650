// The backend cluster as the cluster itself describes it (CLUSTER SHARDS asked of a seed), with
// direct connections to each node: the oracle for fan-out and node-targeted commands.
import { Redis } from 'ioredis';
import { parseSeed } from './cluster-fixture.js';

export interface BackendNodeInfo {
  id: string;
  address: string;
  role: 'master' | 'replica';
  /** A direct connection (closed by BackendNodes.close()). */
  client: Redis;
}

export interface BackendShardInfo {
  /** Position in slot order, the `@N` of node suffixes. */
  index: number;
  firstSlot: number;
  master: BackendNodeInfo;
  replicas: BackendNodeInfo[];
}

export interface BackendNodes {
  shards: BackendShardInfo[];
  masters: BackendNodeInfo[];
  all: BackendNodeInfo[];
  /** The master that owns `key`'s slot, asked with CLUSTER KEYSLOT. */
  masterOf(key: string): Promise<BackendNodeInfo>;
  close(): void;
}

type Flat = (string | number | Flat)[];

function fields(list: Flat): Map<string, string | number | Flat> {
  const map = new Map<string, string | number | Flat>();
  for (let i = 0; i + 1 < list.length; i += 2) map.set(String(list[i]), list[i + 1]!);
  return map;
}

export async function backendNodes(seeds: string[]): Promise<BackendNodes> {
  const seed = new Redis({ ...parseSeed(seeds[0]!), maxRetriesPerRequest: 1 });
  const reply = (await seed.call('CLUSTER', 'SHARDS')) as Flat[];
  seed.disconnect();
  const clients: Redis[] = [];
  const node = (n: Map<string, string | number | Flat>): BackendNodeInfo => {
    const address = `${String(n.get('ip'))}:${String(n.get('port'))}`;
    const client = new Redis({ ...parseSeed(address), maxRetriesPerRequest: 1 });
    clients.push(client);
    return { id: String(n.get('id')), address, role: n.get('role') === 'master' ? 'master' : 'replica', client };
  };
  const shards = reply
    .map((shard) => fields(shard))
    .filter((shard) => (shard.get('slots') as Flat).length > 0)
    .map((shard) => {
      const nodes = (shard.get('nodes') as Flat[]).map((n) => fields(n)).filter((n) => n.get('health') !== 'fail');
      const slots = (shard.get('slots') as number[]).map(Number);
      return { firstSlot: Math.min(...slots), master: node(nodes.find((n) => n.get('role') === 'master')!), replicas: nodes.filter((n) => n.get('role') !== 'master').map(node) };
    })
    .sort((a, b) => a.firstSlot - b.firstSlot)
    .map((shard, index) => ({ index, ...shard }));
  const masters = shards.map((s) => s.master);
  return {
    shards,
    masters,
    all: shards.flatMap((s) => [s.master, ...s.replicas]),
    async masterOf(key) {
      const client = masters[0]!.client;
      const slot = Number(await client.call('CLUSTER', 'KEYSLOT', key));
      const ranges = (await client.call('CLUSTER', 'SLOTS')) as [number, number, [string, number, string]][];
      const owner = ranges.find(([start, end]) => slot >= start && slot <= end)?.[2][2];
      const master = masters.find((m) => m.id === owner);
      if (!master) throw new Error(`no master owns slot ${slot}`);
      return master;
    },
    close() {
      for (const c of clients) c.disconnect();
    },
  };
}

