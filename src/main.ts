#!/usr/bin/env node
/**
 * The slotgate command: parse options (flags > SLOTGATE_* env > config file >
 * defaults), start one proxy instance, reload on SIGHUP, drain and stop on SIGINT/SIGTERM.
 */
import { buildCli, ConfigError, resolveConfig } from './config/config.js';
import { describeUnknownVariable, unknownEnvironmentVariables } from './config/environment-check.js';
import { createLogger, type Logger } from './observability/logger.js';
import { isWorkerProcess, prepareWorkerMetrics, runPrimary, serveWorker, workerAdminListen } from './process/workers.js';
import { workerPorts } from './process/reuse-port.js';
import { SLOTGATE_VERSION } from './proxy-view/identity.js';
import { startSlotgate } from './server.js';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(await buildCli([], process.env).getHelp());
    return;
  }
  if (argv.includes('--version') || argv.includes('-v')) {
    console.log(`slotgate ${SLOTGATE_VERSION}`);
    return;
  }
  let config;
  try {
    config = resolveConfig(argv, process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`slotgate: ${err.message}\nRun 'slotgate --help' for the options.`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel, undefined, config.logFormat);
  exitOnUncaughtFault(logger);
  const worker = isWorkerProcess();
  // Workers inherit the environment: the primary (or the single process) warns once.
  if (!worker) for (const unknown of unknownEnvironmentVariables(process.env)) logger.warn({ variable: unknown.variable, closest: unknown.closest ?? undefined }, describeUnknownVariable(unknown));
  if (worker) prepareWorkerMetrics();
  if (config.workers > 1 && !worker) return runPrimary(config, argv, logger);
  // A reload resolves the same flags and env again, so it re-reads the config file.
  const proxy = await startSlotgate(config, {
    logger,
    loadConfig: () => resolveConfig(argv, process.env),
    ...(worker ? { adminListen: workerAdminListen(), reusePorts: workerPorts() } : {}),
  });
  if (worker) serveWorker(proxy);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // Drain first (answers owed, then connections closed, up to shutdown-timeout), then stop.
    proxy
      .drain(config.shutdownTimeoutMs)
      .then(() => proxy.close())
      .then(
        () => logger.flush(() => process.exit(0)),
        (err: Error) => {
          logger.error({ err }, 'shutdown failed');
          logger.flush(() => process.exit(1));
        },
      );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // SIGHUP: reload accounts, disable-command-list and read routing (reload() logs the outcome).
  // A worker is reloaded by its primary instead.
  if (!worker) process.on('SIGHUP', () => proxy.reload());
}

/**
 * The last line of defence. Every command runs inside a guard that fails that command alone, so
 * an exception reaching this point is a bug outside any command (a timer, a socket event): the
 * process state can no longer be trusted. Log it with everything known, then exit with 70
 * (EX_SOFTWARE) so the supervisor starts a fresh one: the primary with `--workers`, or the
 * container's restart policy (compose `restart: unless-stopped`) / systemd `Restart=on-failure`.
 */
function exitOnUncaughtFault(logger: Logger): void {
  const fatal = (err: unknown, origin: string) => {
    logger.fatal({ err, origin }, 'uncaught exception: slotgate is exiting so that its supervisor restarts it');
    logger.flush(() => process.exit(70));
    setTimeout(() => process.exit(70), 1000).unref();
  };
  process.on('uncaughtException', (err, origin) => fatal(err, origin));
  process.on('unhandledRejection', (reason) => fatal(reason, 'unhandledRejection'));
}

main().catch((err: Error) => {
  console.error(`slotgate: ${err.message}`);
  process.exit(1);
});
