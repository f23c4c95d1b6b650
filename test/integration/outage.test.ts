// A backend outage (issue #19): with every node down, slotgate keeps trying to read the topology,
// but backs off (100 ms doubling to 5 s) and logs a few lines a minute, not one per attempt and per
// failed connection; /healthz says what is down. When the nodes come back, it serves again.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../scripts/dev/local-cluster.js';
import { useDedicatedCluster } from '../helpers/cluster-fixture.js';
import { startProxy, type StartedProxy } from '../helpers/slotgate.js';
import { waitUntil } from '../helpers/wait-until.js';

interface Health {
  status: string;
  down?: { shard: number; role: string; id: string }[];
  topology_refresh?: { failing: boolean; failures_in_a_row: number; failing_for_ms: number };
}

describe('every backend node down', () => {
  const cluster = useDedicatedCluster({ masters: 3, replicasPerMaster: 0 });
  const logLines: Record<string, unknown>[] = [];
  const capture = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) logLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  let proxy: StartedProxy;

  let adminPort = 0;

  beforeAll(async () => {
    adminPort = await findFreePort();
    proxy = await startProxy(cluster().seeds, ['--log-level', 'info', '--command-timeout', '300', '--admin-port', String(adminPort)], { logDestination: capture });
  });
  afterAll(async () => {
    await proxy?.close();
  });

  const health = async (): Promise<{ code: number; body: Health }> => {
    const res = await fetch(`http://127.0.0.1:${adminPort}/healthz`);
    return { code: res.status, body: (await res.json()) as Health };
  };

  it('backs off its refreshes, logs under 20 lines for them, and /healthz names the nodes that are down', async () => {
    const client = proxy.client({ maxRetriesPerRequest: 0 });
    await client.set('outage:k', 'v');
    expect((await health()).code).toBe(200);
    const linesBefore = logLines.length;

    for (const port of await cluster().masterPorts()) await cluster().killNode(port);
    // Clients keep sending (each fails): every failed connection asks for a refresh.
    let sending = true;
    const sender = (async () => {
      while (sending) await client.get('outage:k').catch(() => null);
    })();
    // Eight failed refreshes in a row: about 11 s of outage, of which a fixed 100 ms gap made ~110.
    await waitUntil(async () => ((await health()).body.topology_refresh?.failures_in_a_row ?? 0) >= 8, 30_000, 'eight refresh failures in a row');
    const { code, body } = await health();
    sending = false;
    await sender;

    const outageLines = logLines.slice(linesBefore);
    expect(outageLines.length).toBeLessThan(20);
    expect(code).toBe(503);
    expect(body.status).toBe('degraded');
    expect(body.topology_refresh?.failing_for_ms).toBeGreaterThan(0);
    // Every master, by shard and id; no address (the endpoint needs no token).
    const masters = proxy.handle.context.topology.current.masters();
    expect(body.down?.slice().sort((a, b) => a.shard - b.shard)).toEqual(masters.map((m) => ({ shard: m.shardIndex, role: 'master', id: m.id })));
    expect(JSON.stringify(body)).not.toContain('127.0.0.1');
  });
});
