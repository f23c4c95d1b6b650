// The command table's own structure and the generator's refusal rules; the table against a live
// server (error texts, COMMAND metadata) is test/integration/oracle/command-table.test.ts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FALLBACK_COMMAND_TABLE } from '../../../src/commands/command-table.js';
import type { GeneratedCommand, KeySpec } from '../../../src/commands/key-spec.js';
import { findUnhandledCommands, readOverriddenCommandNames } from '../../../scripts/generate-command-table.js';

describe('the command table', () => {
  it('links sub-commands to their container', () => {
    const encoding = FALLBACK_COMMAND_TABLE.get('object|encoding')!;
    expect(encoding.parent).toBe(FALLBACK_COMMAND_TABLE.get('object'));
    expect(FALLBACK_COMMAND_TABLE.get('OBJECT')!.subcommands!.get('encoding')).toBe(encoding);
  });

  it('derives the hot-path booleans from the flags', () => {
    const set = FALLBACK_COMMAND_TABLE.get('set')!;
    expect([set.isWrite, set.isReadonly, set.isBlocking]).toEqual([true, false, false]);
    expect(FALLBACK_COMMAND_TABLE.get('blpop')!.isBlocking).toBe(true);
    expect(FALLBACK_COMMAND_TABLE.get('subscribe')!.isPubsub).toBe(true);
    expect(FALLBACK_COMMAND_TABLE.get('config|set')!.isAdmin).toBe(true);
    expect(FALLBACK_COMMAND_TABLE.get('multi')!.isNoscript).toBe(true);
    expect(FALLBACK_COMMAND_TABLE.get('get')!.isReadonly).toBe(true);
    expect(FALLBACK_COMMAND_TABLE.get('dbsize')!.tips).toContain('response_policy:agg_sum');
  });

  it('answers a lookup with one shared, frozen result per command (nothing made per request, issue #22)', () => {
    const lookup = (...words: string[]) => FALLBACK_COMMAND_TABLE.lookup(words.map((w) => Buffer.from(w)));
    const get = lookup('GET', 'a');
    expect(get).toEqual({ ok: true, spec: FALLBACK_COMMAND_TABLE.get('get') });
    expect(lookup('get', 'b')).toBe(get);
    expect(Object.isFrozen(get)).toBe(true);
    const encoding = lookup('OBJECT', 'ENCODING', 'k');
    expect(encoding).toEqual({ ok: true, spec: FALLBACK_COMMAND_TABLE.get('object|encoding') });
    expect(lookup('object', 'encoding', 'k2')).toBe(encoding);
    expect(lookup('GET').ok).toBe(false); // arity is still checked per request
  });
});

describe('the generator refuses commands nobody can extract keys from', () => {
  const overrides = readOverriddenCommandNames(readFileSync(new URL('../../../src/commands/overrides.ts', import.meta.url), 'utf8'));
  const command = (name: string, flags: string[], keySpecs: KeySpec[], subcommands?: GeneratedCommand[]): GeneratedCommand => ({
    name, arity: -2, flags, firstKey: 0, lastKey: 0, keyStep: 0, aclCategories: [], tips: [], keySpecs, ...(subcommands ? { subcommands } : {}),
  });
  const movable = (name: string, keySpecs: KeySpec[]) => command(name, ['movablekeys'], keySpecs);
  const unknownSpec: KeySpec = { flags: ['RW'], beginSearch: { type: 'unknown' }, findKeys: { type: 'unknown' } };
  const incompleteSpec: KeySpec = { flags: ['RW', 'INCOMPLETE'], beginSearch: { type: 'index', index: 1 }, findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 } };
  const keynumSpec: KeySpec = { flags: ['RO'], beginSearch: { type: 'index', index: 1 }, findKeys: { type: 'keynum', keyNumIdx: 0, firstKey: 1, keyStep: 1 } };

  it('reads the override list from overrides.ts', () => {
    expect([...overrides].sort()).toEqual(['georadius', 'georadiusbymember', 'migrate', 'sort', 'sort_ro', 'xread', 'xreadgroup']);
  });

  it('names movable-key commands with unknown or incomplete specs unless overridden', () => {
    const commands = [
      movable('newcmd', [unknownSpec]),
      command('partial', [], [incompleteSpec]),
      movable('sort', [unknownSpec]),
      movable('numkeyed', [keynumSpec]),
      command('box', [], [], [movable('box|sub', [unknownSpec])]),
    ];
    expect(findUnhandledCommands(commands, overrides)).toEqual(['newcmd', 'partial', 'box|sub']);
  });
});
