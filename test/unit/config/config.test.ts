import { describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig, toSize } from '../../../src/config/config.js';
import { configFileForTest } from '../../helpers/config-file.js';

describe('configuration', () => {
  it('takes flags over env vars over the file over defaults', () => {
    const file = configFileForTest('cluster: "10.0.0.1:7000"\nport: 7001\ncommand-timeout: 111\nmaxclients: 5\n');
    const config = resolveConfig(['--config', file, '--port', '7003'], { SLOTGATE_PORT: '7002', SLOTGATE_COMMAND_TIMEOUT: '222' });
    expect(config.port).toBe(7003); // flag
    expect(config.commandTimeoutMs).toBe(222); // env over file
    expect(config.maxClients).toBe(5); // file over default
    expect(config.cluster).toEqual(['10.0.0.1:7000']);
    expect(config.bind).toBe('127.0.0.1'); // default
  });

  it('reads the config file from SLOTGATE_CONFIG and lists of seeds', () => {
    const file = configFileForTest('cluster:\n  - "a:1"\n  - "b:2"\n');
    expect(resolveConfig([], { SLOTGATE_CONFIG: file }).cluster).toEqual(['a:1', 'b:2']);
    expect(resolveConfig(['--cluster', 'a:1,b:2'], {}).cluster).toEqual(['a:1', 'b:2']);
  });

  it('rejects bad values with a message naming the option', () => {
    expect(() => resolveConfig([], {})).toThrow(/cluster/);
    expect(() => resolveConfig(['--cluster', 'nohostport'], {})).toThrow(/cluster/);
    expect(() => resolveConfig(['--cluster', 'a:1', '--port', '70000'], {})).toThrow(/port/);
    expect(() => resolveConfig(['--cluster', 'a:1', '--proto-max-bulk-len', '12zb'], {})).toThrow(/proto-max-bulk-len/);
    expect(() => resolveConfig(['--cluster', 'a:1', '--no-such-option', '1'], {})).toThrow(ConfigError);
    expect(() => resolveConfig(['--config', configFileForTest('cluster: "a:1"\ntypo-option: 1\n')], {})).toThrow(/typo-option/);
    expect(() => resolveConfig(['--config', configFileForTest('cluster: [unclosed\n')], {})).toThrow(/YAML/);
  });

  it('parses Redis-style sizes', () => {
    expect(toSize('x', '512mb')).toBe(512 * 1024 * 1024);
    expect(toSize('x', '64kb')).toBe(65536);
    expect(toSize('x', '1g')).toBe(1e9);
    expect(toSize('x', 1048576)).toBe(1048576);
    expect(() => toSize('x', '-1mb')).toThrow();
  });
});

describe('backend kinds', () => {
  it('defaults to a cluster, which needs seeds', () => {
    expect(resolveConfig(['--cluster', '127.0.0.1:7000'], {}).backend).toBe('cluster');
    expect(() => resolveConfig([], {})).toThrow(/option cluster/);
  });

  it('standalone needs the master\'s address', () => {
    const config = resolveConfig(['--backend', 'standalone', '--master', '127.0.0.1:6379'], {});
    expect(config).toMatchObject({ backend: 'standalone', master: ['127.0.0.1:6379'], sentinel: null });
    expect(() => resolveConfig(['--backend', 'standalone'], {})).toThrow(/option master/);
    expect(() => resolveConfig(['--backend', 'standalone', '--master', 'nohost'], {})).toThrow(/'nohost' is not host:port/);
    expect(() => resolveConfig(['--backend', 'replicated', '--master', '127.0.0.1:6379'], {})).toThrow(/option backend: 'replicated' is not one of cluster, standalone, sentinel/);
  });

  it('sentinel needs the Sentinels and the master name; its password never on the command line', () => {
    const base = ['--backend', 'sentinel', '--sentinels', '127.0.0.1:26379,127.0.0.1:26380', '--sentinel-master-name', 'mymaster'];
    expect(resolveConfig(base, {}).sentinel).toEqual({ sentinels: ['127.0.0.1:26379', '127.0.0.1:26380'], masterName: 'mymaster', auth: null, tls: null });
    expect(resolveConfig(base, { SLOTGATE_SENTINEL_PASSWORD: 'S3cret' }).sentinel!.auth).toEqual({ user: null, password: 'S3cret' });
    expect(() => resolveConfig([...base, '--sentinel-password', 'S3cret'], {})).toThrow(/not accepted on the command line/);
    expect(() => resolveConfig(base.slice(0, 4), {})).toThrow(/option sentinel-master-name/);
    expect(() => resolveConfig(['--backend', 'sentinel', '--sentinel-master-name', 'm'], {})).toThrow(/option sentinels/);
    expect(() => resolveConfig([...base, '--sentinel-user', 'u'], {})).toThrow(/sentinel-user: needs sentinel-password/);
    // TLS to the Sentinels: its own options, checked as backend-tls-* are.
    expect(resolveConfig([...base, '--sentinel-tls', 'yes', '--sentinel-tls-server-name', 'sentinels.internal'], {}).sentinel!.tls).toEqual({
      caCertFile: null, serverName: 'sentinels.internal', certFile: null, keyFile: null, optionPrefix: 'sentinel-tls',
    });
    expect(() => resolveConfig([...base, '--sentinel-tls', 'yes', '--sentinel-tls-cert-file', 'c.pem'], {})).toThrow('option sentinel-tls-cert-file: needs sentinel-tls-key-file, and the other way round');
  });

  it('reads max-replica-lag as a size', () => {
    expect(resolveConfig(['--cluster', '127.0.0.1:7000', '--max-replica-lag', '64kb'], {}).reloadable.readRouting.maxReplicaLag).toBe(65536);
  });
});
