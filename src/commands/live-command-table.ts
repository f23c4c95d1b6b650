// The command table as the backend itself describes it: built from a node's COMMAND reply, so
// commands newer than the generated table (HEXPIRE on Redis 7.4) and module commands (FT.SEARCH,
// JSON.GET) are known, with the backend's own arity, flags and key specs.
//
// What stays slotgate's own whatever the backend says: the hand-written key extraction of
// overrides.ts (looked up by name, so it keeps winning over live key specs), the proxy-only
// commands (IMONITOR), and the registry's refusals and handlers (also by name).

import { CommandTable, FALLBACK_COMMAND_TABLE } from './command-table.js';
import { convertCommandReply, type CommandReplyValue } from './command-reply.js';
import type { GeneratedCommand } from './key-spec.js';

/**
 * Redis 6.x's COMMAND entries stop after the ACL categories (no tips, key specs or sub-commands):
 * their key positions are the legacy triple, which cannot describe ZUNIONSTORE's numkeys or
 * XREAD's STREAMS. For a command the generated table also knows, its key specs are the better
 * description of where that command's keys are.
 */
function isPreKeySpecReply(reply: CommandReplyValue): boolean {
  return Array.isArray(reply) && reply.some((entry) => Array.isArray(entry) && entry.length <= 8);
}

function withGeneratedKeySpecs(command: GeneratedCommand): GeneratedCommand {
  const known = FALLBACK_COMMAND_TABLE.get(command.name);
  return known ? { ...command, keySpecs: known.keySpecs } : command;
}

/** The commands of a COMMAND reply, ready for a CommandTable; empty when the reply holds none. */
export function commandsFromReply(reply: CommandReplyValue): GeneratedCommand[] {
  const commands = convertCommandReply(reply);
  return isPreKeySpecReply(reply) ? commands.map(withGeneratedKeySpecs) : commands;
}

/** A table of exactly the commands the backend reported; null when the reply is not a command list. */
export function buildLiveCommandTable(reply: CommandReplyValue, source: string): CommandTable | null {
  const commands = commandsFromReply(reply);
  return commands.length === 0 ? null : new CommandTable(commands, source);
}
