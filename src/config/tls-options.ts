/**
 * Client TLS, backend credentials and backend TLS: resolved and checked here, at start and on
 * every reload alike. Only file PATHS are kept; the files are read where they are used
 * (src/tls/tls-contexts.ts), so a reload re-reads them.
 *
 * The backend password is refused as a command-line flag: every user of the machine can read a
 * process's arguments (ps, /proc/<pid>/cmdline). It comes from the config file or from
 * SLOTGATE_BACKEND_PASSWORD. Error messages name options, never the secret.
 */
import { ConfigError } from './config-error.js';
import type { OptionName } from './options.js';
import { toBoolean } from './reloadable-options.js';
import type { BackendAuthSettings, BackendTlsSettings, ClientTlsSettings, ConnectionSecuritySettings, TlsAuthClients } from '../tls/tls-settings.js';

export type { BackendAuthSettings, BackendTlsSettings, ClientTlsSettings, ConnectionSecuritySettings, TlsAuthClients } from '../tls/tls-settings.js';

const TLS_AUTH_CLIENTS: readonly TlsAuthClients[] = ['yes', 'no', 'optional'];

/** Refuses a secret given as a flag (any spelling yargs accepts): ps shows every process's arguments. */
export function refuseOnCommandLine(argv: readonly string[], option: string, envName: string): void {
  const flag = new RegExp(`^--${option}(=|$)`);
  if (argv.some((arg) => flag.test(arg))) {
    throw new ConfigError(`option ${option}: not accepted on the command line (ps shows every process's arguments); put it in the config file or in ${envName}`);
  }
}

export function resolveConnectionSecurity(get: (name: OptionName) => unknown, argv: readonly string[]): ConnectionSecuritySettings {
  refuseOnCommandLine(argv, 'backend-password', 'SLOTGATE_BACKEND_PASSWORD');
  return {
    backendAuth: backendAuth(get),
    tls: clientTls(get),
    backendTls: outgoingTls(get, 'backend-tls'),
  };
}

/** `peer-secret` (peers/bus-seal.ts): null when not set. Like backend-password, never a flag. */
export function resolvePeerSecret(get: (name: OptionName) => unknown, argv: readonly string[]): string | null {
  refuseOnCommandLine(argv, 'peer-secret', 'SLOTGATE_PEER_SECRET');
  const secret = get('peer-secret');
  if (secret === undefined || secret === null || secret === '') return null;
  if (typeof secret !== 'string') throw new ConfigError('option peer-secret: must be a string (quote it in YAML)');
  return secret;
}

function backendAuth(get: (name: OptionName) => unknown): BackendAuthSettings | null {
  const user = optionalText(get('backend-user'));
  const password = get('backend-password');
  if (password === undefined || password === null || password === '') {
    if (user !== null) throw new ConfigError('option backend-user: needs backend-password (config file or SLOTGATE_BACKEND_PASSWORD)');
    return null;
  }
  if (typeof password !== 'string') throw new ConfigError('option backend-password: must be a string (quote it in YAML)');
  if (user !== null && !/^\S+$/.test(user)) throw new ConfigError('option backend-user: must be one word');
  return { user, password };
}

function clientTls(get: (name: OptionName) => unknown): ClientTlsSettings | null {
  const port = Number(get('tls-port'));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`option tls-port: '${String(get('tls-port'))}' is not an integer from 0 to 65535`);
  const authClients = String(get('tls-auth-clients') ?? 'yes').trim().toLowerCase() as TlsAuthClients;
  if (!TLS_AUTH_CLIENTS.includes(authClients)) throw new ConfigError(`option tls-auth-clients: '${String(get('tls-auth-clients'))}' is not one of ${TLS_AUTH_CLIENTS.join(', ')}`);
  const certFile = optionalText(get('tls-cert-file'));
  const keyFile = optionalText(get('tls-key-file'));
  const caCertFile = optionalText(get('tls-ca-cert-file'));
  if (port === 0) return null;
  if (certFile === null || keyFile === null) throw new ConfigError('option tls-port: needs tls-cert-file and tls-key-file');
  if (authClients !== 'no' && caCertFile === null) {
    throw new ConfigError(`option tls-auth-clients: '${authClients}' needs tls-ca-cert-file (the CA client certificates must chain to), or set tls-auth-clients no`);
  }
  return { port, certFile, keyFile, caCertFile, authClients };
}

/** TLS to the backend nodes (`backend-tls`, `backend-tls-*`) or to the Sentinels (`sentinel-tls`, `sentinel-tls-*`). */
export function outgoingTls(get: (name: OptionName) => unknown, p: 'backend-tls' | 'sentinel-tls'): BackendTlsSettings | null {
  const option = (suffix: string): unknown => get(`${p}${suffix}` as OptionName);
  const certFile = optionalText(option('-cert-file'));
  const keyFile = optionalText(option('-key-file'));
  if ((certFile === null) !== (keyFile === null)) throw new ConfigError(`option ${p}-cert-file: needs ${p}-key-file, and the other way round`);
  const settings: BackendTlsSettings = {
    caCertFile: optionalText(option('-ca-cert-file')),
    serverName: optionalText(option('-server-name')),
    certFile,
    keyFile,
  };
  if (!toBoolean(p, option(''), false)) {
    const given = Object.values(settings).some((value) => value !== null);
    if (given) throw new ConfigError(`option ${p}: the ${p}-* options are set but ${p} is no`);
    return null;
  }
  return p === 'backend-tls' ? settings : { ...settings, optionPrefix: p };
}

function optionalText(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  const text = String(value).trim();
  return text === '' ? null : text;
}
