// Which cluster replicas serve reads: only those with evidence of being in sync — their master's
// INFO replication lists them `state=online` (its offset gives their lag), or, when the master does
// not answer, their own INFO says the link is up and no sync is running. Gossip's `loading` or
// `online` (CLUSTER SHARDS) never counts: a replica restarted without its data looks `online` there.
import { describe, expect, it } from 'vitest';
import type { NodePool } from '../../../src/backend/node-pool.js';
import { withReplicaSync } from '../../../src/cluster/replica-health.js';
import type { ShardInput } from '../../../src/cluster/topology-snapshot.js';
import { RespError } from '../../../src/protocol/reply-parser.js';

type Health = 'online' | 'loading' | 'failed';
const node = (port: number, health: Health) => ({ id: String(port).repeat(8).slice(0, 40), host: '127.0.0.1', port, health });
const shard = (...replicas: ReturnType<typeof node>[]): ShardInput[] => [{ master: node(7000, 'online'), replicas, ranges: [[0, 16383]] }];

/** A pool whose nodes answer INFO replication from `infos` (an error for an address not there). */
function pool(infos: Record<number, string>): NodePool {
  return {
    execute: async (address: string) => {
      const text = infos[Number(address.split(':')[1])];
      return text === undefined ? new RespError('ERR connection refused') : Buffer.from(text);
    },
  } as unknown as NodePool;
}

const masterInfo = (...lines: string[]) => ['# Replication', 'role:master', ...lines, 'master_repl_offset:5000', ''].join('\r\n');
const replicaInfo = (link: string, syncing: number) =>
  ['role:slave', 'master_host:127.0.0.1', 'master_port:7000', `master_link_status:${link}`, `master_sync_in_progress:${syncing}`, ''].join('\r\n');

describe('withReplicaSync', () => {
  it('serves reads from replicas the master lists online, with their lag; not from one it lists syncing or not at all', async () => {
    const infos = { 7000: masterInfo('slave0:ip=127.0.0.1,port=7001,state=online,offset=4000,lag=0', 'slave1:ip=127.0.0.1,port=7002,state=wait_bgsave,offset=0,lag=0') };
    const [result] = await withReplicaSync(pool(infos), shard(node(7001, 'loading'), node(7002, 'online'), node(7003, 'online')));
    expect(result!.replicas.map((r) => [r.port, r.health, r.lagBytes])).toEqual([
      [7001, 'online', 1000],
      [7002, 'loading', undefined],
      [7003, 'loading', undefined],
    ]);
  });

  it('keeps gossip failed as failed', async () => {
    const infos = { 7000: masterInfo('slave0:ip=127.0.0.1,port=7001,state=online,offset=5000,lag=0') };
    const [result] = await withReplicaSync(pool(infos), shard(node(7001, 'failed')));
    expect(result!.replicas[0]!.health).toBe('failed');
  });

  it('asks the replicas themselves when the master does not answer', async () => {
    const infos = { 7001: replicaInfo('up', 0), 7002: replicaInfo('up', 1), 7003: replicaInfo('down', 0) };
    const [result] = await withReplicaSync(pool(infos), shard(node(7001, 'online'), node(7002, 'online'), node(7003, 'online'), node(7004, 'online')));
    expect(result!.replicas.map((r) => r.health)).toEqual(['online', 'loading', 'loading', 'loading']);
  });

  it('matches a replica by port alone when the master sees another address for it (NAT, announce-ip)', async () => {
    const infos = { 7000: masterInfo('slave0:ip=10.9.9.9,port=7001,state=online,offset=5000,lag=0') };
    const [result] = await withReplicaSync(pool(infos), shard(node(7001, 'loading')));
    expect(result!.replicas[0]).toMatchObject({ health: 'online', lagBytes: 0 });
  });
});
