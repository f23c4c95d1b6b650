// backend sentinel (issue #13): slotgate finds the master through three Sentinels, follows a
// failover under write load without a restart, and loses no write the old master had
// acknowledged to its replicas. As in failover.test.ts, the line is drawn with WAIT: Redis
// replicates asynchronously, so a write acknowledged after the last WAIT may be lost by Redis
// itself; every write acknowledged before it must survive.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startLocalReplication, type LocalReplication } from '../../scripts/dev/local-replication.js';
import { addressNodeId } from '../../src/cluster/node-identity.js';
import { startProxyFor, type StartedProxy } from '../helpers/slotgate.js';
import { findLostWrites, startWriteTraffic } from '../helpers/write-traffic.js';
import { waitUntil } from '../helpers/wait-until.js';

/** Condition waits are bounded only to end a broken run; they assert nothing about speed. */
const PATIENCE_MS = 60_000;

describe('backend sentinel: three Sentinels, a master and two replicas', () => {
  let group: LocalReplication;
  let proxy: StartedProxy;
  /** Subscribed before the failovers below, and checked after them. */
  let subscriber: Redis | undefined;
  /** Subscribed to keyspace events before the failovers, and checked after them. */
  let events: Redis | undefined;
  const eventsHeard: string[] = [];
  const channel = `sentinel-news:${Date.now().toString(36)}`;
  const heard: string[] = [];
  /** When slotgate began holding the commands for a master, by address (from its log). */
  const holdsBegun: { master: string; at: number }[] = [];
  const logCapture = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) {
        if (!line.includes('failover of a master begun')) continue;
        const entry = JSON.parse(line) as { master: string; time: string };
        holdsBegun.push({ master: entry.master, at: Date.parse(entry.time) });
      }
      done();
    },
  });

  beforeAll(async () => {
    // down-after 2 s: a master starved of CPU on a loaded machine (CI) for a second is not failed over.
    group = await startLocalReplication({ replicas: 2, sentinels: 3, downAfterMs: 2000 });
    // A long periodic refresh: seeing the new master is up to the +switch-master subscription
    // (and to the refresh a failing connection asks for), not to the timer.
    proxy = await startProxyFor(
      ['--backend', 'sentinel', '--sentinels', group.sentinels.join(','), '--sentinel-master-name', group.masterName],
      ['--command-timeout', '3000', '--topology-refresh-interval', '3600000', '--log-level', 'info'],
      { logDestination: logCapture },
    );
  });

  afterAll(async () => {
    subscriber?.disconnect();
    events?.disconnect();
    await proxy?.close();
    await group?.stop();
  });

  it('finds the master and its replicas through the Sentinels', async () => {
    const shard = proxy.handle.context.topology.current.shards[0]!;
    expect(proxy.handle.context.topology.current.shards).toHaveLength(1);
    expect(shard.master.port).toBe(group.initialMasterPort);
    expect(shard.master.id).toBe(addressNodeId('127.0.0.1', group.initialMasterPort));
    expect(shard.replicas.map((r) => r.port).sort()).toEqual([...group.replicaPorts].sort());
    expect(shard.replicas.every((r) => r.health === 'online')).toBe(true);
    const client = proxy.client();
    expect(await client.set('sentinel:hello', 'world')).toBe('OK');
    expect(await client.get('sentinel:hello')).toBe('world');
  });

  it('pub/sub: a subscriber through slotgate hears PUBLISH on the master, directly or through slotgate', async () => {
    subscriber = proxy.client();
    subscriber.on('message', (channel: string, message: string) => heard.push(`${channel} ${message}`));
    await subscriber.subscribe(channel);
    expect(await proxy.client().call('CONFIG', 'SET', 'notify-keyspace-events', 'E$')).toBe('OK');
    events = proxy.client();
    events.on('pmessage', (_pattern: string, name: string, message: string) => eventsHeard.push(`${name} ${message}`));
    events.on('message', (name: string, message: string) => eventsHeard.push(`${name} ${message}`));
    await events.psubscribe('__keyevent@*__:set');
    await events.subscribe(`${channel}:barrier`);
    const master = new Redis({ host: '127.0.0.1', port: group.initialMasterPort, maxRetriesPerRequest: 0 });
    try {
      await master.publish(channel, 'direct');
      await proxy.client().publish(channel, 'through slotgate');
      await waitUntil(() => heard.length === 2, PATIENCE_MS, 'both messages');
      expect(heard).toEqual([`${channel} direct`, `${channel} through slotgate`]);
    } finally {
      master.disconnect();
    }
  });

  it('fails over under write load: no write the replicas acknowledged is lost, writes resume without a restart', async () => {
    const client = proxy.client({ maxRetriesPerRequest: 0 });
    const probe = proxy.client({ maxRetriesPerRequest: 0 });
    const traffic = startWriteTraffic(client, 'sentinel-failover', 8);
    await waitUntil(() => traffic.operations > 500, PATIENCE_MS, 'traffic to start');

    const victim = group.initialMasterPort;
    // Everything acknowledged now was executed by the master before the marker SET below, so it
    // precedes the marker in the replication stream. WAIT 2 returns once both replicas have it, so
    // whichever replica the Sentinels promote holds every one of those writes.
    const acknowledgedBeforeWait = traffic.acknowledgedSoFar();
    const direct = new Redis({ host: '127.0.0.1', port: victim, maxRetriesPerRequest: 0, retryStrategy: () => null });
    direct.on('error', () => {}); // the node is killed below
    try {
      expect(await direct.set('sentinel-failover-marker', 'x')).toBe('OK');
      expect(await direct.call('WAIT', '2', String(PATIENCE_MS))).toBe(2);
    } finally {
      direct.disconnect();
    }

    await group.killNode(victim);
    await waitUntil(async () => (await group.masterPorts()).length === 1, PATIENCE_MS, 'the Sentinels to promote a replica');
    const [promoted] = await group.masterPorts();
    await waitUntil(() => proxy.handle.context.topology.current.shards[0]?.master.port === promoted, PATIENCE_MS, 'slotgate to follow +switch-master');
    // Writes resume on the promoted replica, through the same slotgate.
    await waitUntil(() => probe.set('sentinel-failover-marker', 'after').then((r) => r === 'OK', () => false), PATIENCE_MS, 'a write after the failover');
    const resumedAfter = traffic.started;
    const operationsAtResume = traffic.operations;
    await waitUntil(() => traffic.operations > operationsAtResume + 2000, PATIENCE_MS, 'traffic after the failover');
    const report = await traffic.stop();

    // Errors only during the switch: none for a command sent after writes resumed...
    expect(report.errors.filter((e) => e.startedAs > resumedAfter)).toEqual([]);
    // ...and those caught by it say the backend was unreachable or the connection dropped (no hang).
    for (const e of report.errors) expect(e.message).toMatch(/backend|READONLY|unreachable/);

    const lost = await findLostWrites(client, report.acknowledged);
    expect(lost.filter((key) => acknowledgedBeforeWait.has(key))).toEqual([]);
    expect(acknowledgedBeforeWait.size).toBeGreaterThan(0);
    expect(await probe.get('sentinel-failover-marker')).toBe('after');
    // The surviving replica follows the new master and is in the topology as its replica. On a
    // machine starved of CPU the Sentinels may miss the new master's PINGs and fail over once more
    // (the two survivors swap roles): check against the master they settle on.
    let settled = 0;
    await waitUntil(async () => {
      const masters = await group.masterPorts();
      settled = masters[0] ?? 0;
      return masters.length === 1;
    }, PATIENCE_MS, 'one master');
    await group.waitForReplicas(settled, 1);
    await proxy.handle.context.topology.refreshNow();
    const shard = proxy.handle.context.topology.current.shards[0]!;
    expect(shard.master.port).toBe(settled);
    const survivor = group.replicaPorts.find((p) => p !== settled)!;
    expect(shard.replicas.find((r) => r.port === survivor)?.health).toBe('online');
    expect(shard.replicas.find((r) => r.port === victim)?.health ?? 'failed').toBe('failed');
  }, 4 * PATIENCE_MS);

  it('follows a planned SENTINEL FAILOVER under 8 writers: no client error, no acknowledged write sent after the failover began is lost', async () => {
    const [current] = await group.masterPorts();
    await group.waitForReplicas(current!, 1);
    const client = proxy.client({ maxRetriesPerRequest: 0 });
    const traffic = startWriteTraffic(client, 'sentinel-planned', 8);
    await waitUntil(() => traffic.operations > 300, PATIENCE_MS, 'traffic to start');
    // Through the last-listed Sentinel, which slotgate asks last: the others learn of the failover
    // only from its hello message, while the old master is still up and still a master.
    const sentinelPort = Number(group.sentinels.at(-1)!.split(':')[1]);
    const sentinel = new Redis({ host: '127.0.0.1', port: sentinelPort, maxRetriesPerRequest: 0 });
    try {
      // The previous test's failover may still be settling in the Sentinels' eyes: SENTINEL
      // FAILOVER answers INPROG until its state clears, and NOGOODSLAVE until the Sentinels have
      // seen (INFO every 10 s) the surviving replica follow the new master.
      let answer: unknown;
      await waitUntil(
        async () => {
          answer = await sentinel.call('SENTINEL', 'FAILOVER', group.masterName).catch((err: Error) => err.message);
          return !(typeof answer === 'string' && /^(INPROG|NOGOODSLAVE)/.test(answer));
        },
        PATIENCE_MS,
        'the Sentinels to accept a new failover',
      );
      expect(answer).toBe('OK');
    } finally {
      sentinel.disconnect();
    }
    // The old master stays up and becomes a replica: writes that reach it get READONLY.
    await waitUntil(() => proxy.handle.context.topology.current.shards[0]?.master.port !== current, PATIENCE_MS, 'slotgate to follow the switch');
    const newMaster = proxy.handle.context.topology.current.shards[0]!.master.port;
    const operationsAtSwitch = traffic.operations;
    await waitUntil(() => traffic.operations > operationsAtSwitch + 1000, PATIENCE_MS, 'traffic after the switch');
    // The old master is demoted (a replica of the new one) before the keys are counted.
    await waitUntil(async () => (await group.masterPorts()).length === 1, PATIENCE_MS, 'the old master to be demoted');
    const report = await traffic.stop();
    // Issue #19: from the Sentinels' first failover event, slotgate holds the writes for the old
    // master and sends them to the new one once it is confirmed; in-flight ones finish on the old
    // master's connections before they close. So no client sees an error, and no write sent after
    // the failover began is acknowledged by the old master (and dropped when it becomes a replica).
    expect(report.errors).toEqual([]);
    const hold = holdsBegun.find((h) => h.master === `127.0.0.1:${current}`);
    expect(hold, 'slotgate held the old master\'s commands').toBeDefined();
    const direct = new Redis({ host: '127.0.0.1', port: newMaster, maxRetriesPerRequest: 1 });
    try {
      const lost = await findLostWrites(direct, report.acknowledged);
      // What Redis itself may lose, as in any failover: writes the old master acknowledged before
      // the first sign but had not yet replicated when the replica was promoted (a replica starved
      // of CPU on a loaded machine can be milliseconds behind): sent by the hold's millisecond, every one.
      expect(lost.filter((key) => report.sentAt.get(key)! > hold!.at)).toEqual([]);
      // The writes sent during the hold are on the new master: the hold did catch traffic.
      expect([...report.sentAt.values()].some((at) => at > hold!.at)).toBe(true);
      const metrics = proxy.handle.context.metrics.registry;
      expect(await metrics.getSingleMetricAsString('slotgate_failover_holds_total')).toMatch(/how="new master"\} [1-9]/);
      expect(await metrics.getSingleMetricAsString('slotgate_failover_held_commands_total')).toMatch(/_total [1-9]/);
    } finally {
      direct.disconnect();
    }
  }, 4 * PATIENCE_MS);

  it('pub/sub: the subscriber from before both failovers still hears PUBLISH through slotgate', async () => {
    expect(subscriber).toBeDefined();
    // Pub/sub is at-most-once: a message published while slotgate moved the subscription to
    // another node (its node was demoted or lost its master) may be lost, so publish until one arrives.
    const publisher = proxy.client();
    let sent = 0;
    await waitUntil(async () => {
      await publisher.publish(channel, `after ${++sent}`);
      await new Promise((r) => setTimeout(r, 50));
      return heard.some((m) => m.startsWith(`${channel} after`));
    }, PATIENCE_MS, 'a message after the failovers');
    // Once one arrives, every later one does.
    const before = heard.length;
    await publisher.publish(channel, 'last');
    await waitUntil(() => heard.length > before && heard.at(-1) === `${channel} last`, PATIENCE_MS, 'the last message');
  });

  it('keyspace notifications: the subscriber from before both failovers hears each write on the new master once', async () => {
    const client = proxy.client();
    const key = `sentinel-event:${Date.now().toString(36)}`;
    // The subscription moves to the new master a moment after the failover: write until one event comes.
    await waitUntil(async () => {
      await client.set(key, 'warm');
      await new Promise((r) => setTimeout(r, 50));
      return eventsHeard.includes(`__keyevent@0__:set ${key}`);
    }, PATIENCE_MS, 'an event after the failovers');
    const before = eventsHeard.length;
    await client.set(`${key}:once`, '1');
    // PUBLISH reaches the replicas after the write: with the event, it means any copy from a replica has come.
    await client.publish(`${channel}:barrier`, 'done');
    const awaited = [`${channel}:barrier done`, `__keyevent@0__:set ${key}:once`];
    await waitUntil(() => awaited.every((line) => eventsHeard.includes(line)), PATIENCE_MS, 'the event and the barrier');
    expect(eventsHeard.slice(before).filter((line) => line.includes(`${key}:once`))).toEqual([`__keyevent@0__:set ${key}:once`]);
  });
});
