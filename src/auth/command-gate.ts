/**
 * May this session run this command? Checked by the session for every request after the
 * command-table lookup and BEFORE routing, queueing in MULTI or local handling — so a
 * refused command never reaches a backend, whatever node suffix or fan-out it would get.
 *
 * Order, as Redis's processCommand has it: unknown command / arity (the lookup, before
 * this) → not signed in (NOAUTH) → disabled (SPEC §8) → permission (NOPERM).
 */
import type { CommandSpec } from '../commands/command-table.js';
import * as errors from '../errors/catalogue.js';
import type { ErrorReply } from '../errors/catalogue.js';
import type { Account } from './accounts.js';

/** SPEC §7: until signed in, only these (RESET too would be Redis's choice; the SPEC says no). */
const ALLOWED_BEFORE_AUTH = new Set(['auth', 'hello', 'ping', 'quit']);

/**
 * Commands a read-only account may not run although the command table does not flag them
 * `write`: scripts and functions may write whatever they like (their `_ro` variants are
 * flagged readonly and stay allowed), and CONFIG SET changes the servers themselves.
 */
const WRITES_WITHOUT_WRITE_FLAG = new Set(['eval', 'evalsha', 'fcall', 'config|set']);

export function writesData(spec: CommandSpec): boolean {
  return spec.isWrite || WRITES_WITHOUT_WRITE_FLAG.has(spec.name);
}

/**
 * The error to answer with, or null when the command may run.
 * @param account null while the connection is not signed in
 * @param disabledCommands full command name (`keys`, `config|set`) → name to show in the error
 */
export function commandRefusal(account: Account | null, disabledCommands: ReadonlyMap<string, string>, spec: CommandSpec): ErrorReply | null {
  const top = spec.parent ?? spec;
  if (account === null && !ALLOWED_BEFORE_AUTH.has(top.name)) return errors.NOAUTH;
  if (disabledCommands.size > 0) {
    const disabledAs = disabledCommands.get(top.name) ?? (spec.parent ? disabledCommands.get(spec.name) : undefined);
    if (disabledAs !== undefined) return errors.commandDisabled(disabledAs);
  }
  if (account !== null && account.permission === 'read-only' && writesData(spec)) return errors.noPermission(spec.name);
  return null;
}
