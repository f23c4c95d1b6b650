/**
 * Resolves slotgate's configuration from, in order of precedence: command-line flags,
 * SLOTGATE_* environment variables, the YAML config file (`--config`), and defaults.
 * The result is validated as a whole: a bad value anywhere rejects the config (at start
 * and on reload alike), with a message that names the option.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type YargsFactory from 'yargs';
import YAML from 'yaml';
import { parseClientAlias, type ClientAlias } from '../util/client-aliases.js';
import { ConfigError } from './config-error.js';
import { toInt, toList, toSize } from './option-values.js';
import { ACCOUNTS_HELP, FILE_ONLY_OPTIONS, OPTIONS, type OptionDef, type OptionName } from './options.js';
import { resolveReloadableSettings, takeFileOnlyOptions, type FileOnlyValues, type ReloadableSettings } from './reloadable-options.js';
import { resolveConnectionSecurity, resolvePeerSecret, type ConnectionSecuritySettings } from './tls-options.js';
import { resolveBackendSettings, type BackendSettings } from './backend-options.js';
import { closestName } from './suggest.js';

export { ConfigError, toSize };

export type ConfigSetMode = 'forward' | 'ignore' | 'deny';
const CONFIG_SET_MODES: readonly ConfigSetMode[] = ['forward', 'ignore', 'deny'];
export type LogFormat = 'json' | 'pretty';
const LOG_FORMATS: readonly LogFormat[] = ['json', 'pretty'];

export interface SlotgateConfig extends ConnectionSecuritySettings, BackendSettings {
  configFile: string | undefined;
  port: number;
  bind: string;
  /** Address cluster-aware clients are given (CLUSTER SLOTS…); '' and 0 mean "derive from bind and port". */
  announceHost: string;
  announcePort: number;
  /** CONFIG SET: forward to every backend node, answer +OK and ignore it, or refuse it. */
  configSet: ConfigSetMode;
  backendConnections: number;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  topologyRefreshIntervalMs: number;
  maxRedirects: number;
  maxClients: number;
  idleTimeoutSeconds: number;
  protoMaxBulkLen: number;
  clientOutputBufferLimit: number;
  /** Input a client may have held back before it is disconnected (client-query-buffer-limit). */
  clientQueryBufferLimit: number;
  /** The output limit of a subscribed client (client-output-buffer-limit-pubsub). */
  clientOutputBufferLimitPubsub: number;
  clientMaxInflight: number;
  workers: number;
  /** client-aliases: CIDR → description, shown as `desc` by GET /v1/clients. */
  clientAliases: ClientAlias[];
  /** How long a graceful drain (SIGTERM/SIGINT) waits for sessions before cutting them. */
  shutdownTimeoutMs: number;
  adminPort: number;
  adminBind: string;
  /** '' = the admin API needs no token. A secret: never logged. */
  adminToken: string;
  /** `peer-secret`: seals the peer bus's messages (peers/bus-seal.ts); null = unsealed. */
  peerSecret: string | null;
  /** Hot-key tracker samples about one request in this many (0 = off). */
  hotKeySampling: number;
  /** Client-side caching: keys remembered at most (0: no limit). */
  trackingTableMaxKeys: number;
  logLevel: string;
  logFormat: LogFormat;
  /** Accounts, disable-command-list, read routing: what a reload may change (SIGHUP, POST /v1/reload). */
  reloadable: ReloadableSettings;
}

/**
 * yargs's CommonJS build: its ES module build lays out --help with cliui's ES build, which cuts
 * lines at the column width in the middle of words (`--versio` / `n`); the CommonJS one wraps at
 * spaces (wrap-ansi).
 */
const yargs = createRequire(import.meta.url)('yargs') as typeof YargsFactory;
/** --help fits the terminal, up to this many columns (a line longer than that is hard to read). */
const HELP_MAX_WIDTH = 120;

const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/**
 * Builds the yargs parser; shared by resolveConfig and the --help output. The config file's
 * structured options (accounts, node-zones) are kept away from yargs and put in `fileOnly`.
 */
export function buildCli(argv: string[], env: NodeJS.ProcessEnv = {}, fileOnly: FileOnlyValues = {}) {
  let cli = yargs([...envAsFlags(env), ...argv])
    .scriptName('slotgate')
    .usage('$0 --cluster host:port[,host:port…] [options]\n$0 --backend standalone --master host:port [options]\n$0 --backend sentinel --sentinels host:port[,…] --sentinel-master-name name [options]\n$0 --version\n\nA Redis Cluster proxy: clients connect to one address and see one Redis.')
    .config('config', 'YAML config file; keys are the option names below (kebab-case)', (path: string) => takeFileOnlyOptions(loadConfigFile(path), fileOnly))
    .strictOptions()
    // parse-numbers off: values stay as typed ('0x10' is not read as 16), and toInt checks them.
    .parserConfiguration({ 'camel-case-expansion': false, 'duplicate-arguments-array': false, 'parse-numbers': false })
    .help()
    .version(false)
    .wrap(Math.min(HELP_MAX_WIDTH, process.stdout.columns || HELP_MAX_WIDTH))
    .epilogue(`Every option is also a config-file key (same name) and an environment variable: SLOTGATE_ + the name in upper snake case, e.g. SLOTGATE_COMMAND_TIMEOUT=2000.\n\n${ACCOUNTS_HELP}`)
    .exitProcess(false);
  for (const [name, def] of Object.entries(OPTIONS) as [OptionName, OptionDef][]) {
    // Boolean options get no yargs type: yargs would read `--replica-read=yes` as false without
    // a word; untyped, `--flag` is true, `--no-flag` false, and the value is checked when resolving.
    // (Even `default: undefined` makes yargs read a bare `--flag` as undefined: leave the key out.)
    // Numbers get none either: yargs turns `--port abc` into NaN, and the error message should
    // quote what the user typed (toInt checks them).
    cli = def.type === 'boolean'
      ? cli.option(name, { describe: def.describe, group: `${def.group}:`, defaultDescription: def.default ? 'yes' : 'no' })
      : def.type === 'number'
        ? cli.option(name, { default: def.default, describe: def.describe, group: `${def.group}:` })
        : cli.option(name, { type: 'string', default: def.default, describe: def.describe, group: `${def.group}:` });
  }
  return cli;
}

export function resolveConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): SlotgateConfig {
  let parsed: Record<string, unknown>;
  const fileOnly: FileOnlyValues = {};
  try {
    parsed = buildCli(argv, env, fileOnly).fail((msg, err) => {
      throw new ConfigError(err?.message ?? withFlagSuggestions(msg));
    }).parseSync() as Record<string, unknown>;
  } catch (err) {
    throw err instanceof ConfigError ? err : new ConfigError((err as Error).message);
  }
  const get = (name: OptionName): unknown => parsed[name];
  const config: SlotgateConfig = {
    configFile: typeof parsed.config === 'string' ? parsed.config : undefined,
    port: toInt('port', get('port'), 0, 65535, PORT),
    bind: String(get('bind')),
    announceHost: String(get('announce-host') ?? ''),
    announcePort: toInt('announce-port', get('announce-port'), 0, 65535, PORT),
    configSet: toConfigSetMode(get('config-set')),
    backendConnections: toInt('backend-connections', get('backend-connections'), 1, 64),
    connectTimeoutMs: toInt('connect-timeout', get('connect-timeout'), 1, 3_600_000, MILLISECONDS),
    commandTimeoutMs: toInt('command-timeout', get('command-timeout'), 1, 3_600_000, MILLISECONDS),
    topologyRefreshIntervalMs: toInt('topology-refresh-interval', get('topology-refresh-interval'), 100, 3_600_000, MILLISECONDS),
    maxRedirects: toInt('max-redirects', get('max-redirects'), 0, 100),
    maxClients: toInt('maxclients', get('maxclients'), 1, 10_000_000),
    idleTimeoutSeconds: toInt('timeout', get('timeout'), 0, 1_000_000_000, SECONDS),
    protoMaxBulkLen: toSize('proto-max-bulk-len', get('proto-max-bulk-len')),
    clientOutputBufferLimit: toSize('client-output-buffer-limit', get('client-output-buffer-limit')),
    clientQueryBufferLimit: toSize('client-query-buffer-limit', get('client-query-buffer-limit')),
    clientOutputBufferLimitPubsub: toSize('client-output-buffer-limit-pubsub', get('client-output-buffer-limit-pubsub')),
    clientMaxInflight: toInt('client-max-inflight', get('client-max-inflight'), 1, 1_000_000),
    workers: toInt('workers', get('workers'), 1, 256),
    clientAliases: toClientAliases(get('client-aliases')),
    shutdownTimeoutMs: toInt('shutdown-timeout', get('shutdown-timeout'), 0, 3_600_000, MILLISECONDS),
    adminPort: toInt('admin-port', get('admin-port'), 0, 65535, PORT),
    adminBind: String(get('admin-bind')),
    adminToken: String(get('admin-token') ?? ''),
    peerSecret: resolvePeerSecret(get, argv),
    hotKeySampling: toInt('hot-key-sampling', get('hot-key-sampling'), 0, 1_000_000),
    trackingTableMaxKeys: toInt('tracking-table-max-keys', get('tracking-table-max-keys'), 0, 1_000_000_000),
    logLevel: String(get('log-level')),
    logFormat: toLogFormat(get('log-format')),
    reloadable: resolveReloadableSettings(get, fileOnly),
    ...resolveConnectionSecurity(get, argv),
    ...resolveBackendSettings(get, argv),
  };
  if (!LOG_LEVELS.has(config.logLevel)) throw new ConfigError(`option log-level: '${config.logLevel}' is not one of ${[...LOG_LEVELS].join(', ')}`);
  return config;
}

function toLogFormat(value: unknown): LogFormat {
  const format = String(value) as LogFormat;
  if (!LOG_FORMATS.includes(format)) throw new ConfigError(`option log-format: '${String(value)}' is not one of ${LOG_FORMATS.join(', ')}`);
  return format;
}

function toConfigSetMode(value: unknown): ConfigSetMode {
  const mode = String(value) as ConfigSetMode;
  if (!CONFIG_SET_MODES.includes(mode)) throw new ConfigError(`option config-set: '${String(value)}' is not one of ${CONFIG_SET_MODES.join(', ')}`);
  return mode;
}

export function loadConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (err) {
    // Only the first line, without the colon that introduced the rest: the rest quotes the file
    // around the error, which may hold a password.
    const where = (err as Error).message.split('\n')[0]!.replace(/:\s*$/, '');
    throw new ConfigError(`config file ${path} is not valid YAML: ${where}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(`config file ${path}: expected a mapping of option: value`);
  const known = new Set<string>([...Object.keys(OPTIONS), ...Object.keys(FILE_ONLY_OPTIONS)]);
  for (const key of Object.keys(doc)) {
    if (known.has(key)) continue;
    const closest = closestName(key, known);
    throw new ConfigError(`config file ${path}: unknown option '${key}'${closest ? `; did you mean '${closest}'?` : ''}`);
  }
  return doc as Record<string, unknown>;
}

/** yargs's `Unknown argument(s): a, b`, with the flags they most likely meant. */
function withFlagSuggestions(message: string): string {
  const unknown = /^Unknown arguments?: (.+)$/.exec(message);
  if (!unknown) return message;
  const flags = ['config', 'help', 'version', ...Object.keys(OPTIONS)];
  const typed = unknown[1]!.split(', ');
  const hints = typed.flatMap((arg) => {
    const closest = closestName(arg, flags);
    if (closest === null) return [];
    return [typed.length === 1 ? `--${closest}` : `--${closest} (for ${arg})`];
  });
  return hints.length === 0 ? message : `${message}; did you mean ${hints.join(', ')}?`;
}

/**
 * SLOTGATE_* variables become flags placed BEFORE the real ones: with duplicate
 * arguments resolved "last wins", a real flag beats the env var, and both beat the
 * config file (yargs applies config values only to options not given as arguments).
 * We do not use yargs' own .env() because it reads process.env only, and tests and
 * reloads pass their own environment.
 */
function envAsFlags(env: NodeJS.ProcessEnv): string[] {
  const flags: string[] = [];
  for (const name of ['config', ...Object.keys(OPTIONS)]) {
    const value = env[`SLOTGATE_${name.toUpperCase().replace(/-/g, '_')}`];
    if (value !== undefined && value !== '') flags.push(`--${name}=${value}`);
  }
  return flags;
}

/** What an integer option holds, for error messages that show the expected form. */
const PORT = 'a port number';
const MILLISECONDS = 'a number of milliseconds';
const SECONDS = 'a number of seconds';

/**
 * An integer option, given as a number (config file, defaults) or as text (flags, env): only
 * plain decimal digits count, so '5s', '1e3', '0x10' and '' are refused rather than read as
 * something the user did not write.
 */

function toClientAliases(value: unknown): ClientAlias[] {
  return toList(value).map((item) => {
    try {
      return parseClientAlias(item);
    } catch (err) {
      throw new ConfigError(`option client-aliases: ${(err as Error).message}`);
    }
  });
}
