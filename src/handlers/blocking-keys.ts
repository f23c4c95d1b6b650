/**
 * What a blocking command waits on, for INFO clients' `total_blocking_keys`,
 * `total_blocking_keys_on_nokey` and `clients_in_timeout_table` (proxy-view/info.ts). Noted per
 * client connection when the command is routed (handlers/route.ts), and read only while that
 * client is blocked: a WeakMap keyed by the connection, so nothing is ever removed by hand and a
 * closed client's entry goes with it.
 */
import type { CommandSpec } from '../commands/command-table.js';
import { getKeyIndexes } from '../commands/key-extraction.js';

export interface BlockingCommand {
  /** The keys it waits on (latin1, as Redis compares bytes). */
  readonly keys: readonly string[];
  /** Woken with an error when a key is deleted (XREADGROUP), Redis's "unblock on nokey". */
  readonly onNokey: boolean;
  /** Has a timeout other than 0: Redis keeps it in its timeout table. */
  readonly withTimeout: boolean;
}

export type BlockingCommands = WeakMap<object, BlockingCommand>;

/** Commands whose timeout is their last argument; BLMPOP and BZMPOP take theirs first. */
const TIMEOUT_LAST = new Set(['blpop', 'brpop', 'bzpopmin', 'bzpopmax', 'brpoplpush', 'blmove']);
const TIMEOUT_FIRST = new Set(['blmpop', 'bzmpop']);

export function describeBlocking(spec: CommandSpec, args: readonly Buffer[]): BlockingCommand {
  const indexes = getKeyIndexes(spec, args);
  const keys = Array.isArray(indexes) ? indexes.map((i) => args[i]!.toString('latin1')) : [];
  return { keys, onNokey: spec.name === 'xreadgroup', withTimeout: timeoutOf(spec.name, args) !== 0 };
}

/** The timeout argument as a number; 0 (no timeout) when there is none or it does not parse. */
function timeoutOf(name: string, args: readonly Buffer[]): number {
  let value: Buffer | undefined;
  if (TIMEOUT_LAST.has(name)) value = args[args.length - 1];
  else if (TIMEOUT_FIRST.has(name)) value = args[1];
  else if (name === 'xread' || name === 'xreadgroup') {
    const at = args.findIndex((arg, i) => i > 0 && arg.length === 5 && arg.toString('latin1').toLowerCase() === 'block');
    value = at > 0 ? args[at + 1] : undefined;
  }
  const n = value === undefined ? 0 : Number(value.toString('latin1'));
  return Number.isFinite(n) ? n : 0;
}

/** What INFO clients reads of a client connection (Session's public state). */
export interface CountedClient {
  /** The connection handlers see: blocking commands are noted under it (handlers/route.ts). */
  readonly connection: { readonly watch: unknown; readonly subscriptions: { readonly active: boolean } };
  readonly isBlocked: boolean;
}

export interface ClientStateFigures {
  readonly watchingClients: number;
  readonly pubsubClients: number;
  readonly blockingKeys: number;
  readonly blockingKeysOnNokey: number;
  readonly clientsInTimeoutTable: number;
}

/** Counts as Redis does: clients per state, and distinct keys among the blocked clients' commands. */
export function countClientStates(clients: Iterable<CountedClient>, blocking: BlockingCommands): ClientStateFigures {
  let watchingClients = 0;
  let pubsubClients = 0;
  let clientsInTimeoutTable = 0;
  const keys = new Set<string>();
  const nokeyKeys = new Set<string>();
  for (const client of clients) {
    if (client.connection.watch !== null) watchingClients++;
    if (client.connection.subscriptions.active) pubsubClients++;
    const command = client.isBlocked ? blocking.get(client.connection) : undefined;
    if (!command) continue;
    if (command.withTimeout) clientsInTimeoutTable++;
    for (const key of command.keys) {
      keys.add(key);
      if (command.onNokey) nokeyKeys.add(key);
    }
  }
  return { watchingClients, pubsubClients, blockingKeys: keys.size, blockingKeysOnNokey: nokeyKeys.size, clientsInTimeoutTable };
}

/** ProxyContext's `blockedClientCount`, `blockingCommands` and `clientStates` over a process's client connections. */
export function clientStateCounters(clients: Iterable<CountedClient>): {
  blockedClientCount: () => number;
  blockingCommands: BlockingCommands;
  clientStates: () => ClientStateFigures;
} {
  const blockingCommands: BlockingCommands = new WeakMap();
  return {
    blockedClientCount: () => {
      let blocked = 0;
      for (const client of clients) if (client.isBlocked) blocked++;
      return blocked;
    },
    blockingCommands,
    clientStates: () => countClientStates(clients, blockingCommands),
  };
}
