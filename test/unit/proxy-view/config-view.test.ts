import { describe, expect, it } from 'vitest';
import { configGetReply, configValueShown } from '../../../src/proxy-view/config-view.js';
import { parseReply } from '../../../src/protocol/reply-parser.js';

const self = { port: 6380, tlsPort: 0, bind: '127.0.0.1' };
const shown = (name: string, value: string) => configValueShown(name, Buffer.from(value), self).toString();

describe('CONFIG GET through slotgate', () => {
  it('shows slotgate\'s own listening parameters', () => {
    expect(shown('port', '7001')).toBe('6380');
    expect(shown('tls-port', '7444')).toBe('0');
    expect(shown('bind', '10.0.0.1')).toBe('127.0.0.1');
  });

  it('hides the node\'s addresses, ports, paths and secrets; leaves the rest', () => {
    expect(shown('cluster-announce-ip', '10.0.0.1')).toBe('');
    expect(shown('cluster-announce-bus-port', '17001')).toBe('0');
    expect(shown('dir', '/var/lib/redis/7001')).toBe('***');
    expect(shown('masterauth', 'secret')).toBe('***');
    expect(shown('requirepass', '')).toBe('');
    expect(shown('maxmemory-policy', 'allkeys-lru')).toBe('allkeys-lru');
  });

  it('rewrites a whole reply, names as the node sent them', () => {
    const reply = configGetReply([Buffer.from('port'), Buffer.from('7001'), Buffer.from('hz'), Buffer.from('10')], self);
    expect(parseReply(reply)).toEqual([Buffer.from('port'), Buffer.from('6380'), Buffer.from('hz'), Buffer.from('10')]);
  });
});
