// What an operator reads when a flag, a config-file key or the YAML itself is wrong, and --help.
import { describe, expect, it } from 'vitest';
import { buildCli, resolveConfig } from '../../../src/config/config.js';
import { OPTIONS } from '../../../src/config/options.js';
import { configFileForTest } from '../../helpers/config-file.js';

const collapse = (text: string) => text.replace(/\s+/g, ' ');

describe('operator messages', () => {
  it('--help wraps at spaces: every description and usage line reads whole', async () => {
    const help = collapse(await buildCli([]).getHelp());
    expect(help).toContain('slotgate --version A Redis Cluster proxy');
    for (const [name, def] of Object.entries(OPTIONS)) {
      expect(help, name).toContain(collapse(def.describe));
    }
  });

  it('an unknown flag names the flag meant', () => {
    expect(() => resolveConfig(['--versoin'], {})).toThrow(/^Unknown argument: versoin; did you mean --version\?$/);
    expect(() => resolveConfig(['--comand-timeout', '5', '--prot', '1'], {})).toThrow(
      /^Unknown arguments: comand-timeout, prot; did you mean --command-timeout \(for comand-timeout\), --port \(for prot\)\?$/,
    );
    expect(() => resolveConfig(['--zzzzzzzzzz'], {})).toThrow(/^Unknown argument: zzzzzzzzzz$/);
  });

  it('an unknown config-file key names the key meant', () => {
    const file = configFileForTest('cluster: "10.0.0.1:7000"\ncommand-timout: 5\n');
    expect(() => resolveConfig(['--config', file], {})).toThrow(`config file ${file}: unknown option 'command-timout'; did you mean 'command-timeout'?`);
  });

  it('a bad YAML file: where it is, without a dangling colon or the file\'s text', () => {
    const file = configFileForTest('cluster: "10.0.0.1:7000"\nbackend-password: "S3cret!\n');
    let message = '';
    try {
      resolveConfig(['--config', file], {});
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(new RegExp(`^config file ${file} is not valid YAML: .* at line \\d+, column \\d+$`));
    expect(message).not.toContain('S3cret');
  });
});
