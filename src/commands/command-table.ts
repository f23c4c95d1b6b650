// The command table: Redis's own metadata turned into CommandSpec objects, and CommandTable.lookup(),
// which resolves a request's name (and sub-command) and checks its arity exactly like Redis 7.0's
// processCommand does, with the same error texts. The metadata is the backend's own COMMAND reply
// once one has answered (live-command-table.ts), else the generated table (command-table.generated.ts).
//
// Hot path: CommandTable.lookup() reads the name bytes straight from the request (no per-call string),
// through AsciiCaseInsensitiveMap; CommandSpec carries boolean shortcuts so routing checks are
// property reads, not Set lookups.

import { AsciiCaseInsensitiveMap } from './byte-name-map.js';
import { GENERATED_COMMANDS, GENERATED_FROM_REDIS_VERSION } from './command-table.generated.js';
import { PROXY_ONLY_COMMANDS, PROXY_ONLY_SUBCOMMANDS } from './proxy-only-commands.js';
import type { GeneratedCommand, KeySpec } from './key-spec.js';
import { unknownCommandError, unknownSubcommandError, wrongArityError } from './lookup-errors.js';

export type { KeySpec } from './key-spec.js';

export interface CommandSpec {
  /** Lower case; a sub-command is `container|sub`, e.g. `object|encoding`. */
  readonly name: string;
  /** Positive: exact argument count (name included); negative: at least -arity. */
  readonly arity: number;
  readonly flags: ReadonlySet<string>;
  readonly isWrite: boolean;
  readonly isReadonly: boolean;
  readonly isBlocking: boolean;
  readonly isPubsub: boolean;
  readonly isAdmin: boolean;
  readonly isNoscript: boolean;
  /**
   * Redis says the keys move (`movablekeys`) or its key specs are incomplete, and they do not say
   * where every key is: only a hand-written override (overrides.ts) can route it; without one the
   * router refuses it rather than guess (a module command with a getkeys callback, say).
   */
  readonly keysUnknown: boolean;
  readonly firstKey: number;
  readonly lastKey: number;
  readonly keyStep: number;
  /** Redis command tips, e.g. `request_policy:all_shards`, `response_policy:agg_sum`. */
  readonly tips: readonly string[];
  readonly keySpecs: readonly KeySpec[];
  /** keySpecs without the NOT_KEY ones (shard channels): made once, the router reads it per request. */
  readonly keyArgumentSpecs: readonly KeySpec[];
  /** As Redis names them, e.g. `@read`, `@string`. */
  readonly aclCategories: readonly string[];
  /** Keyed by the sub-command's own name (`encoding`), for container commands like OBJECT. */
  readonly subcommands?: ReadonlyMap<string, CommandSpec>;
  readonly parent?: CommandSpec;
  /** Facts the layers above derive from this spec, kept with it (see SpecMemo). */
  readonly memo: SpecMemo;
}

/**
 * What the hot path derives from a command's spec alone, computed on first use by its owner and
 * kept here, so a request reads a field instead of deriving it again (issue #22). A spec never
 * changes, so neither does what is derived from it; a new table comes with new specs.
 */
export interface SpecMemo {
  /** routing/router.ts fixedKeyIndex; -1 until computed. */
  fixedKeyIndex: number;
}

/** `error` is the full error reply text (without the leading '-' and CRLF), as bytes: it quotes the client's. */
export type Lookup = { ok: true; spec: CommandSpec } | { ok: false; error: Buffer };

/** A successful lookup of one spec, made once with the table: a lookup allocates nothing (issue #22). */
type Found = Readonly<Extract<Lookup, { ok: true }>>;

function found(spec: CommandSpec): Found {
  return Object.freeze({ ok: true, spec });
}

interface TableEntry {
  readonly spec: CommandSpec;
  readonly found: Found;
  /** Sub-commands by their own name, byte-addressable; undefined for plain commands. */
  readonly subcommandsByBytes?: AsciiCaseInsensitiveMap<Found>;
}

function hasUnknownKeys(command: GeneratedCommand, flags: ReadonlySet<string>): boolean {
  const specsIncomplete = command.keySpecs.some(
    (keySpec) => keySpec.beginSearch.type === 'unknown' || keySpec.findKeys.type === 'unknown' || keySpec.flags.includes('INCOMPLETE'),
  );
  // Movable keys with no spec at all: a getkeys callback only the server can run.
  return specsIncomplete || (flags.has('movablekeys') && command.keySpecs.length === 0);
}

function buildSpec(command: GeneratedCommand, parent: CommandSpec | undefined): CommandSpec {
  const flags = new Set(command.flags);
  const spec: { -readonly [K in keyof CommandSpec]: CommandSpec[K] } = {
    name: command.name,
    arity: command.arity,
    flags,
    isWrite: flags.has('write'),
    isReadonly: flags.has('readonly'),
    isBlocking: flags.has('blocking'),
    isPubsub: flags.has('pubsub'),
    isAdmin: flags.has('admin'),
    isNoscript: flags.has('noscript'),
    keysUnknown: hasUnknownKeys(command, flags),
    firstKey: command.firstKey,
    lastKey: command.lastKey,
    keyStep: command.keyStep,
    tips: command.tips,
    keySpecs: command.keySpecs,
    keyArgumentSpecs: command.keySpecs.filter((keySpec) => !keySpec.flags.includes('NOT_KEY')),
    aclCategories: command.aclCategories,
    memo: { fixedKeyIndex: -1 },
  };
  if (parent) spec.parent = parent;
  if (command.subcommands) {
    const subcommands = new Map<string, CommandSpec>();
    for (const sub of command.subcommands) {
      subcommands.set(sub.name.slice(sub.name.indexOf('|') + 1), buildSpec(sub, spec));
    }
    spec.subcommands = subcommands;
  }
  return spec;
}

/** Looked up like Redis's commands, but not listed by CommandTable.commands(). */
const proxyOnlyCommands: readonly GeneratedCommand[] = PROXY_ONLY_COMMANDS;

function hasValidArity(spec: CommandSpec, argc: number): boolean {
  return spec.arity > 0 ? argc === spec.arity : argc >= -spec.arity;
}

/**
 * One complete, immutable set of commands: the generated fallback, or a backend's own COMMAND
 * reply (live-command-table.ts). Never changed once built; a new table replaces it whole.
 */
export class CommandTable {
  private readonly topLevelSpecs: readonly CommandSpec[];
  private readonly specsByFullName = new Map<string, CommandSpec>();
  private readonly entriesByName: AsciiCaseInsensitiveMap<TableEntry>;

  /** @param source where the commands came from, for logs: `generated (redis 7.0.15)`, `backend 127.0.0.1:7000`. */
  constructor(
    commands: readonly GeneratedCommand[],
    readonly source: string,
  ) {
    this.topLevelSpecs = commands.map((command) => buildSpec(command, undefined));
    // A backend's own spec of a command it has (WAITAOF on 7.2) wins over slotgate's copy.
    const backendNames = new Set(commands.map((command) => command.name));
    const proxyOnly = proxyOnlyCommands.filter((command) => !backendNames.has(command.name));
    const everySpec = [...this.topLevelSpecs, ...proxyOnly.map((command) => buildSpec(command, undefined))];
    for (const spec of everySpec) {
      this.specsByFullName.set(spec.name, spec);
      for (const sub of spec.subcommands?.values() ?? []) this.specsByFullName.set(sub.name, sub);
    }
    const extraSubcommands = this.addProxyOnlySubcommands();
    this.entriesByName = new AsciiCaseInsensitiveMap<TableEntry>(
      everySpec.map((spec): [string, TableEntry] => [
        spec.name,
        spec.subcommands
          ? {
              spec,
              found: found(spec),
              subcommandsByBytes: new AsciiCaseInsensitiveMap(
                [...spec.subcommands, ...(extraSubcommands.get(spec.name) ?? [])].map(([name, sub]): [string, Found] => [name, found(sub)]),
              ),
            }
          : { spec, found: found(spec) },
      ]),
    );
  }

  /**
   * Newer sub-commands slotgate answers itself (CLIENT SETINFO), by container: found by lookup,
   * not listed. A backend whose own COMMAND reply has them (Redis 7.2+) keeps its own specs.
   */
  private addProxyOnlySubcommands(): Map<string, [string, CommandSpec][]> {
    const extra = new Map<string, [string, CommandSpec][]>();
    for (const command of PROXY_ONLY_SUBCOMMANDS) {
      const [containerName, subName] = command.name.split('|') as [string, string];
      const container = this.specsByFullName.get(containerName);
      if (!container?.subcommands || this.specsByFullName.has(command.name)) continue;
      const spec = buildSpec(command, container);
      this.specsByFullName.set(spec.name, spec);
      extra.set(containerName, [...(extra.get(containerName) ?? []), [subName, spec]]);
    }
    return extra;
  }

  /**
   * Resolves a request (args[0] is the command name) to its CommandSpec, descending into a
   * container's sub-command when there is a second argument — exactly Redis 7.0's rules: `OBJECT`
   * alone is the container (and fails its arity check), `OBJECT foo` is an unknown sub-command.
   */
  lookup(args: readonly Buffer[]): Lookup {
    const name = args[0];
    const entry = name === undefined ? undefined : this.entriesByName.get(name);
    if (entry === undefined) return { ok: false, error: unknownCommandError(args) };

    let result = entry.found;
    if (entry.subcommandsByBytes !== undefined && args.length >= 2) {
      const sub = entry.subcommandsByBytes.get(args[1]!);
      if (sub === undefined) return { ok: false, error: unknownSubcommandError(entry.spec.name, args[1]!) };
      result = sub;
    }
    if (!hasValidArity(result.spec, args.length)) return { ok: false, error: wrongArityError(result.spec.name) };
    return result;
  }

  /**
   * lookup() for a command without sub-commands whose name is bytes[start, start + length), given
   * its argument count: its spec when known, with a valid arity, else undefined (then lookup()
   * decides, and says why). The dispatcher's direct path, which reads the name by offset.
   */
  lookupPlain(bytes: Uint8Array, start: number, length: number, argc: number): CommandSpec | undefined {
    const entry = this.entriesByName.getIn(bytes, start, start + length);
    if (entry === undefined || entry.subcommandsByBytes !== undefined || !hasValidArity(entry.spec, argc)) return undefined;
    return entry.spec;
  }

  /** By full name, any case: `get`, `object|encoding`. */
  get(name: string): CommandSpec | undefined {
    return this.specsByFullName.get(name) ?? this.specsByFullName.get(name.toLowerCase());
  }

  /** The top-level commands, proxy-only ones excepted (sub-commands are reachable through `subcommands`). */
  commands(): readonly CommandSpec[] {
    return this.topLevelSpecs;
  }
}

/** The table slotgate was built with: used until a backend answers COMMAND, and whenever none does. */
export const FALLBACK_COMMAND_TABLE = new CommandTable(GENERATED_COMMANDS, `generated (redis ${GENERATED_FROM_REDIS_VERSION})`);

/**
 * The command table one slotgate instance looks requests up in: the fallback until the backend's
 * own COMMAND reply is read, then that (cluster/command-table-refresh.ts). It belongs to the
 * instance (ProxyContext.commands), so several slotgate instances in one process (the tests start
 * many) each follow their own backend. Replaced by one assignment, never changed in place: a
 * request sees one whole table, the old or the new.
 */
export class CommandCatalog {
  private table: CommandTable = FALLBACK_COMMAND_TABLE;

  get current(): CommandTable {
    return this.table;
  }

  install(table: CommandTable): void {
    this.table = table;
  }

  /** lookup() on the current table (see CommandTable.lookup). */
  lookup(args: readonly Buffer[]): Lookup {
    return this.table.lookup(args);
  }

  /** lookupPlain() on the current table. */
  lookupPlain(bytes: Uint8Array, start: number, length: number, argc: number): CommandSpec | undefined {
    return this.table.lookupPlain(bytes, start, length, argc);
  }

  /** By full name, any case: `get`, `object|encoding`. */
  get(name: string): CommandSpec | undefined {
    return this.table.get(name);
  }

  /** The top-level commands (sub-commands are reachable through `subcommands`). */
  all(): Iterable<CommandSpec> {
    return this.table.commands();
  }

  /** The names in `names` this table does not know (disable-command-list is checked against it). */
  unknown(names: readonly string[]): string[] {
    return names.filter((name) => this.table.get(name) === undefined);
  }
}

/** disable-command-list naming a command the backend does not know: a typo must not leave a command enabled. */
export function unknownDisabledCommand(name: string): string {
  return `option disable-command-list: '${name}' is not a Redis command (sub-commands are written container|sub, e.g. config|set)`;
}
