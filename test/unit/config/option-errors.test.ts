// A bad option value is refused with a message that quotes it and says what form was expected.
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/config.js';
import { configFileForTest } from '../../helpers/config-file.js';

const message = (argv: string[], env: NodeJS.ProcessEnv = {}): string => {
  try {
    resolveConfig(['--cluster', 'a:1', ...argv], env);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error(`accepted ${argv.join(' ')}`);
};

describe('option value errors', () => {
  it('quote the value and name the expected form', () => {
    expect(message(['--port', 'abc'])).toBe("option port: 'abc' is not a port number from 0 to 65535");
    expect(message(['--admin-port', '70000'])).toBe("option admin-port: '70000' is not a port number from 0 to 65535");
    expect(message(['--command-timeout', '5s'])).toBe("option command-timeout: '5s' is not a number of milliseconds from 1 to 3600000");
    expect(message(['--shutdown-timeout', '-1'])).toBe("option shutdown-timeout: '-1' is not a number of milliseconds from 0 to 3600000");
    expect(message(['--timeout', '1.5'])).toBe("option timeout: '1.5' is not a number of seconds from 0 to 1000000000");
    expect(message(['--workers', 'many'])).toBe("option workers: 'many' is not a whole number from 1 to 256");
    expect(message(['--proto-max-bulk-len', '12zb'])).toBe("option proto-max-bulk-len: '12zb' is not a size (e.g. 512mb, 64kb, 1048576)");
    expect(message(['--replica-read=maybe'])).toBe("option replica-read: 'maybe' is not yes/no (or true/false)");
    expect(message(['--log-format', 'xml'])).toBe("option log-format: 'xml' is not one of json, pretty");
    expect(message(['--config-set', 'always'])).toBe("option config-set: 'always' is not one of forward, ignore, deny");
  });

  it('read numbers only as plain decimal digits, from flags, env and the config file alike', () => {
    expect(message(['--port', '0x10'])).toMatch(/'0x10' is not a port number/);
    expect(message(['--command-timeout', '1e3'])).toMatch(/'1e3' is not a number of milliseconds/);
    expect(message(['--port='])).toMatch(/'' is not a port number/);
    expect(message([], { SLOTGATE_PORT: 'abc' })).toMatch(/option port: 'abc' is not a port number/);
    expect(message(['--config', configFileForTest('cluster: "a:1"\nport: abc\n')])).toMatch(/option port: 'abc' is not a port number/);
    expect(resolveConfig(['--config', configFileForTest('cluster: "a:1"\nport: 7001\nshutdown-timeout: 2500\n')], {})).toMatchObject({ port: 7001, shutdownTimeoutMs: 2500 });
    expect(resolveConfig(['--cluster', 'a:1', '--port', '7002'], { SLOTGATE_SHUTDOWN_TIMEOUT: '0' })).toMatchObject({ port: 7002, shutdownTimeoutMs: 0 });
  });

  it('defaults: shutdown-timeout 10 s, JSON logs', () => {
    expect(resolveConfig(['--cluster', 'a:1'], {})).toMatchObject({ shutdownTimeoutMs: 10_000, logFormat: 'json' });
  });
});
