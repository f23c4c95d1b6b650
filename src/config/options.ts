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
  group: 'Network' | 'Backend' | 'Limits' | 'Admin' | 'Logging';
}

export const OPTIONS = {
  cluster: {
    type: 'list',
    describe: 'Seed nodes of the backend Redis Cluster, "host:port[,host:port…]" (required)',
    group: 'Backend',
  },
  port: { type: 'number', default: 6380, describe: 'TCP port to accept Redis clients on', group: 'Network' },
  bind: { type: 'string', default: '127.0.0.1', describe: 'Address to listen on (0.0.0.0 for all interfaces)', group: 'Network' },
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
  'max-redirects': {
    type: 'number',
    default: 5,
    describe: 'How many MOVED/ASK/TRYAGAIN redirections slotgate follows for one command before giving the client an error',
    group: 'Backend',
  },
  maxclients: { type: 'number', default: 10000, describe: 'Maximum simultaneous client connections', group: 'Limits' },
  timeout: { type: 'number', default: 0, describe: 'Close client connections idle this many seconds (0 = never)', group: 'Limits' },
  'proto-max-bulk-len': { type: 'size', default: '512mb', describe: 'Largest bulk string a client may send', group: 'Limits' },
  'client-output-buffer-limit': {
    type: 'size',
    default: '256mb',
    describe: 'Disconnect a client whose unread replies exceed this many bytes (a client that stops reading cannot grow memory without bound)',
    group: 'Limits',
  },
  'client-max-inflight': {
    type: 'number',
    default: 1024,
    describe: 'Commands of one client in flight at once; past this slotgate stops reading that client until replies drain',
    group: 'Limits',
  },
  'admin-port': { type: 'number', default: 9180, describe: 'HTTP port for /metrics, /healthz and /v1/* (0 = off)', group: 'Admin' },
  'admin-bind': { type: 'string', default: '127.0.0.1', describe: 'Address the admin HTTP server listens on', group: 'Admin' },
  'log-level': { type: 'string', default: 'info', describe: 'Log level: fatal, error, warn, info, debug, trace, silent', group: 'Logging' },
} as const satisfies Record<string, OptionDef>;

export type OptionName = keyof typeof OPTIONS;
