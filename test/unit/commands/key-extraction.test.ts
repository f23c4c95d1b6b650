// getKeyIndexes where no server is needed, and the table's coverage by overrides; getKeyIndexes
// against COMMAND GETKEYS and the server's own errors is test/integration/oracle/key-extraction.test.ts.
import { describe, expect, it } from 'vitest';
import { FALLBACK_COMMAND_TABLE } from '../../../src/commands/command-table.js';
import { isGenericallyInterpretable, hasKeyExtractionOverride } from '../../../src/commands/key-extraction.js';
import { NUMKEYS_CHECKS } from '../../../src/commands/overrides.js';
import { keyNames, words } from '../../helpers/key-names.js';


describe('where the server cannot be asked', () => {
  it('MIGRATE does not take an AUTH password "keys" for the KEYS option', () => {
    // migrateCommand consumes the argument after AUTH as the password, so only "a" follows KEYS.
    expect(keyNames(words("MIGRATE host 6379 '' 0 5000 AUTH keys KEYS a"))).toEqual(['a']);
  });
});

describe('coverage of the table', () => {
  const everyCommand = [...FALLBACK_COMMAND_TABLE.commands()].flatMap((spec) => [spec, ...(spec.subcommands?.values() ?? [])]);

  it('every command with a keynum spec has its numkeys error texts', () => {
    const withKeynum = everyCommand.filter((spec) => spec.keySpecs.some((keySpec) => keySpec.findKeys.type === 'keynum')).map((spec) => spec.name);
    expect(withKeynum.length).toBeGreaterThan(10);
    expect(withKeynum.filter((name) => !NUMKEYS_CHECKS.has(name))).toEqual([]);
  });

  it('every command the generic interpreter cannot handle has an override', () => {
    const unhandled = everyCommand.filter((spec) => !isGenericallyInterpretable(spec) && !hasKeyExtractionOverride(spec));
    expect(unhandled.map((spec) => spec.name)).toEqual([]);
    expect(isGenericallyInterpretable(FALLBACK_COMMAND_TABLE.get('sort')!)).toBe(false);
    expect(isGenericallyInterpretable(FALLBACK_COMMAND_TABLE.get('migrate')!)).toBe(false);
  });
});
