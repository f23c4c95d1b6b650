/**
 * Redis configuration parameters that need special care when a client names them in CONFIG SET.
 * The one place that says which parameters slotgate protects and which values are secrets.
 *
 *  - Protected: never forwarded by CONFIG SET, whatever `config-set` says (README: *Cross-slot commands, node targeting and the cluster view*): they could
 *    cut slotgate off from its own backend (a node password slotgate does not know, a new port or
 *    bind address, a client limit that refuses its connections), break the cluster or replication
 *    under it, or let a client make the nodes write files where it likes (dir, dbfilename, …).
 *  - Sensitive: the values Redis 7 redacts from MONITOR and SLOWLOG (its SENSITIVE_CONFIG flag),
 *    plus the TLS key passphrases, which 7.0 still shows but which are just as secret.
 *
 * Names are matched as Redis matches them: any case, and an old `slave` spelling is the same
 * parameter as its `replica` one (`slaveof` = `replicaof`, `slave-announce-ip` =
 * `replica-announce-ip`, `cluster-slave-validity-factor` = `cluster-replica-validity-factor`).
 */

/** Protected by exact (canonical) name. */
const PROTECTED_NAMES: ReadonlySet<string> = new Set([
  // Authentication: a backend password or ACL change slotgate does not know locks it out (NOAUTH).
  'requirepass', 'masterauth', 'masteruser', 'aclfile', 'acl-pubsub-default',
  // Replication: what a node replicates from, and whether replicas stay read-only.
  'replicaof', 'replica-read-only',
  // Files on the node: where it writes its data, logs and pid.
  'dir', 'dbfilename', 'appendfilename', 'appenddirname', 'logfile', 'pidfile',
  // The node's network identity and who may reach it.
  'port', 'bind', 'bind-source-addr', 'protected-mode',
  // Limits that make a node drop or refuse slotgate's own connections.
  'maxclients', 'client-output-buffer-limit',
  // Switches that open the node up further (immutable in Redis 7.0, refused here all the same).
  'enable-protected-configs', 'enable-debug-command', 'enable-module-command', 'rename-command',
]);

/** Protected by prefix: every parameter of these families. */
const PROTECTED_PREFIXES: readonly string[] = [
  'cluster-', // the cluster bus, node timeouts, announced addresses, failover rules
  'tls-', // certificates, keys and TLS ports
  'unixsocket', // unixsocket, unixsocketperm
  'replica-announce', // replica-announce-ip, -port, replica-announced
];

/** Redis 7's SENSITIVE_CONFIG parameters, and the TLS key passphrases. */
const SENSITIVE_NAMES: ReadonlySet<string> = new Set(['requirepass', 'masterauth', 'masteruser', 'tls-key-file-pass', 'tls-client-key-file-pass']);

/** Longest name shown back in an error: the request may carry anything. */
const SHOWN_NAME_LIMIT = 128;

/** Lower case, `slave` spelled `replica`: the name Redis resolves an alias to. */
export function canonicalConfigName(name: Buffer): string {
  return name.toString('latin1').toLowerCase().replaceAll('slave', 'replica');
}

export function isProtectedConfigParameter(name: Buffer): boolean {
  const canonical = canonicalConfigName(name);
  return PROTECTED_NAMES.has(canonical) || PROTECTED_PREFIXES.some((prefix) => canonical.startsWith(prefix));
}

export function isSensitiveConfigParameter(name: Buffer): boolean {
  return SENSITIVE_NAMES.has(canonicalConfigName(name));
}

/**
 * `CONFIG SET name value [name value …]` (args[0] = CONFIG): the first protected parameter,
 * lower-cased as the client spelled it, for the error; null when none is.
 */
export function firstProtectedConfigParameter(args: readonly Buffer[]): string | null {
  for (let i = 2; i < args.length; i += 2) {
    if (isProtectedConfigParameter(args[i]!)) return args[i]!.toString('latin1', 0, SHOWN_NAME_LIMIT).toLowerCase();
  }
  return null;
}
