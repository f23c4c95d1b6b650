/**
 * Where keyless commands go when the session did not answer them itself (see
 * session/local-commands.ts): refused when they would break the "one Redis" illusion
 * or the cluster, otherwise any master.
 */
export type KeylessPolicy =
  /** Refused: node administration that must not go through a proxy. */
  | 'unsupported'
  /** Any master will do. */
  | 'any-master';

const UNSUPPORTED = [
  'shutdown', 'replicaof', 'slaveof', 'sync', 'psync', 'debug', 'failover', 'module', 'acl', 'monitor',
  'subscribe', 'psubscribe', 'ssubscribe', 'unsubscribe', 'punsubscribe', 'sunsubscribe', 'cluster',
  'swapdb', 'config', 'bgrewriteaof', 'save', 'bgsave', 'latency', 'lolwut', 'script', 'function',
  'wait', 'waitaof', 'pfselftest', 'pfdebug', 'replconf', 'restore-asking',
] as const;

const POLICY = new Map<string, KeylessPolicy>([
  ...UNSUPPORTED.map((name) => [name, 'unsupported'] as const),
]);

export function keylessPolicy(commandName: string): KeylessPolicy {
  return POLICY.get(commandName) ?? 'any-master';
}
