// INFO masking and merging on hand-written INFO text; on text a real redis-server wrote, see
// test/integration/oracle/info.test.ts.
import { describe, expect, it } from 'vitest';
import { includesSection, maskInfo, sumKeyspaces } from '../../../src/proxy-view/info.js';

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
    expect(sumKeyspaces([node('db0:keys=10,expires=2,avg_ttl=1000'), node('db0:keys=5,expires=6,avg_ttl=3000'), '# Keyspace\r\n'])).toEqual([
      'db0:keys=15,expires=8,avg_ttl=2500',
    ]);
  });

  it('knows which requests include a section', () => {
    expect(includesSection([], 'proxy')).toBe(true);
    expect(includesSection(['all'], 'proxy')).toBe(true);
    expect(includesSection(['server', 'proxy'], 'proxy')).toBe(true);
    expect(includesSection(['server'], 'proxy')).toBe(false);
  });
});
