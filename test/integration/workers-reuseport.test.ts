// --workers on a Node with reusePort (22.12+, 24 in the Docker image): every worker binds the client
// port itself and the kernel spreads connections; the primary accepts none. Runs the built program
// under Node 24 (test/helpers/node24.ts), as the image does.
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { sharedClusterSeeds } from '../helpers/cluster-fixture.js';
import { node24Binary } from '../helpers/node24.js';
import { startSlotgateProcess, type RunningSlotgate } from '../helpers/slotgate-cli.js';

describe('worker processes on Node 24', () => {
  let slotgate: RunningSlotgate | undefined;
  afterAll(() => slotgate?.kill());

  it('bind the port with SO_REUSEPORT, share the connections the kernel hands them, and all stop on SIGTERM', async () => {
    slotgate = await startSlotgateProcess(['--cluster', sharedClusterSeeds().join(','), '--workers', '2'], {}, 'all workers listening', node24Binary());
    const ready = slotgate.events().find((e) => e.msg === 'all workers listening');
    expect(ready?.balancing).toBe('kernel (SO_REUSEPORT)');
    // Each worker is an instance of its own (CLIENT INFO's proxy=): 40 connections reach both.
    const instances = new Set<string>();
    const clients: Redis[] = [];
    try {
      for (let i = 0; i < 40; i++) {
        const c = new Redis({ host: '127.0.0.1', port: slotgate.port, lazyConnect: true, maxRetriesPerRequest: 0, enableReadyCheck: false });
        clients.push(c);
        await c.connect();
        instances.add(/proxy=(\S+)/.exec(String(await c.client('INFO')))![1]!);
        expect(await c.set(`reuseport:${i}`, String(i))).toBe('OK');
      }
    } finally {
      for (const c of clients) c.disconnect();
    }
    expect(instances.size).toBe(2);
    slotgate.child.kill('SIGTERM');
    expect(await slotgate.exited).toBe(0);
  });
});
