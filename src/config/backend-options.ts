/**
 * Which backend slotgate fronts (`backend: cluster|standalone|sentinel`) and where to find it.
 *  - cluster: the `cluster` seed list (required);
 *  - standalone: the `master` address list (required);
 *  - sentinel: `sentinels` and `sentinel-master-name` (required), `sentinel-user`/`sentinel-password`,
 *    `sentinel-tls` and its `sentinel-tls-*` files.
 * The password of the Sentinels, like backend-password, is refused on the command line.
 */
import { BACKEND_KINDS, type BackendKind } from '../cluster/topology-source.js';
import { ConfigError } from './config-error.js';
import { toList } from './option-values.js';
import type { OptionName } from './options.js';
import { outgoingTls, refuseOnCommandLine } from './tls-options.js';
import type { BackendTlsSettings } from '../tls/tls-settings.js';

export interface SentinelSettings {
  readonly sentinels: readonly string[];
  readonly masterName: string;
  /** null = the Sentinels need no password. */
  readonly auth: { readonly user: string | null; readonly password: string } | null;
  /** null = plain TCP to the Sentinels (`sentinel-tls no`). */
  readonly tls: BackendTlsSettings | null;
}

export interface BackendSettings {
  readonly backend: BackendKind;
  /** Cluster seeds (backend cluster). */
  readonly cluster: string[];
  /** The master's address(es) (backend standalone). */
  readonly master: string[];
  /** null unless backend sentinel. */
  readonly sentinel: SentinelSettings | null;
}

export function resolveBackendSettings(get: (name: OptionName) => unknown, argv: readonly string[]): BackendSettings {
  refuseOnCommandLine(argv, 'sentinel-password', 'SLOTGATE_SENTINEL_PASSWORD');
  const backend = String(get('backend') ?? 'cluster').trim().toLowerCase() as BackendKind;
  if (!BACKEND_KINDS.includes(backend)) throw new ConfigError(`option backend: '${String(get('backend'))}' is not one of ${BACKEND_KINDS.join(', ')}`);
  const settings: BackendSettings = {
    backend,
    cluster: addresses('cluster', get('cluster')),
    master: addresses('master', get('master')),
    sentinel: backend === 'sentinel' ? sentinelSettings(get) : null,
  };
  if (backend === 'cluster' && settings.cluster.length === 0) throw new ConfigError('option cluster: at least one seed node "host:port" is required');
  if (backend === 'standalone' && settings.master.length === 0) throw new ConfigError('option master: backend standalone needs the master\'s "host:port"');
  return settings;
}

function sentinelSettings(get: (name: OptionName) => unknown): SentinelSettings {
  const tls = outgoingTls(get, 'sentinel-tls');
  const sentinels = addresses('sentinels', get('sentinels'));
  if (sentinels.length === 0) throw new ConfigError('option sentinels: backend sentinel needs the Sentinels, "host:port[,host:port…]"');
  const masterName = String(get('sentinel-master-name') ?? '').trim();
  if (!/^\S+$/.test(masterName)) throw new ConfigError('option sentinel-master-name: backend sentinel needs the master\'s name (one word)');
  const user = String(get('sentinel-user') ?? '').trim() || null;
  const password = get('sentinel-password');
  if (password === undefined || password === null || password === '') {
    if (user !== null) throw new ConfigError('option sentinel-user: needs sentinel-password (config file or SLOTGATE_SENTINEL_PASSWORD)');
    return { sentinels, masterName, auth: null, tls };
  }
  if (typeof password !== 'string') throw new ConfigError('option sentinel-password: must be a string (quote it in YAML)');
  return { sentinels, masterName, auth: { user, password }, tls };
}

function addresses(name: string, value: unknown): string[] {
  const list = toList(value);
  for (const address of list) {
    if (!/^.+:\d{1,5}$/.test(address)) throw new ConfigError(`option ${name}: '${address}' is not host:port`);
  }
  return list;
}
