// Pure parts of the session registry: client ids, client-aliases, filters and the line format.
import { describe, expect, it } from 'vitest';
import { clientIp, describeClient, parseClientAlias } from '../../../src/util/client-aliases.js';
import { ClientIdAllocator, MAX_INSTANCE_NUMBER } from '../../../src/peers/client-ids.js';
import { ClientDirectory } from '../../../src/peers/client-directory.js';
import { formatClientLine, matchesFilter } from '../../../src/peers/client-record.js';
import { clientRecord, FakeSessions } from '../../fakes/fake-call.js';

describe('client ids', () => {
  it('put the instance number above 32 bits of counter, and stay exact integers', () => {
    const a = new ClientIdAllocator(1);
    const b = new ClientIdAllocator(2);
    expect([a.next(), a.next(), b.next()]).toEqual([2 ** 32 + 1, 2 ** 32 + 2, 2 * 2 ** 32 + 1]);
    const last = new ClientIdAllocator(MAX_INSTANCE_NUMBER);
    expect(Number.isSafeInteger(last.next())).toBe(true);
  });
});

describe('client-aliases', () => {
  it('match IPv4 and IPv6 networks; the first match wins; IPv4-mapped addresses count as IPv4', () => {
    const aliases = ['10.1.0.0/16=batch', '10.0.0.0/8=office', 'fd00::/8=v6', '192.168.1.7=one-host'].map(parseClientAlias);
    expect(describeClient(aliases, '10.1.2.3:5000')).toBe('batch');
    expect(describeClient(aliases, '10.2.2.3:5000')).toBe('office');
    expect(describeClient(aliases, '::ffff:10.9.9.9:5000')).toBe('office');
    expect(describeClient(aliases, 'fd00::1:5000')).toBe('v6');
    expect(describeClient(aliases, '192.168.1.7:1')).toBe('one-host');
    expect(describeClient(aliases, '172.16.0.1:1')).toBeUndefined();
    expect(clientIp('::ffff:127.0.0.1:6000')).toBe('127.0.0.1');
  });

  it.each(['10.0.0.0/8', '=x', 'nothing=x', '10.0.0.0/33=x', '10.0.0.0/a=x', 'fd00::/129=x'])('refuse %s', (item) => {
    expect(() => parseClientAlias(item)).toThrow();
  });
});

describe('client records', () => {
  it('filters as CLIENT LIST / KILL do', () => {
    const r = clientRecord({ id: 5, addr: '1.2.3.4:5', laddr: '127.0.0.1:6380', user: 'app', age: 10 });
    expect(matchesFilter(r, {})).toBe(true);
    expect(matchesFilter(r, { ids: [4, 5] })).toBe(true);
    expect(matchesFilter(r, { ids: [4] })).toBe(false);
    expect(matchesFilter(r, { skipId: 5 })).toBe(false);
    expect(matchesFilter(r, { type: 'normal' })).toBe(true);
    expect(matchesFilter(r, { type: 'pubsub' })).toBe(false);
    expect(matchesFilter(r, { type: 'master' })).toBe(false);
    expect(matchesFilter(r, { addr: '1.2.3.4:5', laddr: '127.0.0.1:6380', user: 'app' })).toBe(true);
    expect(matchesFilter(r, { user: 'default' })).toBe(false);
    expect(matchesFilter(r, { maxAge: 9 })).toBe(true);
    expect(matchesFilter(r, { maxAge: 10 })).toBe(false);
  });

  it('print Redis 7.2\'s fields in its order, then proxy', () => {
    const line = formatClientLine(clientRecord({ id: 5, name: 'n', libName: 'ioredis', libVer: '5' }));
    expect(line.split(' ').map((f) => f.split('=')[0])).toEqual([
      'id', 'addr', 'laddr', 'fd', 'name', 'age', 'idle', 'flags', 'db', 'sub', 'psub', 'ssub', 'multi', 'qbuf', 'qbuf-free', 'argv-mem',
      'multi-mem', 'rbs', 'rbp', 'obl', 'oll', 'omem', 'tot-mem', 'events', 'cmd', 'user', 'redir', 'resp', 'lib-name', 'lib-ver', 'proxy',
    ]);
  });
});

describe('client directory without peers', () => {
  it('answers a peer\'s requests from this instance\'s sessions, taking only well-formed filter fields', () => {
    const sessions = new FakeSessions();
    sessions.records = [clientRecord({ id: 1 }), clientRecord({ id: 2, addr: '9.9.9.9:1' })];
    const directory = new ClientDirectory(sessions);
    expect((directory.answer({ op: 'list', filter: { ids: [2, 'x'], addr: 7 } }) as { id: number }[]).map((r) => r.id)).toEqual([2]);
    expect(directory.answer({ op: 'kill', filter: { addr: '9.9.9.9:1' } })).toBe(1);
    expect(directory.answer({ op: 'nonsense' })).toBeNull();
    expect(directory.answer(null)).toBeNull();
    expect(sessions.records.map((r) => r.id)).toEqual([1]);
  });
});

describe('client-aliases option', () => {
  it('is read from the flag; a bad item names the option', async () => {
    const { resolveConfig } = await import('../../../src/config/config.js');
    const config = resolveConfig(['--cluster', '127.0.0.1:7000', '--client-aliases', '10.0.0.0/8=office, 192.168.0.0/16=lab'], {});
    expect(config.clientAliases.map((a) => [a.cidr, a.description])).toEqual([['10.0.0.0/8', 'office'], ['192.168.0.0/16', 'lab']]);
    expect(() => resolveConfig(['--cluster', '127.0.0.1:7000', '--client-aliases', '10.0.0.0/40=x'], {})).toThrow(/^option client-aliases: '10\.0\.0\.0\/40' has a bad prefix length/);
  });
});
