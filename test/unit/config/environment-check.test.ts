// SLOTGATE_* variables that are no option are reported, with the option most likely meant.
import { describe, expect, it } from 'vitest';
import { describeUnknownVariable, unknownEnvironmentVariables } from '../../../src/config/environment-check.js';

describe('unknown SLOTGATE_* environment variables', () => {
  it('names a misspelt variable and the closest option', () => {
    const unknown = unknownEnvironmentVariables({ SLOTGATE_COMAND_TIMEOUT: '2000', SLOTGATE_PORT: '1', SLOTGATE_CONFIG: 'x.yaml', HOME: '/root' });
    expect(unknown).toEqual([{ variable: 'SLOTGATE_COMAND_TIMEOUT', closest: 'command-timeout' }]);
    expect(describeUnknownVariable(unknown[0]!)).toBe(
      'environment variable SLOTGATE_COMAND_TIMEOUT is not a slotgate option and is ignored; did you mean SLOTGATE_COMMAND_TIMEOUT (option command-timeout)?',
    );
  });

  it('suggests nothing when no option is close, and ignores the internal worker variable', () => {
    expect(unknownEnvironmentVariables({ SLOTGATE_SOMETHING_ELSE_ENTIRELY: '1', SLOTGATE_WORKER_INDEX: '0' })).toEqual([
      { variable: 'SLOTGATE_SOMETHING_ELSE_ENTIRELY', closest: null },
    ]);
    expect(describeUnknownVariable({ variable: 'SLOTGATE_X', closest: null })).toBe('environment variable SLOTGATE_X is not a slotgate option and is ignored');
    expect(unknownEnvironmentVariables({ SLOTGATE_MAXCLIENT: '5', SLOTGATE_LOGLEVEL: 'debug' })).toEqual([
      { variable: 'SLOTGATE_LOGLEVEL', closest: 'log-level' },
      { variable: 'SLOTGATE_MAXCLIENT', closest: 'maxclients' },
    ]);
  });
});
