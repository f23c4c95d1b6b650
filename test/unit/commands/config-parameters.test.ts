import { describe, expect, it } from 'vitest';
import { firstProtectedConfigParameter, isProtectedConfigParameter, isSensitiveConfigParameter } from '../../../src/commands/config-parameters.js';

const b = (text: string) => Buffer.from(text);
const configSet = (...pairs: string[]) => ['CONFIG', 'SET', ...pairs].map(b);

describe('protected and sensitive CONFIG SET parameters', () => {
  it('matches any case and Redis\'s slave aliases', () => {
    for (const name of ['requirepass', 'RequirePass', 'MASTERAUTH', 'slaveof', 'replicaof', 'SLAVE-ANNOUNCE-IP', 'replica-announce-port', 'slave-read-only', 'cluster-slave-validity-factor']) {
      expect(isProtectedConfigParameter(b(name)), name).toBe(true);
    }
  });

  it('covers whole families by prefix, and leaves tuning parameters alone', () => {
    for (const name of ['cluster-enabled', 'cluster-announce-ip', 'tls-port', 'tls-key-file-pass', 'unixsocket', 'unixsocketperm', 'dir', 'dbfilename', 'bind-source-addr']) {
      expect(isProtectedConfigParameter(b(name)), name).toBe(true);
    }
    for (const name of ['maxmemory', 'maxmemory-policy', 'slowlog-max-len', 'hz', 'save', 'appendonly', 'timeout', 'notify-keyspace-events', 'directory']) {
      expect(isProtectedConfigParameter(b(name)), name).toBe(false);
    }
  });

  it('finds a protected name in any pair, never in a value', () => {
    expect(firstProtectedConfigParameter(configSet('maxmemory', '0', 'Dir', '/tmp'))).toBe('dir');
    expect(firstProtectedConfigParameter(configSet('maxmemory-policy', 'requirepass'))).toBeNull();
    expect(firstProtectedConfigParameter(configSet('hz', '10'))).toBeNull();
  });

  it('marks the secrets whose values are redacted', () => {
    for (const name of ['requirepass', 'masterauth', 'MasterUser', 'tls-key-file-pass', 'tls-client-key-file-pass']) expect(isSensitiveConfigParameter(b(name)), name).toBe(true);
    for (const name of ['dir', 'maxmemory', 'tls-port']) expect(isSensitiveConfigParameter(b(name)), name).toBe(false);
  });
});
