/**
 * May this session run this command? Checked by the session for every request after the
 * command-table lookup and BEFORE routing, queueing in MULTI or local handling — so a
 * refused command never reaches a backend, whatever node suffix or fan-out it would get.
 *
 * Order, as Redis's processCommand has it: unknown command / arity (the lookup, before
 * this) → not signed in (NOAUTH) → disabled (README: *Accounts, read/write splitting, disabled commands, reload*) → permission (NOPERM).
 */
import type { CommandSpec } from '../commands/command-table.js';
import * as errors from '../errors/catalogue.js';
import type { ErrorReply } from '../errors/catalogue.js';
import { permits, type Account, type Permission } from './accounts.js';

/** README: *Accounts, read/write splitting, disabled commands, reload*: until signed in, only these (Redis would allow RESET too; slotgate keeps it behind sign-in). */
const ALLOWED_BEFORE_AUTH = new Set(['auth', 'hello', 'ping', 'quit']);

/**
 * Which permission a command needs (README: *Accounts, read/write splitting, disabled commands, reload*), decided from the command table so that every
 * command, sub-commands included, has exactly one answer:
 *
 *  - `admin` — operator commands:
 *      · every command Redis flags `admin` (its @admin ACL category): CONFIG SET/GET/RESETSTAT/
 *        REWRITE, SLOWLOG, CLIENT KILL/LIST/PAUSE/UNPAUSE/NO-EVICT/UNBLOCK, MONITOR, DEBUG, ACL
 *        SETUSER/…, LATENCY, SHUTDOWN, FAILOVER, REPLICAOF, SAVE/BGSAVE, MODULE, CLUSTER
 *        administration; and slotgate's IMONITOR, which carries the flag too. They change or
 *        stop the servers, or show what other accounts run (MONITOR, SLOWLOG GET, CLIENT LIST)
 *        and how the nodes are set up (CONFIG GET);
 *      · and what Redis flags only `write` or @dangerous although it acts on everything every
 *        account shares, not on the keys a command names: FLUSHALL, FLUSHDB, SWAPDB, and the
 *        script/function cache and runs — SCRIPT FLUSH/KILL, FUNCTION FLUSH/DELETE/KILL/RESTORE.
 *  - `read-write` — the rest of the commands flagged `write`, and EVAL/EVALSHA/FCALL, which may
 *    write whatever their script does (their `_RO` forms are flagged readonly).
 *  - `read-only` — everything else (reads, INFO, CLUSTER SLOTS/NODES, CLIENT SETNAME, PING …).
 *
 * The check is on the command itself: the session splits a node suffix off before looking the
 * command up, so `FLUSHALL @0` needs what FLUSHALL needs.
 */
const ADMIN_WITHOUT_ADMIN_FLAG: ReadonlySet<string> = new Set([
  'flushall', 'flushdb', 'swapdb',
  'script|flush', 'script|kill',
  'function|flush', 'function|delete', 'function|kill', 'function|restore',
]);
const WRITES_WITHOUT_WRITE_FLAG: ReadonlySet<string> = new Set(['eval', 'evalsha', 'fcall']);

export function requiredPermission(spec: CommandSpec): Permission {
  if (spec.isAdmin || ADMIN_WITHOUT_ADMIN_FLAG.has(spec.name)) return 'admin';
  if (spec.isWrite || WRITES_WITHOUT_WRITE_FLAG.has(spec.name)) return 'read-write';
  return 'read-only';
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
  // admin includes every level: nothing to look up (the default account's case, on every request).
  if (account !== null && account.permission !== 'admin' && !permits(account.permission, requiredPermission(spec))) return errors.noPermission(spec.name);
  return null;
}
