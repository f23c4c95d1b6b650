// INFO masking and merging on hand-written INFO text; on text a real redis-server wrote, see
// test/integration/oracle/info.test.ts.
import { describe, expect, it } from 'vitest';
import { includesSection, maskInfo, mergedInfo, parseInfo, sumErrorstats, sumKeyspaces, type ProxyFigures } from '../../../src/proxy-view/info.js';

describe('INFO text', () => {
  it('masks the address parts of replica lines and of a replica\'s master', () => {
    const text = '# Replication\r\nrole:master\r\nconnected_slaves:1\r\nslave0:ip=10.0.0.7,port=7004,state=online,offset=42,lag=0\r\nmaster_host:10.0.0.1\r\nmaster_port:7000\r\n';
    expect(maskInfo(text)).toBe(
      '# Replication\r\nrole:master\r\nconnected_slaves:1\r\nslave0:ip=***,port=***,state=online,offset=42,lag=0\r\nmaster_host:***\r\nmaster_port:***\r\n',
    );
  });

  it('masks the listener lines of Redis 7.2 and Valkey: bind addresses, socket paths and ports', () => {
    // As redis-server 7.2.6 writes them (captured), plus a TLS and a unix-socket listener.
    const text = '# Server\r\ntcp_port:47998\r\nlistener0:name=tcp,bind=*,bind=-::*,port=47998\r\nlistener1:name=tls,bind=10.0.0.5,port=47999\r\nlistener2:name=unix,bind=/run/redis.sock\r\n';
    expect(maskInfo(text)).toBe(
      '# Server\r\ntcp_port:***\r\nlistener0:name=tcp,bind=***,bind=***,port=***\r\nlistener1:name=tls,bind=***,port=***\r\nlistener2:name=unix,bind=***\r\n',
    );
  });

  it('sums keyspaces, weighting avg_ttl by keys with a TTL', () => {
    const node = (line: string) => `# Keyspace\r\n${line}\r\n`;
    expect(sumKeyspaces([node('db0:keys=10,expires=2,avg_ttl=1000'), node('db0:keys=5,expires=6,avg_ttl=3000'), '# Keyspace\r\n'].map(parseInfo))).toEqual([
      'db0:keys=15,expires=8,avg_ttl=2500',
    ]);
  });

  it('knows which requests include a section', () => {
    expect(includesSection([], 'proxy')).toBe(true);
    expect(includesSection(['all'], 'proxy')).toBe(true);
    expect(includesSection(['server', 'proxy'], 'proxy')).toBe(true);
    expect(includesSection(['server'], 'proxy')).toBe(false);
  });

  it('adds up the counters of every master (changes since the last save, hits, expired keys); rates and states stay the chosen master\'s', () => {
    const master = (changes: number, hits: number, expired: number, ops: number, status: string) =>
      `# Persistence\r\nloading:0\r\nrdb_changes_since_last_save:${changes}\r\nrdb_last_bgsave_status:${status}\r\n\r\n` +
      `# Stats\r\ninstantaneous_ops_per_sec:${ops}\r\nexpired_keys:${expired}\r\nkeyspace_hits:${hits}\r\nkeyspace_misses:1\r\n`;
    const figures = {} as ProxyFigures;
    const merged = mergedInfo([master(3, 10, 0, 7, 'ok'), master(4, 5, 2, 9, 'err'), master(0, 0, 1, 1, 'ok')], 1, ['persistence', 'stats'], figures);
    expect(merged).toBe(
      '# Persistence\r\nloading:0\r\nrdb_changes_since_last_save:7\r\nrdb_last_bgsave_status:err\r\n\r\n' +
        '# Stats\r\ninstantaneous_ops_per_sec:9\r\nexpired_keys:3\r\nkeyspace_hits:15\r\nkeyspace_misses:3\r\n',
    );
  });

  it('sums Errorstats over the nodes by error prefix (a NOGROUP on one master is counted once, as one Redis would)', () => {
    const errors = (...lines: string[]) => `# Errorstats\r\n${lines.join('\r\n')}\r\n`;
    expect(sumErrorstats([errors('errorstat_ERR:count=4', 'errorstat_NOGROUP:count=1'), errors('errorstat_ERR:count=2', 'errorstat_WRONGTYPE:count=3'), '# Server\r\n'].map(parseInfo))).toEqual([
      'errorstat_ERR:count=6',
      'errorstat_NOGROUP:count=1',
      'errorstat_WRONGTYPE:count=3',
    ]);
  });
});
