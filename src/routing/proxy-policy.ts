/**
 * Where keyless commands go when the session did not answer them itself (see
 * session/local-commands.ts), by full command name (`script|load`) or, failing that, by
 * container name (`cluster`):
 *  - refused, when they would break the "one Redis" illusion or the cluster;
 *  - any master, when every master gives the same kind of answer (TIME, CONFIG GET);
 *  - every master (or every node) with a reducer, when the answer is cluster-wide (SPEC §3);
 *  - answered by slotgate's own handlers (CLUSTER view, INFO, SCAN, MONITOR, CONFIG SET);
 *  - only with a node suffix (SLOWLOG: each node has its own log, SPEC §4).
 */
import type { CommandSpec } from '../commands/command-table.js';
import type { FanoutPolicy } from '../fanout/reducers.js';

/** Commands slotgate answers with handlers of its own (session/proxy-commands.ts). */
export type ProxyHandler = 'cluster' | 'info' | 'scan' | 'monitor' | 'imonitor' | 'config-set' | 'config-resetstat';

export type KeylessPolicy =
  /** Refused: node administration that must not go through a proxy. */
  | { readonly kind: 'unsupported' }
  /** Any master will do. */
  | { readonly kind: 'any-master' }
  /** Only meaningful for one named node. */
  | { readonly kind: 'needs-node' }
  | {
      readonly kind: 'fanout';
      readonly targets: 'masters' | 'nodes';
      readonly reduce: FanoutPolicy;
      /** Index of a glob-pattern argument that, when it pins one slot, narrows the fan-out to that slot's master. */
      readonly patternArg?: number;
      /** Sent on fresh connections of its own: see OUT_OF_BAND below. */
      readonly outOfBand?: boolean;
    }
  | { readonly kind: 'proxy'; readonly handler: ProxyHandler };

const UNSUPPORTED = [
  'shutdown', 'replicaof', 'slaveof', 'sync', 'psync', 'debug', 'failover', 'module', 'acl',
  'subscribe', 'psubscribe', 'ssubscribe', 'unsubscribe', 'punsubscribe', 'sunsubscribe',
  'swapdb', 'bgrewriteaof', 'save', 'bgsave', 'latency', 'lolwut',
  'wait', 'waitaof', 'pfselftest', 'pfdebug', 'replconf', 'restore-asking',
  // Sub-commands of otherwise supported containers: interactive, per-node state, or node files.
  'script|debug', 'function|stats', 'config|rewrite',
] as const;

const UNSUPPORTED_POLICY: KeylessPolicy = { kind: 'unsupported' };
const ANY_MASTER: KeylessPolicy = { kind: 'any-master' };
const masters = (reduce: FanoutPolicy, patternArg?: number): KeylessPolicy =>
  patternArg === undefined ? { kind: 'fanout', targets: 'masters', reduce } : { kind: 'fanout', targets: 'masters', reduce, patternArg };
// PUBSUB: subscribers may be connected to any node, replicas included (PUBLISH reaches every node).
const everyNode = (reduce: FanoutPolicy): KeylessPolicy => ({ kind: 'fanout', targets: 'nodes', reduce });
const proxy = (handler: ProxyHandler): KeylessPolicy => ({ kind: 'proxy', handler });
const NEEDS_NODE: KeylessPolicy = { kind: 'needs-node' };
/**
 * SCRIPT KILL / FUNCTION KILL exist to reach a node that is busy running a script. On a shared
 * connection they would queue behind that very script (Redis answers a connection in order), wait
 * until the connection times out and never kill it. So they go to every master on a connection
 * opened for them, with nothing queued ahead, and closed after the reply.
 */
const OUT_OF_BAND: KeylessPolicy = { kind: 'fanout', targets: 'masters', reduce: 'any-ok', outOfBand: true };

const POLICY = new Map<string, KeylessPolicy>([
  ...UNSUPPORTED.map((name) => [name, UNSUPPORTED_POLICY] as const),
  ['keys', masters('concat', 1)],
  ['dbsize', masters('sum')],
  ['flushdb', masters('same-reply')],
  ['flushall', masters('same-reply')],
  ['randomkey', masters('random-non-null')],
  ['scan', proxy('scan')],
  ['info', proxy('info')],
  ['cluster', proxy('cluster')],
  ['monitor', proxy('monitor')],
  ['imonitor', proxy('imonitor')],
  ['config|set', proxy('config-set')],
  ['config|resetstat', proxy('config-resetstat')],
  ['slowlog|get', NEEDS_NODE],
  ['slowlog|len', NEEDS_NODE],
  ['slowlog|reset', NEEDS_NODE],
  // Scripts and functions live on every master, so EVALSHA/FCALL work whichever master a key is on.
  ['script|load', masters('same-reply')],
  ['script|exists', masters('and-per-index')],
  ['script|flush', masters('same-reply')],
  ['script|kill', OUT_OF_BAND],
  ['function|load', masters('same-reply')],
  ['function|delete', masters('same-reply')],
  ['function|flush', masters('same-reply')],
  ['function|restore', masters('same-reply')],
  ['function|kill', OUT_OF_BAND],
  ['function|list', masters('same-elements')],
  ['function|dump', masters('same-function-dump')],
  ['pubsub|channels', everyNode('union')],
  ['pubsub|shardchannels', everyNode('union')],
  ['pubsub|numsub', everyNode('sum-pairs')],
  ['pubsub|shardnumsub', everyNode('sum-pairs')],
  ['pubsub|numpat', everyNode('sum')],
]);

export function keylessPolicy(spec: CommandSpec): KeylessPolicy {
  return POLICY.get(spec.name) ?? (spec.parent ? POLICY.get(spec.parent.name) : undefined) ?? ANY_MASTER;
}
