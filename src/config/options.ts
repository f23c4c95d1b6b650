/**
 * Every slotgate option, in one table: the CLI flag, the config-file key (same
 * kebab-case name), the env var (SLOTGATE_ + upper snake case) and the --help text all
 * come from here, so they cannot drift apart.
 */
export type OptionType = 'string' | 'number' | 'boolean' | 'size' | 'list';

export interface OptionDef {
  type: OptionType;
  default?: string | number | boolean;
  describe: string;
  group: 'Network' | 'Backend' | 'Limits' | 'Admin' | 'Logging' | 'Accounts and commands' | 'Read/write splitting' | 'TLS' | 'Backend authentication and TLS';
}

export const OPTIONS = {
  cluster: {
    type: 'list',
    describe: 'Seed nodes of the backend Redis Cluster, "host:port[,host:port…]" (required with backend cluster)',
    group: 'Backend',
  },
  backend: {
    type: 'string',
    default: 'cluster',
    describe: 'Kind of backend: cluster (a Redis Cluster, seeds in cluster), standalone (one master and its replicas, address in master) or sentinel (a master and replicas run by Sentinel: sentinels, sentinel-master-name)',
    group: 'Backend',
  },
  master: {
    type: 'list',
    describe: 'With backend standalone: the master, "host:port" (more addresses are tried in turn; a replica is followed to its master). Its replicas are found with INFO replication',
    group: 'Backend',
  },
  sentinels: { type: 'list', describe: 'With backend sentinel: the Sentinels, "host:port[,host:port…]"', group: 'Backend' },
  'sentinel-master-name': { type: 'string', describe: 'With backend sentinel: the name the Sentinels monitor the master under', group: 'Backend' },
  'sentinel-user': { type: 'string', describe: 'ACL user slotgate signs in to the Sentinels as (needs sentinel-password)', group: 'Backend' },
  'sentinel-password': {
    type: 'string',
    describe: 'Password of the Sentinels (their requirepass, or sentinel-user\'s). Config file or SLOTGATE_SENTINEL_PASSWORD only, like backend-password',
    group: 'Backend',
  },
  'sentinel-tls': { type: 'boolean', default: false, describe: 'Connect to the Sentinels over TLS (yes/no); the sentinels addresses are then their tls-port', group: 'Backend' },
  'sentinel-tls-ca-cert-file': { type: 'string', describe: 'CA certificate(s) (PEM) the Sentinels\' certificates must chain to (default: the system CAs)', group: 'Backend' },
  'sentinel-tls-server-name': { type: 'string', describe: 'Name sent as SNI and checked against every Sentinel\'s certificate (default: the Sentinel\'s host)', group: 'Backend' },
  'sentinel-tls-cert-file': { type: 'string', describe: 'Client certificate (PEM) slotgate shows the Sentinels (for tls-auth-clients yes on them)', group: 'Backend' },
  'sentinel-tls-key-file': { type: 'string', describe: 'Private key (PEM) of sentinel-tls-cert-file', group: 'Backend' },
  port: { type: 'number', default: 6380, describe: 'TCP port to accept Redis clients on', group: 'Network' },
  bind: { type: 'string', default: '127.0.0.1', describe: 'Address to listen on (0.0.0.0 for all interfaces)', group: 'Network' },
  'announce-host': {
    type: 'string',
    default: '',
    describe: 'Host cluster-aware clients are told to connect to (CLUSTER SLOTS/SHARDS/NODES show slotgate as the one node owning every slot); default: the bind address, or 127.0.0.1 when bound to 0.0.0.0',
    group: 'Network',
  },
  'announce-port': {
    type: 'number',
    default: 0,
    describe: 'Port announced with announce-host (0 = the listening port)',
    group: 'Network',
  },
  'backend-connections': {
    type: 'number',
    default: 2,
    describe: 'Shared, pipelined connections per backend node (all client sessions multiplex over them)',
    group: 'Backend',
  },
  'connect-timeout': { type: 'number', default: 2000, describe: 'Backend connect timeout, milliseconds', group: 'Backend' },
  'command-timeout': {
    type: 'number',
    default: 5000,
    describe: 'A backend that has not answered a command within this many milliseconds is treated as failed; the clients waiting on it get an error',
    group: 'Backend',
  },
  'topology-refresh-interval': {
    type: 'number',
    default: 5000,
    describe: 'Milliseconds between periodic topology refreshes (CLUSTER SHARDS); MOVED, connection loss and CLUSTERDOWN also trigger one',
    group: 'Backend',
  },
  'config-set': {
    type: 'string',
    default: 'forward',
    describe: 'What CONFIG SET does: forward (to every backend node, +OK when all accept), ignore (+OK, no effect, as managed services do) or deny (an error)',
    group: 'Backend',
  },
  'max-redirects': {
    type: 'number',
    default: 5,
    describe: 'How many MOVED/ASK redirections slotgate follows for one command before giving the client an error (TRYAGAIN and CLUSTERDOWN are retried until command-timeout)',
    group: 'Backend',
  },
  // Client TLS and backend credentials/TLS: resolved in src/config/tls-options.ts. The secret and
  // the certificate files are applied again on reload (to new connections).
  'tls-port': {
    type: 'number',
    default: 0,
    describe: 'TCP port to accept TLS clients on (0 = no TLS listener). With tls-port set, port 0 turns the plain listener off, as in Redis',
    group: 'TLS',
  },
  'tls-cert-file': { type: 'string', describe: 'Server certificate (PEM) of the TLS listener; re-read on reload', group: 'TLS' },
  'tls-key-file': { type: 'string', describe: 'Private key (PEM) of tls-cert-file; re-read on reload', group: 'TLS' },
  'tls-ca-cert-file': { type: 'string', describe: 'CA certificate(s) (PEM) that client certificates must chain to; needed unless tls-auth-clients is no', group: 'TLS' },
  'tls-auth-clients': {
    type: 'string',
    default: 'yes',
    describe: 'Client certificates on the TLS listener: yes (required), optional (checked when sent) or no (not asked for)',
    group: 'TLS',
  },
  'backend-user': {
    type: 'string',
    describe: 'ACL user slotgate signs in to every backend node as (AUTH user password); absent: the default user (AUTH password)',
    group: 'Backend authentication and TLS',
  },
  'backend-password': {
    type: 'string',
    describe: 'Password slotgate sends on every backend connection (requirepass, or backend-user\'s). Config file or SLOTGATE_BACKEND_PASSWORD only: refused as a command-line flag, where ps would show it. Reloadable (new connections)',
    group: 'Backend authentication and TLS',
  },
  'backend-tls': { type: 'boolean', default: false, describe: 'Connect to the backend nodes over TLS (yes/no); node ports are then their tls-port', group: 'Backend authentication and TLS' },
  'backend-tls-ca-cert-file': {
    type: 'string',
    describe: 'CA certificate(s) (PEM) the backend nodes\' certificates must chain to (default: the system CAs)',
    group: 'Backend authentication and TLS',
  },
  'backend-tls-server-name': {
    type: 'string',
    describe: 'Name (SNI, and checked against the certificate) slotgate expects on every backend node; default: the node\'s host',
    group: 'Backend authentication and TLS',
  },
  'backend-tls-cert-file': { type: 'string', describe: 'Client certificate (PEM) slotgate shows the backend nodes (for tls-auth-clients yes on them)', group: 'Backend authentication and TLS' },
  'backend-tls-key-file': { type: 'string', describe: 'Private key (PEM) of backend-tls-cert-file', group: 'Backend authentication and TLS' },
  maxclients: { type: 'number', default: 10000, describe: 'Maximum simultaneous client connections', group: 'Limits' },
  timeout: { type: 'number', default: 0, describe: 'Close client connections idle this many seconds (0 = never)', group: 'Limits' },
  'proto-max-bulk-len': { type: 'size', default: '512mb', describe: 'Largest bulk string a client may send', group: 'Limits' },
  'client-output-buffer-limit': {
    type: 'size',
    default: '256mb',
    describe: 'Disconnect a client whose unread replies exceed this many bytes (a client that stops reading cannot grow memory without bound)',
    group: 'Limits',
  },
  'client-query-buffer-limit': {
    type: 'size',
    default: '1gb',
    describe: "Disconnect a client whose input held back (sent while it waits on a blocking command, or faster than replies come back) exceeds this many bytes, as Redis's client-query-buffer-limit",
    group: 'Limits',
  },
  'client-output-buffer-limit-pubsub': {
    type: 'size',
    default: '32mb',
    describe: 'The same limit for a client subscribed to channels (Redis\'s pubsub class): a subscriber that does not read its messages is disconnected past it',
    group: 'Limits',
  },
  'client-max-inflight': {
    type: 'number',
    default: 1024,
    describe: 'Commands of one client in flight at once; past this slotgate stops reading that client until replies drain',
    group: 'Limits',
  },
  workers: {
    type: 'number',
    default: 1,
    describe: 'Worker processes sharing the client port (one per core is the most that helps); each worker has its own backend connections and maxclients',
    group: 'Network',
  },
  'shutdown-timeout': {
    type: 'number',
    default: 10000,
    describe: 'Graceful drain on SIGTERM/SIGINT: milliseconds that commands in flight, transactions, blocked commands and MONITOR get before their connections are cut',
    group: 'Network',
  },
  'admin-port': { type: 'number', default: 9180, describe: 'HTTP port for /metrics, /healthz, /readyz, /livez and /v1/* (0 = off)', group: 'Admin' },
  'admin-bind': { type: 'string', default: '127.0.0.1', describe: 'Address the admin HTTP server listens on', group: 'Admin' },
  'client-aliases': {
    type: 'list',
    describe: 'Descriptions of client networks for GET /v1/clients (field desc): "CIDR=description[,CIDR=description…]", e.g. "10.1.0.0/16=batch,192.168.7.0/24=office"; the first match wins',
    group: 'Admin',
  },
  'admin-token': {
    type: 'string',
    describe: 'Bearer token the admin HTTP API requires (Authorization: Bearer <token>) on every endpoint but /healthz; empty: no token. Prefer the env var SLOTGATE_ADMIN_TOKEN (flags show in ps)',
    group: 'Admin',
  },
  'peer-secret': {
    type: 'string',
    describe: 'Shared secret of the slotgate instances in front of one cluster: every peer-bus message (cross-instance CLIENT LIST/KILL) carries an HMAC of it and a timestamp, and messages without a valid one are dropped. Config file or SLOTGATE_PEER_SECRET only, like backend-password. Needs a restart',
    group: 'Admin',
  },
  'hot-key-sampling': {
    type: 'number',
    default: 64,
    describe: 'Hot-key tracker (GET /v1/stats/hot-keys): look at about one request in this many (1 = every request, 0 = off)',
    group: 'Admin',
  },
  'log-level': { type: 'string', default: 'info', describe: 'Log level: fatal, error, warn, info, debug, trace, silent', group: 'Logging' },
  'log-format': {
    type: 'string',
    default: 'json',
    describe: 'json (one JSON object per line, for log collectors) or pretty (one readable line per event, for a terminal)',
    group: 'Logging',
  },
  // Reloadable at run time (SIGHUP, POST /v1/reload): see src/config/reloadable-options.ts.
  requirepass: {
    type: 'string',
    describe: 'Password of the default account (plain, or "#" + its SHA-256 in hex). Empty or absent: passwordless, every connection starts as the default account. Custom accounts: the "accounts" key of the config file (see below)',
    group: 'Accounts and commands',
  },
  'disable-command-list': {
    type: 'list',
    describe: 'Commands no client may run, e.g. "flushall,keys,eval"; they get -ERR command \'keys\' is disabled',
    group: 'Accounts and commands',
  },
  'replica-read': {
    type: 'boolean',
    default: false,
    describe: 'Read/write splitting: read-only commands go to the healthy replicas of the slot (round-robin; the master when there is none), for accounts whose read-policy is replica (yes/no)',
    group: 'Read/write splitting',
  },
  'read-local-node-only': {
    type: 'boolean',
    default: false,
    describe: 'With replica-read: read only from replicas in this proxy\'s zone, else from the master (yes/no; needs zone, and node zones under "node-zones" in the config file)',
    group: 'Read/write splitting',
  },
  zone: { type: 'string', describe: 'This proxy\'s zone (availability zone), for read-local-node-only', group: 'Read/write splitting' },
  'max-replica-lag': {
    type: 'size',
    default: '0',
    describe: 'A replica whose replication lag (master offset minus its offset, bytes) exceeds this gets no reads (0 = no limit); below it, reads are weighted towards replicas with less lag',
    group: 'Read/write splitting',
  },
  'tracking-table-max-keys': {
    type: 'number',
    default: 1000000,
    describe: 'Client-side caching (CLIENT TRACKING): keys slotgate remembers for tracking clients; at the limit the oldest is invalidated first, as Redis\'s option of that name (0 = no limit)',
    group: 'Limits',
  },
  'slowlog-log-slower-than': {
    type: 'number',
    default: 10000,
    describe: "slotgate's own slow log (GET /v1/slowlog on the admin port): record commands whose time as the client saw it (request read to reply ready) reaches this many microseconds, as Redis's option; 0 = every command, negative = off",
    group: 'Admin',
  },
  'slowlog-max-len': {
    type: 'number',
    default: 128,
    describe: "slotgate's own slow log: how many entries it keeps (the oldest go first), 0 to 100000",
    group: 'Admin',
  },
} as const satisfies Record<string, OptionDef>;

export type OptionName = keyof typeof OPTIONS;

/**
 * Structured options, given only in the config file (a flag or env var cannot hold a list of
 * accounts). They are taken out of the file before yargs sees it; see reloadable-options.ts.
 */
export const FILE_ONLY_OPTIONS = {
  accounts: 'Custom accounts: a list of {name, password, permission, read-policy} (example below)',
  'node-zones': 'Zones of backend nodes, for read-local-node-only: a map "host:port" or node id → zone',
} as const;

export type FileOnlyOptionName = keyof typeof FILE_ONLY_OPTIONS;

/** --help text for accounts and the other file-only options, with a worked example. */
export const ACCOUNTS_HELP = `Config-file-only options:
  accounts     ${FILE_ONLY_OPTIONS.accounts}
  node-zones   ${FILE_ONLY_OPTIONS['node-zones']}
Reloaded from the config file without a restart (SIGHUP, or POST /v1/reload on the admin port):
  requirepass, accounts, disable-command-list, replica-read, read-local-node-only, zone, node-zones, max-replica-lag,
  slowlog-log-slower-than, slowlog-max-len;
  backend-password and backend-user (new backend connections), the tls-* and backend-tls-* certificate files.

Example (slotgate.yaml):
  requirepass: "Default#Pass1"
  replica-read: true
  disable-command-list: [flushall, keys]
  accounts:
    - name: reader
      password: "Reader#Pass1"        # or "#" + sha256 hex: echo -n 'Reader#Pass1' | sha256sum
      permission: read-only           # or read-write; read-only accounts get -NOPERM for writes
      read-policy: replica            # or master; replica needs replica-read (omitted: replica)
Clients then sign in with:  AUTH Default#Pass1   (default account)
                            AUTH reader@Reader#Pass1   or   AUTH reader Reader#Pass1
Account changes apply to new connections; open ones keep their account.`;
