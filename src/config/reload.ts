/**
 * Reloading the configuration of a running slotgate (SIGHUP, POST /v1/reload).
 *
 * The file (and the flags and env the process started with) are resolved again exactly as
 * at start. A configuration with any error is rejected as a whole: the running one stays,
 * and one log line says why. Otherwise the reloadable part becomes the new Runtime in one
 * assignment. Options that need a restart (port, cluster, …) are not applied; the log line
 * names those that changed. Logged: account NAMES and command names, never a password.
 */
import { ConfigError } from './config-error.js';
import { unknownDisabledCommand, type CommandCatalog } from '../commands/command-table.js';
import type { Logger } from 'pino';
import type { Metrics } from '../observability/metrics.js';
import type { SlotgateConfig } from './config.js';
import { buildRuntime, type Runtime } from './runtime.js';

export type ReloadOutcome =
  | { readonly ok: true; readonly restartNeededFor: readonly string[] }
  | { readonly ok: false; readonly error: string };

/** What a reload needs of the running proxy (the ProxyContext has all of it). */
export interface ReloadTarget {
  readonly config: SlotgateConfig;
  runtime: Runtime;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** The live command table: disable-command-list is checked against it. */
  readonly commands: CommandCatalog;
}

/**
 * Reads what the new configuration needs from outside (certificate files) and returns the function
 * that puts it in force; throws when something is wrong, which rejects the reload as a whole.
 */
export type PrepareReload = (next: SlotgateConfig) => () => void;

export function reloadConfiguration(target: ReloadTarget, load: () => SlotgateConfig, prepare?: PrepareReload): ReloadOutcome {
  let next: SlotgateConfig;
  let applyPrepared: () => void = () => undefined;
  try {
    next = load();
    checkDisabledCommands(target.commands, next);
    if (prepare) applyPrepared = prepare(next);
  } catch (err) {
    // ConfigError messages name options, never values of secrets (see config-error.ts).
    const error = (err as Error).message;
    target.metrics.configReloads.labels('rejected').inc();
    target.logger.error({ error }, 'configuration reload rejected; the running configuration stays');
    return { ok: false, error };
  }
  target.runtime = buildRuntime(next.reloadable);
  target.metrics.slowCommands.configure(next.reloadable.slowlog.slowerThanMicros, next.reloadable.slowlog.maxLen);
  applyPrepared();
  const restartNeededFor = changedStartupOptions(target.config, next);
  target.metrics.configReloads.labels('applied').inc();
  const settings = next.reloadable;
  target.logger.info(
    {
      passwordless: settings.requirepass === null,
      accounts: settings.accounts.map((a) => a.name),
      disabledCommands: settings.disabledCommands,
      replicaRead: settings.readRouting.replicaRead,
      readLocalNodeOnly: settings.readRouting.readLocalNodeOnly,
      zone: settings.readRouting.zone,
      backendUser: next.backendAuth ? next.backendAuth.user ?? 'default' : null,
      restartNeededFor,
    },
    'configuration reloaded; account changes apply to new connections',
  );
  return { ok: true, restartNeededFor };
}

/** Options outside `reloadable` whose value changed: they take effect only after a restart. */
function changedStartupOptions(running: SlotgateConfig, next: SlotgateConfig): string[] {
  const changed: string[] = [];
  for (const key of Object.keys(running) as (keyof SlotgateConfig)[]) {
    if (key === 'reloadable' || RELOADED_CONNECTION_OPTIONS.has(key)) continue;
    if (JSON.stringify(running[key]) !== JSON.stringify(next[key])) changed.push(key);
  }
  // The TLS listener's certificate files are re-read; its port and client-certificate policy are
  // not. Backend TLS files are re-read too, but turning backend TLS on or off needs a restart.
  const listener = (config: SlotgateConfig) => JSON.stringify(config.tls ? [config.tls.port, config.tls.authClients] : null);
  if (listener(running) !== listener(next)) changed.push('tls');
  if ((running.backendTls === null) !== (next.backendTls === null)) changed.push('backendTls');
  return changed;
}

/** Applied by the reload itself (new backend connections, new TLS handshakes): see server.ts. */
const RELOADED_CONNECTION_OPTIONS = new Set<keyof SlotgateConfig>(['backendAuth', 'backendTls', 'tls']);

/**
 * disable-command-list against the backend's own command table (a module's commands included):
 * a name it does not know is a typo that would leave a command the operator meant to disable
 * enabled. Checked when the live table is there: at start once it is read, at every reload.
 */
export function checkDisabledCommands(commands: CommandCatalog, config: SlotgateConfig): void {
  const unknown = commands.unknown(config.reloadable.disabledCommands);
  if (unknown.length > 0) throw new ConfigError(unknownDisabledCommand(unknown[0]!));
}
