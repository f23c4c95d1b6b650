// WAIT after a write that took slotgate's direct path (a plain SET to its slot's master) waits for
// that master's replica to have the write, as the master's own WAIT would: the write's master is
// noted when the command is sent (session/call.ts, sentDirect). Without the note, WAIT answered
// for a connection that wrote nothing, which counts every replica at once, caught up or not.
// The replica is made unable to acknowledge by stopping its process (SIGSTOP) for the first WAIT.
import { describe, expect, it } from 'vitest';
import { useDedicatedCluster } from '../helpers/cluster-fixture.js';
import { useProxyFixture } from '../helpers/proxy-fixture.js';
import { stringKeyHashSlot } from '../../src/cluster/hash-slot.js';

describe('WAIT after a write on the direct path', () => {
  const cluster = useDedicatedCluster();
  const fx = useProxyFixture(() => cluster().seeds);

  it("waits for the written master's replica: none while it is stopped, one once it runs again", async () => {
    const { proxy } = fx;
    const client = proxy.client({ maxRetriesPerRequest: 0 });
    const key = `wait-written:${Date.now().toString(36)}`;
    const shard = proxy.handle.context.topology.current.shardForSlot(stringKeyHashSlot(key))!;
    const replica = cluster().nodes.find((node) => shard.replicas.some((r) => r.port === node.port))!;
    expect(replica).toBeDefined();
    process.kill(replica.pid, 'SIGSTOP');
    try {
      expect(await client.set(key, 'v')).toBe('OK'); // the master acknowledges; its replica cannot have it
      expect(await client.call('WAIT', '1', '300')).toBe(0);
    } finally {
      process.kill(replica.pid, 'SIGCONT');
    }
    expect(await client.call('WAIT', '1', '10000')).toBe(1);
  });
});
