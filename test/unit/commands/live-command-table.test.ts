// The live command table, built from a recorded COMMAND INFO reply: redis-server 7.0.15 with the
// Debian package redis-redisearch (RediSearch 1.2) loaded, asked for
// `COMMAND INFO get getex zunionstore sort object xread eval ft.search ft.create ft.add`.
// The bytes are exactly what the server sent (recorded/*.resp).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CommandCatalog, CommandTable, FALLBACK_COMMAND_TABLE, type CommandSpec } from '../../../src/commands/command-table.js';
import { GENERATED_COMMANDS } from '../../../src/commands/command-table.generated.js';
import { getKeyIndexes } from '../../../src/commands/key-extraction.js';
import type { GeneratedCommand } from '../../../src/commands/key-spec.js';
import { buildLiveCommandTable, commandsFromReply } from '../../../src/commands/live-command-table.js';
import { keyHashSlot } from '../../../src/cluster/hash-slot.js';
import { parseReply, type RespValue } from '../../../src/protocol/reply-parser.js';
import { routeCommand } from '../../../src/routing/router.js';

const recorded = parseReply(readFileSync(new URL('./recorded/command-info-redis-7.0.15-redisearch-1.2.resp', import.meta.url)));
const args = (...parts: string[]): Buffer[] => parts.map((p) => Buffer.from(p));

function specOf(table: CommandTable, ...parts: string[]): CommandSpec {
  const lookup = table.lookup(args(...parts));
  if (!lookup.ok) throw new Error(lookup.error.toString());
  return lookup.spec;
}

describe('a command table built from a recorded COMMAND reply', () => {
  const live = buildLiveCommandTable(recorded, 'backend test')!;

  it('holds exactly the commands the server reported, module commands included', () => {
    expect(live.commands().map((spec) => spec.name)).toEqual(['eval', 'ft.add', 'ft.create', 'ft.search', 'get', 'getex', 'object', 'sort', 'xread', 'zunionstore']);
    // SET was not in the reply: unknown to this backend, with Redis's own error text.
    const set = live.lookup(args('SET', 'k', 'v'));
    expect(set.ok).toBe(false);
    expect(!set.ok && set.error.toString()).toBe("ERR unknown command 'SET', with args beginning with: 'k' 'v' ");
  });

  it('routes a module command by its key spec (FT.SEARCH index query → the index\'s slot)', () => {
    expect(FALLBACK_COMMAND_TABLE.lookup(args('FT.SEARCH', 'idx', 'hello')).ok).toBe(false);
    const search = specOf(live, 'ft.search', 'idx', 'hello');
    expect(search.isReadonly).toBe(true);
    expect(routeCommand(search, args('FT.SEARCH', 'idx', 'hello'))).toMatchObject({ kind: 'slot', slot: keyHashSlot(Buffer.from('idx')), access: 'read' });
    expect(routeCommand(specOf(live, 'FT.ADD', 'idx', 'doc', '1', 'FIELDS', 'f', 'v'), args('FT.ADD', 'idx', 'doc', '1', 'FIELDS', 'f', 'v'))).toMatchObject({
      kind: 'slot',
      access: 'write',
    });
  });

  it('checks arity and sub-commands with the backend\'s own metadata', () => {
    expect(live.lookup(args('GET')).ok).toBe(false);
    expect(specOf(live, 'object', 'encoding', 'k').name).toBe('object|encoding');
    const unknownSub = live.lookup(args('OBJECT', 'nope'));
    expect(!unknownSub.ok && unknownSub.error.toString()).toBe("ERR unknown subcommand 'nope'. Try OBJECT HELP.");
  });

  it('keeps slotgate\'s hand-written key extraction ahead of the live key specs (SORT\'s last STORE wins)', () => {
    const request = args('SORT', 'k', 'STORE', 'limit', 'STORE', 'd');
    expect(getKeyIndexes(specOf(live, ...request.map(String)), request)).toEqual([1, 5]);
    expect(routeCommand(specOf(live, 'sort', 'k'), args('SORT', 'k'))).toMatchObject({ kind: 'slot' });
  });

  it('interprets numkeys specs from the reply (ZUNIONSTORE dest numkeys key…)', () => {
    const request = args('ZUNIONSTORE', 'd{t}', '2', 'a{t}', 'b{t}', 'WEIGHTS', '1', '2');
    expect(getKeyIndexes(specOf(live, ...request.map(String)), request)).toEqual([1, 3, 4]);
  });

  it('keeps the proxy-only commands (IMONITOR)', () => {
    expect(specOf(live, 'IMONITOR', '@0').name).toBe('imonitor');
  });

  it('builds nothing from a reply that holds no commands', () => {
    expect(buildLiveCommandTable([], 'x')).toBeNull();
    expect(buildLiveCommandTable(Buffer.from('garbage'), 'x')).toBeNull();
    expect(buildLiveCommandTable([null, Buffer.from('x'), [Buffer.from('get')]], 'x')).toBeNull();
  });
});

describe('a command the generated table does not know', () => {
  it('is refused by a fallback without it and brought back by the live table, through the instance catalog', () => {
    const withoutGetex = new CommandTable(GENERATED_COMMANDS.filter((c) => c.name !== 'getex'), 'generated minus getex');
    const request = args('GETEX', 'k', 'PX', '100');
    const catalog = new CommandCatalog();
    catalog.install(withoutGetex);
    const before = catalog.lookup(request);
    expect(!before.ok && before.error.toString()).toBe("ERR unknown command 'GETEX', with args beginning with: 'k' 'PX' '100' ");

    catalog.install(buildLiveCommandTable(recorded, 'backend test')!);
    const after = catalog.lookup(request);
    expect(after.ok && after.spec.name).toBe('getex');
    expect(after.ok && routeCommand(after.spec, request)).toMatchObject({ kind: 'slot', slot: keyHashSlot(Buffer.from('k')), access: 'write' });
  });
});

describe('movable keys the key specs do not describe', () => {
  const moduleCommand = (keySpecs: GeneratedCommand['keySpecs'], flags: string[]): GeneratedCommand => ({
    name: 'mod.multi', arity: -2, flags, firstKey: 0, lastKey: 0, keyStep: 0, aclCategories: [], tips: [], keySpecs,
  });
  const route = (command: GeneratedCommand) => {
    const table = new CommandTable([command], 'test');
    return routeCommand(specOf(table, 'MOD.MULTI', 'a', 'b'), args('MOD.MULTI', 'a', 'b'));
  };

  it('are refused with a clear error rather than sent to an arbitrary master', () => {
    const noSpecs = route(moduleCommand([], ['movablekeys', 'write']));
    expect(noSpecs.kind === 'error' && noSpecs.error.frame.toString()).toMatch(/^-ERR command 'mod\.multi' cannot be routed by slotgate: its key positions are not described/);
    const incomplete = route(
      moduleCommand([{ flags: ['RW', 'INCOMPLETE'], beginSearch: { type: 'index', index: 1 }, findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 } }], ['movablekeys']),
    );
    expect(incomplete.kind).toBe('error');
  });

  it('route by key spec when the specs are complete', () => {
    const plan = route(moduleCommand([{ flags: ['RW'], beginSearch: { type: 'index', index: 1 }, findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 } }], ['movablekeys']));
    expect(plan).toMatchObject({ kind: 'slot', slot: keyHashSlot(Buffer.from('a')) });
  });
});

describe('a Redis 6 COMMAND reply (no key specs)', () => {
  // The same recorded entries cut to the seven elements Redis 6.2 sends.
  const asRedis6 = (recorded as RespValue[]).map((entry) => (entry as RespValue[]).slice(0, 7));
  const commands = commandsFromReply(asRedis6);

  it('takes the generated key specs for commands the generated table knows (ZUNIONSTORE\'s numkeys)', () => {
    const zunionstore = commands.find((c) => c.name === 'zunionstore')!;
    expect(zunionstore.keySpecs).toEqual(FALLBACK_COMMAND_TABLE.get('zunionstore')!.keySpecs);
  });

  it('derives a range spec from first/last/step for the others (module commands)', () => {
    expect(commands.find((c) => c.name === 'ft.search')!.keySpecs).toEqual([
      { flags: [], beginSearch: { type: 'index', index: 1 }, findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 } },
    ]);
  });
});
