/**
 * The live, reloadable part of a running slotgate, as sessions use it: who may sign in,
 * which commands are disabled, where reads go. Sessions read `ctx.runtime` for every
 * command, so a reload is one assignment of a new Runtime — nothing is patched in place,
 * and a session never sees half of an old configuration and half of a new one.
 *
 * What a reload changes for OPEN sessions: the disabled commands and read routing at once;
 * accounts not at all (a session keeps the Account it signed in with, README: *Accounts, read/write splitting, disabled commands, reload*).
 */
import { AccountDirectory } from '../auth/accounts.js';
import { ReplicaReads } from '../routing/replica-reads.js';
import type { ReloadableSettings } from './reloadable-options.js';

export interface Runtime {
  readonly settings: ReloadableSettings;
  readonly accounts: AccountDirectory;
  /** Full command name → the name shown in `-ERR command '…' is disabled`. */
  readonly disabledCommands: ReadonlyMap<string, string>;
  readonly replicaReads: ReplicaReads;
}

export function buildRuntime(settings: ReloadableSettings): Runtime {
  return {
    settings,
    accounts: new AccountDirectory(settings.requirepass, settings.accounts),
    disabledCommands: new Map(settings.disabledCommands.map((name) => [name, name])),
    replicaReads: new ReplicaReads(settings.readRouting),
  };
}
