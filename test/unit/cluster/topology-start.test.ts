import { describe, expect, it } from 'vitest';
import pino from 'pino';
import type { NodePool } from '../../../src/backend/node-pool.js';
import { TopologyManager } from '../../../src/cluster/topology-manager.js';
import type { TopologySource } from '../../../src/cluster/topology-source.js';

describe('TopologyManager start', () => {
  it('an unreachable seed fails the start with its reason, and logs no "keeping the previous view" (there is none)', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
    const source = {
      kind: 'cluster',
      retainedAddresses: ['127.0.0.1:1'],
      describe: () => 'cluster topology from seeds 127.0.0.1:1',
      discover: () => Promise.reject(new Error('127.0.0.1:1: connect failed (ECONNREFUSED)')),
    } as unknown as TopologySource;
    const manager = new TopologyManager({} as NodePool, source, { refreshIntervalMs: 60_000, minRefreshGapMs: 100, logger });
    await expect(manager.start()).rejects.toThrow('no usable cluster topology from seeds 127.0.0.1:1 (127.0.0.1:1: connect failed (ECONNREFUSED))');
    manager.stop();
    expect(lines.filter((line) => line.includes('previous view'))).toEqual([]);
  });
});
