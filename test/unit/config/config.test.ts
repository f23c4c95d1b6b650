import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig, toSize } from '../../../src/config/config.js';

function tempConfig(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slotgate-config-'));
  const file = path.join(dir, 'slotgate.yaml');
  fs.writeFileSync(file, text);
  return file;
}

describe('configuration', () => {
  it('takes flags over env vars over the file over defaults', () => {
    const file = tempConfig('cluster: "10.0.0.1:7000"\nport: 7001\ncommand-timeout: 111\nmaxclients: 5\n');
    const config = resolveConfig(['--config', file, '--port', '7003'], { SLOTGATE_PORT: '7002', SLOTGATE_COMMAND_TIMEOUT: '222' });
    expect(config.port).toBe(7003); // flag
    expect(config.commandTimeoutMs).toBe(222); // env over file
    expect(config.maxClients).toBe(5); // file over default
    expect(config.cluster).toEqual(['10.0.0.1:7000']);
    expect(config.bind).toBe('127.0.0.1'); // default
  });

  it('reads the config file from SLOTGATE_CONFIG and lists of seeds', () => {
    const file = tempConfig('cluster:\n  - "a:1"\n  - "b:2"\n');
    expect(resolveConfig([], { SLOTGATE_CONFIG: file }).cluster).toEqual(['a:1', 'b:2']);
    expect(resolveConfig(['--cluster', 'a:1,b:2'], {}).cluster).toEqual(['a:1', 'b:2']);
  });

  it('rejects bad values with a message naming the option', () => {
    expect(() => resolveConfig([], {})).toThrow(/cluster/);
    expect(() => resolveConfig(['--cluster', 'nohostport'], {})).toThrow(/cluster/);
    expect(() => resolveConfig(['--cluster', 'a:1', '--port', '70000'], {})).toThrow(/port/);
    expect(() => resolveConfig(['--cluster', 'a:1', '--proto-max-bulk-len', '12zb'], {})).toThrow(/proto-max-bulk-len/);
    expect(() => resolveConfig(['--cluster', 'a:1', '--no-such-option', '1'], {})).toThrow(ConfigError);
    expect(() => resolveConfig(['--config', tempConfig('cluster: "a:1"\ntypo-option: 1\n')], {})).toThrow(/typo-option/);
    expect(() => resolveConfig(['--config', tempConfig('cluster: [unclosed\n')], {})).toThrow(/YAML/);
  });

  it('parses Redis-style sizes', () => {
    expect(toSize('x', '512mb')).toBe(512 * 1024 * 1024);
    expect(toSize('x', '64kb')).toBe(65536);
    expect(toSize('x', '1g')).toBe(1e9);
    expect(toSize('x', 1048576)).toBe(1048576);
    expect(() => toSize('x', '-1mb')).toThrow();
  });
});
