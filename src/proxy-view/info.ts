/**
 * INFO through the proxy (README: *Cross-slot commands, node targeting and the cluster view*). Pure text work on the backend's INFO replies:
 *  - masking: nothing in the reply may tell a client where the backend nodes are or what they
 *    run from (addresses, ports, run and replication ids, executable and config file paths);
 *  - merging (INFO without a node): one master's sections, with the Keyspace section and the
 *    counters of SUMMED_FIELDS summed over all masters (the client sees one Redis holding every
 *    key), clients and commands slotgate's own, and a `# Proxy` section with its figures.
 * INFO text: sections `# Name` followed by `field:value` lines, separated by blank lines, CRLF.
 */

export const MASKED = '***';

/** Fields whose whole value is sensitive. */
const MASKED_FIELDS = new Set(['run_id', 'master_replid', 'master_replid2', 'executable', 'config_file', 'tcp_port', 'master_host', 'master_port']);
/**
 * Lines of `part=value` items whose address parts are masked: each replica
 * (`slave0:ip=127.0.0.1,port=7004,state=online,…`) and, since Redis 7.2 and in Valkey, each listener
 * (`listener0:name=tcp,bind=*,bind=-::*,port=7000`; a unix socket's bind is its path).
 */
const ADDRESS_PARTS_BY_LINE: readonly [RegExp, ReadonlySet<string>][] = [
  [/^slave\d+$/, new Set(['ip', 'port'])],
  [/^listener\d+$/, new Set(['bind', 'port'])],
];

export interface InfoSection {
  /** As in the header, e.g. `Server`, `Keyspace`. */
  readonly name: string;
  readonly lines: string[];
}

export function parseInfo(text: string): InfoSection[] {
  const sections: InfoSection[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith('# ')) sections.push({ name: line.slice(2), lines: [] });
    else if (line !== '' && sections.length > 0) sections[sections.length - 1]!.lines.push(line);
  }
  return sections;
}

export function formatInfo(sections: readonly InfoSection[]): string {
  return sections.map((s) => `# ${s.name}\r\n${s.lines.map((l) => `${l}\r\n`).join('')}`).join('\r\n');
}

function maskLine(line: string): string {
  const colon = line.indexOf(':');
  if (colon <= 0) return line;
  const field = line.slice(0, colon);
  if (MASKED_FIELDS.has(field)) return `${field}:${MASKED}`;
  const addressParts = ADDRESS_PARTS_BY_LINE.find(([pattern]) => pattern.test(field))?.[1];
  if (!addressParts) return line;
  const parts = line
    .slice(colon + 1)
    .split(',')
    .map((part) => {
      const eq = part.indexOf('=');
      return eq > 0 && addressParts.has(part.slice(0, eq)) ? `${part.slice(0, eq)}=${MASKED}` : part;
    });
  return `${field}:${parts.join(',')}`;
}

/** The INFO text with every sensitive value replaced by `***`; everything else byte for byte. */
export function maskInfo(text: string): string {
  return text
    .split('\r\n')
    .map((line) => maskLine(line))
    .join('\r\n');
}

/** One node's INFO, parsed (mergedInfo parses each node's reply once). */
export type NodeInfo = readonly InfoSection[];

/** The lines of section `name` in each node's INFO (none where a node has no such section). */
function sectionLines(nodes: readonly NodeInfo[], name: string): string[][] {
  return nodes.map((sections) => sections.find((s) => s.name === name)?.lines ?? []);
}

/**
 * `db0:keys=3,expires=1,avg_ttl=5000` lines summed over nodes. avg_ttl is averaged weighted by
 * each node's number of keys with a TTL (Redis's own avg_ttl is an estimate over those keys).
 */
export function sumKeyspaces(nodes: readonly NodeInfo[]): string[] {
  const dbs = new Map<number, { keys: number; expires: number; ttlWeight: number }>();
  for (const lines of sectionLines(nodes, 'Keyspace')) {
    for (const line of lines) {
      const match = /^db(\d+):(.*)$/.exec(line);
      if (!match) continue;
      const fields = new Map(match[2]!.split(',').map((kv) => kv.split('=') as [string, string]));
      const db = dbs.get(Number(match[1])) ?? { keys: 0, expires: 0, ttlWeight: 0 };
      const expires = Number(fields.get('expires') ?? 0);
      db.keys += Number(fields.get('keys') ?? 0);
      db.expires += expires;
      db.ttlWeight += Number(fields.get('avg_ttl') ?? 0) * expires;
      dbs.set(Number(match[1]), db);
    }
  }
  return [...dbs.entries()]
    .sort(([a], [b]) => a - b)
    .map(([n, db]) => `db${n}:keys=${db.keys},expires=${db.expires},avg_ttl=${db.expires > 0 ? Math.round(db.ttlWeight / db.expires) : 0}`);
}

/**
 * `errorstat_NOGROUP:count=1` lines summed over the nodes by error prefix: the error replies a
 * client gets through slotgate come from every master (and replica reads), so one Redis holding
 * every key would have counted them all.
 */
export function sumErrorstats(nodes: readonly NodeInfo[]): string[] {
  const counts = new Map<string, number>();
  for (const lines of sectionLines(nodes, 'Errorstats')) {
    for (const line of lines) {
      const match = /^(errorstat_[^:]+):count=(\d+)$/.exec(line);
      if (match) counts.set(match[1]!, (counts.get(match[1]!) ?? 0) + Number(match[2]));
    }
  }
  return [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, count]) => `${name}:count=${count}`);
}

/**
 * Fields that count events or items of each master's share of the data: summed over the masters,
 * they say what one Redis holding every key would (`rdb_changes_since_last_save` of a bitops test,
 * keyspace hits of a cache). Rates, sizes, times and states stay the chosen master's.
 */
const SUMMED_FIELDS: Readonly<Record<string, ReadonlySet<string>>> = {
  Persistence: new Set(['rdb_changes_since_last_save', 'rdb_saves', 'aof_rewrites']),
  Stats: new Set([
    'expired_keys',
    'expired_time_cap_reached_count',
    'expire_cycle_cpu_milliseconds',
    'evicted_keys',
    'evicted_scripts',
    'total_eviction_exceeded_time',
    'keyspace_hits',
    'keyspace_misses',
    'total_forks',
    'dump_payload_sanitizations',
    'expired_subkeys',
    // The error replies, as Errorstats (sumErrorstats).
    'total_error_replies',
    'unexpected_error_replies',
  ]),
  Memory: new Set(['lazyfree_pending_objects', 'lazyfreed_objects']),
};

/** `section` of the chosen master with its SUMMED_FIELDS added up over every master's INFO. */
function withSummedCounts(section: InfoSection, nodes: readonly NodeInfo[]): InfoSection {
  const fields = SUMMED_FIELDS[section.name];
  if (!fields) return section;
  const sums = new Map<string, number>();
  for (const lines of sectionLines(nodes, section.name)) {
    for (const line of lines) {
      const colon = line.indexOf(':');
      const field = line.slice(0, colon);
      const value = Number(line.slice(colon + 1));
      if (fields.has(field) && Number.isFinite(value)) sums.set(field, (sums.get(field) ?? 0) + value);
    }
  }
  return withValues(section, sums);
}

/** `section` with the fields in `values` given those values, in place; the other lines as they are. */
function withValues(section: InfoSection, values: ReadonlyMap<string, string | number>): InfoSection {
  return {
    name: section.name,
    lines: section.lines.map((line) => {
      const field = line.slice(0, line.indexOf(':'));
      const value = values.get(field);
      return value === undefined ? line : `${field}:${value}`;
    }),
  };
}

/** What INFO's Proxy section reports. */
export interface ProxyFigures {
  readonly version: string;
  readonly nodeId: string;
  readonly announce: string;
  readonly uptimeSeconds: number;
  readonly connectedClients: number;
  readonly monitorClients: number;
  readonly commandsProcessed: number;
  readonly shards: number;
  readonly nodesUp: number;
  readonly nodesDown: number;
  readonly topologyEpoch: number;
}

/** Field names carry a `proxy_` prefix so they never collide with a backend field when a client flattens INFO into one map. */
export function proxySection(f: ProxyFigures): InfoSection {
  return {
    name: 'Proxy',
    lines: [
      `proxy_version:${f.version}`,
      `proxy_node_id:${f.nodeId}`,
      `proxy_announce_address:${f.announce}`,
      `proxy_uptime_in_seconds:${f.uptimeSeconds}`,
      `proxy_connected_clients:${f.connectedClients}`,
      `proxy_monitor_clients:${f.monitorClients}`,
      `proxy_total_commands_processed:${f.commandsProcessed}`,
      `proxy_backend_shards:${f.shards}`,
      `proxy_backend_nodes_up:${f.nodesUp}`,
      `proxy_backend_nodes_down:${f.nodesDown}`,
      `proxy_topology_epoch:${f.topologyEpoch}`,
    ],
  };
}

/** Does an INFO request for `requested` sections (lower case; empty = default) include `section`? */
export function includesSection(requested: readonly string[], section: string): boolean {
  if (requested.length === 0) return true;
  return requested.some((r) => r === section || r === 'default' || r === 'all' || r === 'everything');
}

/** One command's figures for `# Commandstats`. */
export interface CommandFigures {
  /** As the command table names it: `get`, `config|get`. */
  readonly name: string;
  readonly calls: number;
  readonly failedCalls: number;
  /** Client-observed microseconds, summed. */
  readonly usec: number;
}

/**
 * What a client connected to slotgate asks INFO clients/stats/commandstats about: its own
 * connection and its own commands, slotgate's, not one backend node's (whose clients are
 * slotgate's backend connections).
 */
export interface OwnFigures {
  readonly connectedClients: number;
  readonly blockedClients: number;
  readonly watchingClients: number;
  readonly pubsubClients: number;
  readonly blockingKeys: number;
  readonly blockingKeysOnNokey: number;
  readonly clientsInTimeoutTable: number;
  readonly maxClients: number;
  readonly connectionsReceived: number;
  readonly rejectedConnections: number;
  readonly commandsProcessed: number;
  readonly opsPerSec: number;
  readonly commands: readonly CommandFigures[];
  /** Client-side caching: clients with tracking on, keys remembered for them (upstream/tracking-table.ts). */
  readonly trackingClients: number;
  readonly trackingKeys: number;
  readonly trackingItems: number;
}

/**
 * `# Clients`: the fields slotgate has figures for, in Redis 7.2's order and names (7.4's
 * pubsub_clients and watching_clients included); tracking_clients counts slotgate's own tracking clients.
 */
function clientsLines(f: OwnFigures): string[] {
  return [
    `connected_clients:${f.connectedClients}`,
    'cluster_connections:0',
    `maxclients:${f.maxClients}`,
    `blocked_clients:${f.blockedClients}`,
    `tracking_clients:${f.trackingClients}`,
    `pubsub_clients:${f.pubsubClients}`,
    `watching_clients:${f.watchingClients}`,
    `clients_in_timeout_table:${f.clientsInTimeoutTable}`,
    `total_blocking_keys:${f.blockingKeys}`,
    `total_blocking_keys_on_nokey:${f.blockingKeysOnNokey}`,
  ];
}

/** `# Stats`: slotgate's figures replace these fields; the others stay the backend master's. */
function ownStatsFields(f: OwnFigures): Map<string, string> {
  return new Map([
    ['total_connections_received', String(f.connectionsReceived)],
    ['total_commands_processed', String(f.commandsProcessed)],
    ['instantaneous_ops_per_sec', String(f.opsPerSec)],
    ['rejected_connections', String(f.rejectedConnections)],
    // The master's would count slotgate's one tracking connection and every key written on it.
    ['tracking_total_keys', String(f.trackingKeys)],
    ['tracking_total_items', String(f.trackingItems)],
  ]);
}

/**
 * `cmdstat_get:calls=2,usec=15,usec_per_call=7.50,rejected_calls=0,failed_calls=0`, Redis's format.
 * Every error reply counts as failed (slotgate does not tell a refusal before running from a
 * failure while running), so rejected_calls is 0.
 */
export function commandstatsLines(commands: readonly CommandFigures[]): string[] {
  return commands
    .filter((c) => c.calls > 0)
    .map((c) => `cmdstat_${c.name}:calls=${c.calls},usec=${c.usec},usec_per_call=${(c.usec / c.calls).toFixed(2)},rejected_calls=0,failed_calls=${c.failedCalls}`);
}

function withOwnFigures(section: InfoSection, own: OwnFigures): InfoSection {
  switch (section.name) {
    case 'Clients':
      return { name: section.name, lines: clientsLines(own) };
    case 'Stats':
      return withValues(section, ownStatsFields(own));
    case 'Commandstats':
      return { name: section.name, lines: commandstatsLines(own.commands) };
    default:
      return section;
  }
}

/** The chosen master's `section` with what counts over every master summed (see the functions it calls). */
function summedOverNodes(section: InfoSection, nodes: readonly NodeInfo[]): InfoSection {
  switch (section.name) {
    case 'Keyspace':
      return { name: section.name, lines: sumKeyspaces(nodes) };
    case 'Errorstats':
      return { name: section.name, lines: sumErrorstats(nodes) };
    default:
      return withSummedCounts(section, nodes);
  }
}

/**
 * INFO without a node: `texts[chosen]` masked, its Keyspace and Errorstats sections (if it has
 * them) replaced by the sums over all `texts`, its Clients, Stats and Commandstats sections given slotgate's own
 * figures (`own`), and the Proxy section appended when the request asks for it.
 */
export function mergedInfo(texts: readonly string[], chosen: number, requested: readonly string[], figures: ProxyFigures, own?: OwnFigures): string {
  const nodes = texts.map(parseInfo);
  const sections = parseInfo(maskInfo(texts[chosen]!))
    .map((s) => summedOverNodes(s, nodes))
    .map((s) => (own ? withOwnFigures(s, own) : s));
  if (includesSection(requested, 'proxy')) sections.push(proxySection(figures));
  return formatInfo(sections);
}
