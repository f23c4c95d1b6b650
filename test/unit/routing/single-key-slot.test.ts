// The single-key fast path (issue #22: routing GET/SET without a key-index array or a plan object)
// must route exactly as the general key-spec interpreter: checked for every command and sub-command
// of the table, with argument counts from none to several.
import { describe, expect, it } from 'vitest';
import { stringKeyHashSlot } from '../../../src/cluster/hash-slot.js';
import { FALLBACK_COMMAND_TABLE, type CommandSpec } from '../../../src/commands/command-table.js';
import { getKeyIndexes } from '../../../src/commands/key-extraction.js';
import { singleKeySlot, slotOfKeys } from '../../../src/routing/router.js';
import { slotTarget } from '../../../src/upstream/forwarder.js';

function everySpec(): CommandSpec[] {
  const out: CommandSpec[] = [];
  for (const spec of FALLBACK_COMMAND_TABLE.commands()) {
    out.push(spec);
    for (const sub of spec.subcommands?.values() ?? []) out.push(sub);
  }
  return out;
}

describe('singleKeySlot', () => {
  it('agrees with the key-spec interpreter for every command that it routes', () => {
    let routed = 0;
    for (const spec of everySpec()) {
      for (let argc = 1; argc <= 6; argc++) {
        const args = Array.from({ length: argc }, (_, i) => Buffer.from(i === 0 ? spec.name : `k${i}`));
        const slot = singleKeySlot(spec, args);
        if (slot < 0) continue;
        routed++;
        const indexes = getKeyIndexes(spec, args);
        expect(Array.isArray(indexes) && indexes.length === 1, `${spec.name} with ${argc} arguments`).toBe(true);
        expect(slot).toBe(slotOfKeys(args, indexes as number[]));
      }
    }
    // GET, SET, INCR, HGET… are on the fast path: the check above is not vacuous.
    expect(routed).toBeGreaterThan(500);
  });

  it('routes GET and SET by their key, and leaves multi-key commands and a missing key to routeCommand', () => {
    const spec = (name: string): CommandSpec => FALLBACK_COMMAND_TABLE.commands().find((s) => s.name === name)!;
    const args = (...words: string[]): Buffer[] => words.map((w) => Buffer.from(w));
    expect(singleKeySlot(spec('get'), args('GET', 'user:1'))).toBe(stringKeyHashSlot('user:1'));
    expect(singleKeySlot(spec('set'), args('SET', '{t}a', 'v'))).toBe(stringKeyHashSlot('t'));
    expect(singleKeySlot(spec('set'), args('SET', 'a', 'v'), true)).toBe(0);
    expect(singleKeySlot(spec('get'), args('GET'))).toBe(-1);
    expect(singleKeySlot(spec('mget'), args('MGET', 'a'))).toBe(-1);
    expect(singleKeySlot(spec('sort'), args('SORT', 'a'))).toBe(-1);
  });
});

describe('slotTarget', () => {
  it('is one shared, unchanging target per slot', () => {
    expect(slotTarget(42)).toEqual({ slot: 42 });
    expect(slotTarget(42)).toBe(slotTarget(42));
    expect(slotTarget(16383)).not.toBe(slotTarget(0));
  });
});
