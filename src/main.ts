#!/usr/bin/env node
/**
 * The slotgate command: parse options (flags > SLOTGATE_* env > config file >
 * defaults), start one proxy instance, reload on SIGHUP, stop cleanly on SIGINT/SIGTERM.
 */
import { buildCli, ConfigError, resolveConfig } from './config/config.js';
import { createLogger } from './observability/logger.js';
import { isWorkerProcess, runPrimary, serveWorker, workerAdminListen } from './process/workers.js';
import { startSlotgate } from './server.js';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(await buildCli([], process.env).getHelp());
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
  const logger = createLogger(config.logLevel);
  const worker = isWorkerProcess();
  if (config.workers > 1 && !worker) return runPrimary(config, argv, logger);
  // A reload resolves the same flags and env again, so it re-reads the config file.
  const proxy = await startSlotgate(config, {
    logger,
    loadConfig: () => resolveConfig(argv, process.env),
    ...(worker ? { adminListen: workerAdminListen() } : {}),
  });
  if (worker) serveWorker(proxy);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    proxy.close().then(
      () => logger.flush(() => process.exit(0)),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // SIGHUP: reload accounts, disable-command-list and read routing (reload() logs the outcome).
  // A worker is reloaded by its primary instead.
  if (!worker) process.on('SIGHUP', () => proxy.reload());
}

main().catch((err: Error) => {
  console.error(`slotgate: ${err.message}`);
  process.exit(1);
});
