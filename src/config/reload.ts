/**
 * Reloading the configuration of a running slotgate (SIGHUP, POST /v1/reload).
 *
 * The file (and the flags and env the process started with) are resolved again exactly as
 * at start. A configuration with any error is rejected as a whole: the running one stays,
 * and one log line says why. Otherwise the reloadable part becomes the new Runtime in one
 * assignment. Options that need a restart (port, cluster, …) are not applied; the log line
 * names those that changed. Logged: account NAMES and command names, never a password.
 */
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
}

export function reloadConfiguration(target: ReloadTarget, load: () => SlotgateConfig): ReloadOutcome {
  let next: SlotgateConfig;
  try {
    next = load();
  } catch (err) {
    // ConfigError messages name options, never values of secrets (see config-error.ts).
    const error = (err as Error).message;
    target.metrics.configReloads.labels('rejected').inc();
    target.logger.error({ error }, 'configuration reload rejected; the running configuration stays');
    return { ok: false, error };
  }
  target.runtime = buildRuntime(next.reloadable);
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
    if (key === 'reloadable') continue;
    if (JSON.stringify(running[key]) !== JSON.stringify(next[key])) changed.push(key);
  }
  return changed;
}
