#!/usr/bin/env node
// Generates src/commands/command-table.generated.ts from a real redis-server's own COMMAND reply,
// so slotgate's idea of arity, flags and key positions is exactly the server's.
//
// Usage: npm run gen:commands   (needs redis-server on PATH or REDIS_SERVER=/path/to/redis-server)
//
// It starts a throw-away redis-server (free loopback port, own temp dir, no persistence), reads
// COMMAND, stops the server (always, also on failure), and writes a sorted, deterministic literal.
//
// It FAILS (exit 1, naming the commands) when a command has movable keys or an incomplete key spec
// that the generic key-spec interpreter (src/commands/key-extraction.ts) cannot handle and that is
// not listed in OVERRIDDEN_COMMANDS in src/commands/overrides.ts — the ioredis approach: nobody
// silently routes a command whose keys we cannot find.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Redis from 'ioredis';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outputPath = join(repoRoot, 'src/commands/command-table.generated.ts');
const overridesPath = join(repoRoot, 'src/commands/overrides.ts');
const redisServerBinary = process.env.REDIS_SERVER ?? 'redis-server';

/** Asks the kernel for a free loopback port (tiny race window, acceptable for a dev script). */
function findFreePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

async function waitUntilReady(port, child) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited early with code ${child.exitCode}`);
    const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => {}); // connection refused while the server starts: connect() rejects too
    try {
      await client.connect();
      await client.ping();
      return client;
    } catch (error) {
      client.disconnect();
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Redis replies with flat [name, value, name, value…] maps; turn one into an object. */
function pairsToObject(pairs) {
  const result = {};
  for (let i = 0; i + 1 < pairs.length; i += 2) result[String(pairs[i])] = pairs[i + 1];
  return result;
}

function convertBeginSearch(raw) {
  const { type, spec } = pairsToObject(raw);
  const fields = pairsToObject(spec ?? []);
  switch (type) {
    case 'index':
      return { type: 'index', index: Number(fields.index) };
    case 'keyword':
      return { type: 'keyword', keyword: String(fields.keyword), startFrom: Number(fields.startfrom) };
    default:
      return { type: 'unknown' };
  }
}

function convertFindKeys(raw) {
  const { type, spec } = pairsToObject(raw);
  const fields = pairsToObject(spec ?? []);
  switch (type) {
    case 'range':
      return { type: 'range', lastKey: Number(fields.lastkey), keyStep: Number(fields.keystep), limit: Number(fields.limit) };
    case 'keynum':
      return { type: 'keynum', keyNumIdx: Number(fields.keynumidx), firstKey: Number(fields.firstkey), keyStep: Number(fields.keystep) };
    default:
      return { type: 'unknown' };
  }
}

function convertKeySpec(raw) {
  const fields = pairsToObject(raw);
  const keySpec = {
    // Upper case, like Redis's own CMD_KEY_* names: RO RW OW RM ACCESS UPDATE INSERT DELETE NOT_KEY INCOMPLETE VARIABLE_FLAGS
    flags: (fields.flags ?? []).map((flag) => String(flag).toUpperCase()),
    beginSearch: convertBeginSearch(fields.begin_search),
    findKeys: convertFindKeys(fields.find_keys),
  };
  if (fields.notes) keySpec.notes = String(fields.notes);
  return keySpec;
}

function convertCommand(raw) {
  const [name, arity, flags, firstKey, lastKey, keyStep, aclCategories, tips, keySpecs, subcommands] = raw;
  const command = {
    name: String(name).toLowerCase(),
    arity: Number(arity),
    flags: flags.map(String).sort(),
    firstKey: Number(firstKey),
    lastKey: Number(lastKey),
    keyStep: Number(keyStep),
    aclCategories: (aclCategories ?? []).map(String).sort(),
    tips: (tips ?? []).map(String).sort(),
    keySpecs: (keySpecs ?? []).map(convertKeySpec),
  };
  if (subcommands && subcommands.length > 0) {
    command.subcommands = subcommands.map(convertCommand).sort((a, b) => compareNames(a.name, b.name));
  }
  return command;
}

function compareNames(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * What the generic interpreter understands: every spec begins by index or keyword and finds keys
 * by range or keynum, and no spec admits to being INCOMPLETE. Mirrors isGenericallyInterpretable()
 * in src/commands/key-extraction.ts.
 */
function isGenericallyInterpretable(command) {
  return command.keySpecs.every(
    (keySpec) =>
      keySpec.beginSearch.type !== 'unknown' &&
      keySpec.findKeys.type !== 'unknown' &&
      !keySpec.flags.includes('INCOMPLETE'),
  );
}

function needsKeyHandling(command) {
  return command.flags.includes('movablekeys') || command.keySpecs.some((keySpec) => keySpec.flags.includes('INCOMPLETE'));
}

/** Reads the plain string-literal array OVERRIDDEN_COMMANDS from overrides.ts (kept simple on purpose). */
export function readOverriddenCommandNames(source) {
  const match = /export const OVERRIDDEN_COMMANDS = \[([^\]]*)\]/.exec(source);
  if (!match) throw new Error(`OVERRIDDEN_COMMANDS = [...] not found in ${overridesPath}`);
  return new Set([...match[1].matchAll(/'([^']+)'/g)].map((m) => m[1]));
}

function flatten(commands) {
  return commands.flatMap((command) => [command, ...(command.subcommands ?? [])]);
}

export function findUnhandledCommands(commands, overriddenNames) {
  return flatten(commands)
    .filter((command) => needsKeyHandling(command) && !isGenericallyInterpretable(command) && !overriddenNames.has(command.name))
    .map((command) => command.name);
}

// ---- rendering: one readable TypeScript literal ------------------------------------------------

const quote = (value) => `'${String(value).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const list = (values) => `[${values.map(quote).join(', ')}]`;

function renderBeginSearch(beginSearch) {
  switch (beginSearch.type) {
    case 'index':
      return `{ type: 'index', index: ${beginSearch.index} }`;
    case 'keyword':
      return `{ type: 'keyword', keyword: ${quote(beginSearch.keyword)}, startFrom: ${beginSearch.startFrom} }`;
    default:
      return `{ type: 'unknown' }`;
  }
}

function renderFindKeys(findKeys) {
  switch (findKeys.type) {
    case 'range':
      return `{ type: 'range', lastKey: ${findKeys.lastKey}, keyStep: ${findKeys.keyStep}, limit: ${findKeys.limit} }`;
    case 'keynum':
      return `{ type: 'keynum', keyNumIdx: ${findKeys.keyNumIdx}, firstKey: ${findKeys.firstKey}, keyStep: ${findKeys.keyStep} }`;
    default:
      return `{ type: 'unknown' }`;
  }
}

function renderKeySpec(keySpec, indent) {
  const notes = keySpec.notes ? `,\n${indent}  notes: ${quote(keySpec.notes)}` : '';
  return (
    `{\n${indent}  flags: ${list(keySpec.flags)},\n` +
    `${indent}  beginSearch: ${renderBeginSearch(keySpec.beginSearch)},\n` +
    `${indent}  findKeys: ${renderFindKeys(keySpec.findKeys)}${notes},\n${indent}}`
  );
}

function renderCommand(command, indent) {
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

function renderFile(commands, redisVersion) {
  return `// GENERATED FILE, DO NOT EDIT. Regenerate with \`npm run gen:commands\`.
// Generated by scripts/generate-command-table.mjs from the COMMAND reply of redis-server ${redisVersion}.
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

async function main() {
  const port = await findFreePort();
  const workDir = mkdtempSync(join(tmpdir(), 'slotgate-gen-'));
  const child = spawn(
    redisServerBinary,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', workDir],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const stopServer = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(workDir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => { stopServer(); process.exit(130); });
  process.once('SIGTERM', () => { stopServer(); process.exit(143); });

  let client;
  try {
    await new Promise((resolveSpawn, reject) => {
      child.once('spawn', resolveSpawn);
      child.once('error', reject);
    });
    client = await waitUntilReady(port, child);
    const info = String(await client.info('server'));
    const redisVersion = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
    const reply = await client.call('COMMAND');
    const commands = reply.map(convertCommand).sort((a, b) => compareNames(a.name, b.name));

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
    client?.disconnect();
    stopServer();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(`generate-command-table: ${error instanceof Error ? error.stack : error}`);
    process.exitCode = 1;
  });
}
