import { describe, expect, it } from 'vitest';
import { addressNodeId } from '../../../src/cluster/node-identity.js';
import { parseMasterAddress, parseReplicationInfo, parseSentinelReplicas } from '../../../src/cluster/replication-info.js';
import { replicationShard } from '../../../src/cluster/replication-source.js';
import { concernsMaster, failoverSignal } from '../../../src/cluster/sentinel-watch.js';
import { RespError } from '../../../src/protocol/reply-parser.js';
import { TopologySnapshot } from '../../../src/cluster/topology-snapshot.js';

// The shape of Redis 7.0's INFO replication on a master with two replicas, one still syncing.
const MASTER_INFO = Buffer.from(
  '# Replication\r\nrole:master\r\nconnected_slaves:2\r\n' +
    'slave0:ip=127.0.0.1,port=7001,state=online,offset=1000,lag=0\r\n' +
    'slave1:ip=127.0.0.1,port=7002,state=wait_bgsave,offset=0,lag=0\r\n' +
    'master_failover_state:no-failover\r\nmaster_replid:abc\r\nmaster_repl_offset:5000\r\n',
);
const REPLICA_INFO = Buffer.from('# Replication\r\nrole:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:7000\r\nmaster_link_status:up\r\n');

describe('INFO replication', () => {
  it('reads a master: its offset and its replicas', () => {
    expect(parseReplicationInfo(MASTER_INFO)).toEqual({
      role: 'master',
      offset: 5000,
      replicas: [
        { host: '127.0.0.1', port: 7001, state: 'online', offset: 1000 },
        { host: '127.0.0.1', port: 7002, state: 'wait_bgsave', offset: 0 },
      ],
    });
  });

  it('reads a replica: where its master is', () => {
    expect(parseReplicationInfo(REPLICA_INFO)).toEqual({ role: 'replica', masterHost: '127.0.0.1', masterPort: 7000, linkUp: true, syncInProgress: true });
  });

  it('refuses what it cannot read (the refresher keeps the previous view)', () => {
    expect(() => parseReplicationInfo(new RespError('ERR unknown command'))).toThrow('unknown command');
    expect(() => parseReplicationInfo(Buffer.from('role:sentinel\r\n'))).toThrow('unexpected role');
    expect(() => parseReplicationInfo(Buffer.from('role:master\r\nslave0:ip=x,port=99999,state=online,offset=1\r\nmaster_repl_offset:1\r\n'))).toThrow('bad port');
  });
});

describe('replicationShard', () => {
  const info = parseReplicationInfo(MASTER_INFO) as Extract<ReturnType<typeof parseReplicationInfo>, { role: 'master' }>;

  it('is one shard owning every slot, ids from addresses, lag from offsets, only synced replicas online', () => {
    const shard = replicationShard('127.0.0.1:7000', info);
    expect(shard.ranges).toEqual([[0, 16383]]);
    expect(shard.master).toEqual({ id: addressNodeId('127.0.0.1', 7000), host: '127.0.0.1', port: 7000, health: 'online' });
    expect(shard.replicas).toEqual([
      { id: addressNodeId('127.0.0.1', 7001), host: '127.0.0.1', port: 7001, health: 'online', lagBytes: 4000 },
      { id: addressNodeId('127.0.0.1', 7002), host: '127.0.0.1', port: 7002, health: 'loading', lagBytes: 5000 },
    ]);
  });

  it('with Sentinel\'s list: a replica Sentinel says is down, or the master does not report, gets no reads', () => {
    const shard = replicationShard('127.0.0.1:7000', info, [
      { host: '127.0.0.1', port: 7001, down: true },
      { host: '127.0.0.1', port: 7003, down: false },
    ]);
    expect(shard.replicas.map((r) => [r.port, r.health])).toEqual([[7001, 'failed'], [7003, 'failed']]);
  });

  it('never lists the master as its own replica (a Sentinel mid-failover still lists the promoted replica among the old master\'s)', () => {
    const shard = replicationShard('127.0.0.1:7001', info, [
      { host: '127.0.0.1', port: 7001, down: false },
      { host: '127.0.0.1', port: 7002, down: false },
    ]);
    expect(shard.replicas.map((r) => r.port)).toEqual([7002]);
    const snapshot = new TopologySnapshot([{ ...shard, replicas: [...shard.replicas, { ...shard.master }] }], 1);
    expect(snapshot.nodeByAddress('127.0.0.1:7001')?.role).toBe('master');
  });
});

describe('Sentinel replies', () => {
  it('reads GET-MASTER-ADDR-BY-NAME, and null for an unknown name', () => {
    expect(parseMasterAddress([Buffer.from('127.0.0.1'), Buffer.from('7000')])).toEqual({ host: '127.0.0.1', port: 7000 });
    expect(parseMasterAddress(null)).toBeNull();
  });

  it('reads SENTINEL REPLICAS flags', () => {
    const entry = (port: string, flags: string) => ['name', `127.0.0.1:${port}`, 'ip', '127.0.0.1', 'port', port, 'flags', flags].map((v) => Buffer.from(v));
    expect(parseSentinelReplicas([entry('7001', 'slave'), entry('7002', 's_down,slave,disconnected')])).toEqual([
      { host: '127.0.0.1', port: 7001, down: false },
      { host: '127.0.0.1', port: 7002, down: true },
    ]);
  });

  it('takes the events about its own master only', () => {
    expect(concernsMaster('+switch-master', 'mymaster 127.0.0.1 7000 127.0.0.1 7001', 'mymaster')).toBe(true);
    expect(concernsMaster('+switch-master', 'other 127.0.0.1 7000 127.0.0.1 7001', 'mymaster')).toBe(false);
    expect(concernsMaster('+sdown', 'slave 127.0.0.1:7001 127.0.0.1 7001 @ mymaster 127.0.0.1 7000', 'mymaster')).toBe(true);
    expect(concernsMaster('+sdown', 'slave 127.0.0.1:7001 127.0.0.1 7001 @ other 127.0.0.1 7000', 'mymaster')).toBe(false);
    expect(concernsMaster('+sdown', 'master mymaster 127.0.0.1 7000', 'mymaster')).toBe(true);
  });

  it('reads the old master of a failover from its first events and from an abort', () => {
    expect(failoverSignal('+selected-slave', 'slave 127.0.0.1:7001 127.0.0.1 7001 @ mymaster 127.0.0.1 7000')).toEqual({
      kind: 'started',
      master: '127.0.0.1:7000',
      reason: 'sentinel +selected-slave',
    });
    expect(failoverSignal('+promoted-slave', 'slave 127.0.0.1:7001 127.0.0.1 7001 @ mymaster 127.0.0.1 7000')?.master).toBe('127.0.0.1:7000');
    expect(failoverSignal('-failover-abort-no-good-slave', 'master mymaster 127.0.0.1 7000')).toMatchObject({ kind: 'aborted', master: '127.0.0.1:7000' });
    expect(failoverSignal('+switch-master', 'mymaster 127.0.0.1 7000 127.0.0.1 7001')).toBeNull();
    expect(failoverSignal('+selected-slave', 'garbage')).toBeNull();
  });
});
