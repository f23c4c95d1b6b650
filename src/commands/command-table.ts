// The command table: Redis's own metadata (command-table.generated.ts) turned into CommandSpec
// objects, and lookupCommand(), which resolves a request's name (and sub-command) and checks its
// arity exactly like Redis 7.0's processCommand does, with the same error texts.
//
// Hot path: lookupCommand() reads the name bytes straight from the request (no per-call string),
// through AsciiCaseInsensitiveMap; CommandSpec carries boolean shortcuts so routing checks are
// property reads, not Set lookups.

import { AsciiCaseInsensitiveMap } from './byte-name-map.js';
import { GENERATED_COMMANDS } from './command-table.generated.js';
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
  readonly firstKey: number;
  readonly lastKey: number;
  readonly keyStep: number;
  /** Redis command tips, e.g. `request_policy:all_shards`, `response_policy:agg_sum`. */
  readonly tips: readonly string[];
  readonly keySpecs: readonly KeySpec[];
  /** As Redis names them, e.g. `@read`, `@string`. */
  readonly aclCategories: readonly string[];
  /** Keyed by the sub-command's own name (`encoding`), for container commands like OBJECT. */
  readonly subcommands?: ReadonlyMap<string, CommandSpec>;
  readonly parent?: CommandSpec;
}

/** `error` is the full error reply text (without the leading '-' and CRLF), as bytes: it quotes the client's. */
export type Lookup = { ok: true; spec: CommandSpec } | { ok: false; error: Buffer };

interface TableEntry {
  readonly spec: CommandSpec;
  /** Sub-commands by their own name, byte-addressable; undefined for plain commands. */
  readonly subcommandsByBytes?: AsciiCaseInsensitiveMap<CommandSpec>;
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
    firstKey: command.firstKey,
    lastKey: command.lastKey,
    keyStep: command.keyStep,
    tips: command.tips,
    keySpecs: command.keySpecs,
    aclCategories: command.aclCategories,
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

const topLevelSpecs: readonly CommandSpec[] = GENERATED_COMMANDS.map((command) => buildSpec(command, undefined));
/** Looked up like Redis's commands, but not listed by allCommands(). */
const proxyOnlySpecs: readonly CommandSpec[] = PROXY_ONLY_COMMANDS.map((command) => buildSpec(command, undefined));

const specsByFullName = new Map<string, CommandSpec>();
for (const spec of [...topLevelSpecs, ...proxyOnlySpecs]) {
  specsByFullName.set(spec.name, spec);
  for (const sub of spec.subcommands?.values() ?? []) specsByFullName.set(sub.name, sub);
}

/** Newer sub-commands slotgate answers itself (CLIENT SETINFO), by container: found by lookup, not listed. */
const extraSubcommands = new Map<string, [string, CommandSpec][]>();
for (const command of PROXY_ONLY_SUBCOMMANDS) {
  const [containerName, subName] = command.name.split('|') as [string, string];
  const container = specsByFullName.get(containerName);
  if (!container?.subcommands) throw new Error(`proxy-only sub-command ${command.name} has no container in the table`);
  const spec = buildSpec(command, container);
  specsByFullName.set(spec.name, spec);
  extraSubcommands.set(containerName, [...(extraSubcommands.get(containerName) ?? []), [subName, spec]]);
}

const entriesByName = new AsciiCaseInsensitiveMap<TableEntry>(
  [...topLevelSpecs, ...proxyOnlySpecs].map((spec): [string, TableEntry] => [
    spec.name,
    spec.subcommands
      ? { spec, subcommandsByBytes: new AsciiCaseInsensitiveMap([...spec.subcommands, ...(extraSubcommands.get(spec.name) ?? [])]) }
      : { spec },
  ]),
);

function hasValidArity(spec: CommandSpec, argc: number): boolean {
  return spec.arity > 0 ? argc === spec.arity : argc >= -spec.arity;
}

/**
 * Resolves a request (args[0] is the command name) to its CommandSpec, descending into a
 * container's sub-command when there is a second argument — exactly Redis 7.0's rules: `OBJECT`
 * alone is the container (and fails its arity check), `OBJECT foo` is an unknown sub-command.
 */
export function lookupCommand(args: readonly Buffer[]): Lookup {
  const name = args[0];
  const entry = name === undefined ? undefined : entriesByName.get(name);
  if (entry === undefined) return { ok: false, error: unknownCommandError(args) };

  let spec = entry.spec;
  if (entry.subcommandsByBytes !== undefined && args.length >= 2) {
    const sub = entry.subcommandsByBytes.get(args[1]!);
    if (sub === undefined) return { ok: false, error: unknownSubcommandError(entry.spec.name, args[1]!) };
    spec = sub;
  }
  if (!hasValidArity(spec, args.length)) return { ok: false, error: wrongArityError(spec.name) };
  return { ok: true, spec };
}

/** By full name, any case: `get`, `object|encoding`. */
export function getCommandSpec(name: string): CommandSpec | undefined {
  return specsByFullName.get(name) ?? specsByFullName.get(name.toLowerCase());
}

/** The top-level commands (sub-commands are reachable through `subcommands`). */
export function allCommands(): Iterable<CommandSpec> {
  return topLevelSpecs;
}
