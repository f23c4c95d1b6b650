// Generates src/commands/command-table.generated.ts from a real redis-server's own COMMAND reply,
// so slotgate's idea of arity, flags and key positions is exactly the server's.
//
// Usage: npm run gen:commands   (needs redis-server on PATH or REDIS_SERVER=/path/to/redis-server)
//
// It starts a throw-away redis-server (scripts/dev/redis-server.ts: free loopback port, own temp dir,
// no persistence), reads COMMAND, stops the server (always, also on failure or Ctrl-C), and writes a
// sorted, deterministic literal. Run through tsx (`node --import tsx`), like the other dev scripts.
//
// It FAILS (exit 1, naming the commands) when a command has movable keys or an incomplete key spec
// that the generic key-spec interpreter (src/commands/key-extraction.ts) cannot handle and that is
// not listed in OVERRIDDEN_COMMANDS in src/commands/overrides.ts — the ioredis approach: nobody
// silently routes a command whose keys we cannot find.

import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convertCommandReply } from '../src/commands/command-reply.js';
import type { BeginSearch, FindKeys, GeneratedCommand, KeySpec } from '../src/commands/key-spec.js';
import { startStandaloneRedis, withRedis } from './dev/redis-server.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outputPath = join(repoRoot, 'src/commands/command-table.generated.ts');
const overridesPath = join(repoRoot, 'src/commands/overrides.ts');

/** A COMMAND reply element as ioredis returns it: strings, numbers and nested arrays. */
type Raw = string | number | null | Raw[];

/**
 * What the generic interpreter understands: every spec begins by index or keyword and finds keys
 * by range or keynum, and no spec admits to being INCOMPLETE. Mirrors isGenericallyInterpretable()
 * in src/commands/key-extraction.ts.
 */
function isGenericallyInterpretable(command: GeneratedCommand): boolean {
  return command.keySpecs.every(
    (keySpec) =>
      keySpec.beginSearch.type !== 'unknown' &&
      keySpec.findKeys.type !== 'unknown' &&
      !keySpec.flags.includes('INCOMPLETE'),
  );
}

function needsKeyHandling(command: GeneratedCommand): boolean {
  return command.flags.includes('movablekeys') || command.keySpecs.some((keySpec) => keySpec.flags.includes('INCOMPLETE'));
}

/** Reads the plain string-literal array OVERRIDDEN_COMMANDS from overrides.ts (kept simple on purpose). */
export function readOverriddenCommandNames(source: string): Set<string> {
  const match = /export const OVERRIDDEN_COMMANDS = \[([^\]]*)\]/.exec(source);
  if (!match) throw new Error(`OVERRIDDEN_COMMANDS = [...] not found in ${overridesPath}`);
  return new Set([...match[1]!.matchAll(/'([^']+)'/g)].map((m) => m[1]!));
}

function flatten(commands: readonly GeneratedCommand[]): GeneratedCommand[] {
  return commands.flatMap((command) => [command, ...(command.subcommands ?? [])]);
}

export function findUnhandledCommands(commands: readonly GeneratedCommand[], overriddenNames: ReadonlySet<string>): string[] {
  return flatten(commands)
    .filter((command) => needsKeyHandling(command) && !isGenericallyInterpretable(command) && !overriddenNames.has(command.name))
    .map((command) => command.name);
}

// ---- rendering: one readable TypeScript literal ------------------------------------------------

const quote = (value: string): string => `'${String(value).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const list = (values: readonly string[]): string => `[${values.map(quote).join(', ')}]`;

function renderBeginSearch(beginSearch: BeginSearch): string {
  switch (beginSearch.type) {
    case 'index':
      return `{ type: 'index', index: ${beginSearch.index} }`;
    case 'keyword':
      return `{ type: 'keyword', keyword: ${quote(beginSearch.keyword)}, startFrom: ${beginSearch.startFrom} }`;
    default:
      return `{ type: 'unknown' }`;
  }
}

function renderFindKeys(findKeys: FindKeys): string {
  switch (findKeys.type) {
    case 'range':
      return `{ type: 'range', lastKey: ${findKeys.lastKey}, keyStep: ${findKeys.keyStep}, limit: ${findKeys.limit} }`;
    case 'keynum':
      return `{ type: 'keynum', keyNumIdx: ${findKeys.keyNumIdx}, firstKey: ${findKeys.firstKey}, keyStep: ${findKeys.keyStep} }`;
    default:
      return `{ type: 'unknown' }`;
  }
}

function renderKeySpec(keySpec: KeySpec, indent: string): string {
  const notes = keySpec.notes ? `,\n${indent}  notes: ${quote(keySpec.notes)}` : '';
  return (
    `{\n${indent}  flags: ${list(keySpec.flags)},\n` +
    `${indent}  beginSearch: ${renderBeginSearch(keySpec.beginSearch)},\n` +
    `${indent}  findKeys: ${renderFindKeys(keySpec.findKeys)}${notes},\n${indent}}`
  );
}

function renderCommand(command: GeneratedCommand, indent: string): string {
  const inner = `${indent}  `;
  const lines = [
    `${inner}name: ${quote(command.name)}, arity: ${command.arity},`,
    `${inner}flags: ${list(command.flags)},`,
    `${inner}firstKey: ${command.firstKey}, lastKey: ${command.lastKey}, keyStep: ${command.keyStep},`,
    `${inner}aclCategories: ${list(command.aclCategories)},`,
    `${inner}tips: ${list(command.tips)},`,
  ];
  if (command.keySpecs.length === 0) {
    lines.push(`${inner}keySpecs: [],`);
  } else {
    const specs = command.keySpecs.map((keySpec) => `${inner}  ${renderKeySpec(keySpec, `${inner}  `)},`);
    lines.push(`${inner}keySpecs: [`, ...specs, `${inner}],`);
  }
  if (command.subcommands) {
    lines.push(`${inner}subcommands: [`, ...command.subcommands.map((sub) => renderCommand(sub, `${inner}  `)), `${inner}],`);
  }
  return `${indent}{\n${lines.join('\n')}\n${indent}},`;
}

function renderFile(commands: readonly GeneratedCommand[], redisVersion: string): string {
  return `// GENERATED FILE, DO NOT EDIT. Regenerate with \`npm run gen:commands\`.
// Generated by scripts/generate-command-table.ts from the COMMAND reply of redis-server ${redisVersion}.
// Commands and sub-commands are sorted by name; flags, ACL categories and tips are sorted too, so a
// regeneration against the same server version is byte-for-byte identical.

import type { GeneratedCommand } from './key-spec.js';

export const GENERATED_FROM_REDIS_VERSION = ${quote(redisVersion)};

export const GENERATED_COMMANDS: readonly GeneratedCommand[] = [
${commands.map((command) => renderCommand(command, '  ')).join('\n')}
];
`;
}

// ---- main --------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const server = await startStandaloneRedis();
  try {
    const { redisVersion, reply } = await withRedis(server.host, server.port, async (client) => {
      const info = String(await client.info('server'));
      return { redisVersion: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown', reply: (await client.call('COMMAND')) as Raw[] };
    });
    // The same reader as the live table (src/commands/command-reply.ts), so both see the same commands.
    const commands = convertCommandReply(reply);

    const overridden = readOverriddenCommandNames(readFileSync(overridesPath, 'utf8'));
    const unhandled = findUnhandledCommands(commands, overridden);
    if (unhandled.length > 0) {
      console.error(
        `generate-command-table: these commands have movable keys or incomplete key specs that the generic ` +
          `key-spec interpreter cannot handle; add them to OVERRIDDEN_COMMANDS in src/commands/overrides.ts ` +
          `(with an extractor): ${unhandled.join(', ')}`,
      );
      process.exitCode = 1;
      return;
    }
    const staleOverrides = [...overridden].filter((name) => !flatten(commands).some((command) => command.name === name));
    if (staleOverrides.length > 0) {
      console.warn(`generate-command-table: overrides for commands this server does not have: ${staleOverrides.join(', ')}`);
    }

    writeFileSync(outputPath, renderFile(commands, redisVersion));
    console.log(`generate-command-table: wrote ${flatten(commands).length} commands from redis ${redisVersion} to ${outputPath}`);
  } finally {
    await server.stop();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(`generate-command-table: ${error instanceof Error ? error.stack : error}`);
    process.exitCode = 1;
  });
}
