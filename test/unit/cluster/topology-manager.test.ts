// When the TopologyManager refreshes: on a backend that stops answering it backs off (100 ms
// doubling to 5 s) instead of asking every 100 ms, resets once an answer comes, and a replica
// whose connection broke is out of reads until a refresh begun after the break confirms it.
// Fake timers and a scripted TopologySource: what is checked is the schedule, not Redis.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import pino from 'pino';
import type { NodePool } from '../../../src/backend/node-pool.js';
import { TopologyManager } from '../../../src/cluster/topology-manager.js';
import type { ShardInput } from '../../../src/cluster/topology-snapshot.js';
import type { TopologySource } from '../../../src/cluster/topology-source.js';

const node = (port: number, health: 'online' | 'loading' = 'online') => ({ id: String(port).repeat(8).slice(0, 40), host: '127.0.0.1', port, health });
const SHARDS: ShardInput[] = [{ master: node(7000), replicas: [node(7001)], ranges: [[0, 16383]] }];

function setup() {
  const state = { failing: false, calls: 0, answer: SHARDS };
  const source: TopologySource = {
    kind: 'cluster',
    retainedAddresses: [],
    describe: () => 'test',
    discover: async () => {
      state.calls++;
      if (state.failing) throw new Error('connect ECONNREFUSED');
      return state.answer;
    },
  };
  const pool = { retainOnly: () => {}, retire: () => {}, recentlyFailed: () => state.failing } as unknown as NodePool;
  const logged: string[] = [];
  const manager = new TopologyManager(pool, source, {
    refreshIntervalMs: 5000,
    minRefreshGapMs: 100,
    logger: pino({ level: 'silent' }),
    logFailure: (fields) => logged.push(String(fields.nextAttemptMs)),
  });
  return { state, manager, logged };
}

describe('TopologyManager', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('backs off while refreshes fail (100 ms doubling to 5 s) and resets on the first success', async () => {
    const { state, manager, logged } = setup();
    await manager.start();
    state.failing = true;
    state.calls = 0;
    manager.requestRefresh('backend connection failure');
    // A backend connection failure every 10 ms for a minute, as client traffic causes in an outage.
    for (let t = 0; t < 60_000; t += 10) {
      manager.requestRefresh('backend connection failure');
      await vi.advanceTimersByTimeAsync(10);
    }
    // 100+200+…+3200 ms, then one every 5 s: 18 attempts, not the 600 of a fixed 100 ms gap.
    expect(state.calls).toBeLessThanOrEqual(20);
    expect(logged.slice(0, 8)).toEqual(['100', '200', '400', '800', '1600', '3200', '5000', '5000']);
    expect(manager.health()).toMatchObject({ refreshFailing: true });
    state.failing = false;
    await vi.advanceTimersByTimeAsync(5000);
    expect(manager.health()).toEqual({ refreshFailing: false, failuresInARow: 0 });
    expect(manager.gapMs()).toBe(100);
    manager.stop();
  });

  it('keeps a replica whose connection broke out of reads until a refresh begun after the break says it is in sync', async () => {
    const { state, manager } = setup();
    await manager.start();
    expect(manager.current.nodeByAddress('127.0.0.1:7001')!.health).toBe('online');
    // A refresh begun before the break answers after it: its "online" is no evidence.
    state.answer = SHARDS;
    const before = manager.refreshNow();
    manager.connectionBroken('127.0.0.1:7001');
    expect(manager.current.nodeByAddress('127.0.0.1:7001')!.health).toBe('loading');
    await before;
    expect(manager.current.nodeByAddress('127.0.0.1:7001')!.health).toBe('loading');
    // The next refresh (the one the break asked for) confirms it.
    await vi.advanceTimersByTimeAsync(200);
    expect(manager.current.nodeByAddress('127.0.0.1:7001')!.health).toBe('online');
    manager.stop();
  });

  it('holds a master only while it is the master, and lets go once a refresh names another', async () => {
    const { state, manager } = setup();
    await manager.start();
    expect(manager.holdMaster('127.0.0.1:7001', 'READONLY')).toBe(false); // a replica: nothing to hold
    expect(manager.holdMaster('127.0.0.1:7000', 'sentinel +selected-slave')).toBe(true);
    await manager.refreshNow(); // still the old master: keep holding
    expect(manager.hold.isHeld('127.0.0.1:7000')).toBe(true);
    state.answer = [{ master: node(7001), replicas: [node(7000)], ranges: [[0, 16383]] }];
    await manager.refreshNow();
    expect(manager.hold.isHeld('127.0.0.1:7000')).toBe(false);
    manager.stop();
  });
});
