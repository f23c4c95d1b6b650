/**
 * Node-targeted commands (README: *Cross-slot commands, node targeting and the cluster view*): an operator command may end with one extra argument naming a
 * backend node, a full node ID (40 hex) or `@N` (the N-th shard by first slot, i.e. its master):
 * `INFO server f2f3…`, `KEYS user:* @1`, `SCAN 0 @2`, `DBSIZE @0`.
 *
 * The suffix is recognised only where it cannot be a real argument: the command must be one of
 * the list below AND what is left once it is removed must have the command's own shape. So
 * `KEYS @1` is KEYS of the pattern "@1", `KEYS user:* @1` is KEYS on shard 1; `SCAN 0 MATCH @2`
 * keeps "@2" as the pattern because options come in pairs. Pure and cheap: a request whose last
 * argument is neither 40 bytes long nor starts with `@` is rejected with two byte checks.
 */
import type { BackendNode, TopologySnapshot } from '../cluster/topology-snapshot.js';
import type { DecodedRequest } from '../protocol/decoded-request.js';

export type NodeSelector = { readonly kind: 'id'; readonly id: string } | { readonly kind: 'shard'; readonly index: number };

export interface NodeTargeted {
  /** The request without its suffix. */
  readonly args: Buffer[];
  readonly selector: NodeSelector;
  /** The suffix as written, for error messages. */
  readonly text: string;
}

const AT = 0x40;
const NODE_ID_LENGTH = 40;

/** `@N` or a 40-hex node ID; null for anything else. */
export function parseNodeSelector(arg: Buffer): NodeSelector | null {
  if (arg.length === NODE_ID_LENGTH) {
    const text = arg.toString('latin1');
    return /^[0-9a-f]{40}$/i.test(text) ? { kind: 'id', id: text.toLowerCase() } : null;
  }
  if (arg.length >= 2 && arg.length <= 6 && arg[0] === AT) {
    const digits = arg.toString('latin1', 1);
    return /^\d+$/.test(digits) ? { kind: 'shard', index: Number(digits) } : null;
  }
  return null;
}

/** `n` is the argument count without the suffix (command name included); `sub` the lower-case second argument. */
type Shape = (n: number, sub: string) => boolean;

const exactly = (count: number): Shape => (n) => n === count;
const atMost = (count: number): Shape => (n) => n <= count;

/** The commands that take a node suffix, with the shape their arguments must have without it. */
const SHAPES: ReadonlyMap<string, Shape> = new Map<string, Shape>([
  ['info', () => true],
  ['ping', atMost(2)],
  ['keys', exactly(2)],
  // SCAN cursor [MATCH p] [COUNT n] [TYPE t]: options come in pairs after the cursor.
  ['scan', (n) => n >= 2 && (n - 2) % 2 === 0],
  ['dbsize', exactly(1)],
  ['randomkey', exactly(1)],
  ['time', exactly(1)],
  ['lastsave', exactly(1)],
  ['role', exactly(1)],
  ['flushdb', atMost(2)],
  ['flushall', atMost(2)],
  ['slowlog', (n, sub) => (sub === 'get' && (n === 2 || n === 3)) || ((sub === 'len' || sub === 'reset') && n === 2)],
  ['memory', (n, sub) => (sub === 'stats' || sub === 'doctor') && n === 2],
  ['cluster', (n, sub) => sub === 'info' && n === 2],
  ['config', (n, sub) => sub === 'get' && n >= 3],
]);

/** The two byte checks: only an argument 40 bytes long or starting with `@` can be a node selector. */
function mayBeSelector(length: number, firstByte: number | undefined): boolean {
  return length === NODE_ID_LENGTH || firstByte === AT;
}

/**
 * False when splitNodeSuffix() would find no suffix, judged by offset (the dispatcher's direct path):
 * a suffix is the last of two or more arguments, and may be a selector.
 */
export function mayHaveNodeSuffix(request: DecodedRequest): boolean {
  const last = request.count - 1;
  return last >= 1 && mayBeSelector(request.length(last), request.firstByte(last));
}

/** The request split into command and node selector, or null when it names no node. */
export function splitNodeSuffix(args: readonly Buffer[]): NodeTargeted | null {
  const n = args.length - 1;
  if (n < 1) return null;
  const last = args[n]!;
  if (!mayBeSelector(last.length, last[0])) return null;
  const shape = SHAPES.get(args[0]!.toString('latin1').toLowerCase());
  if (!shape) return null;
  const sub = n >= 2 ? args[1]!.toString('latin1').toLowerCase() : '';
  if (!shape(n, sub)) return null;
  const selector = parseNodeSelector(last);
  if (!selector) return null;
  return { args: args.slice(0, n), selector, text: last.toString('latin1') };
}

/** `@N` → the master of the N-th shard; a node ID → that node, master or replica. */
export function resolveNode(topology: TopologySnapshot, selector: NodeSelector): BackendNode | undefined {
  return selector.kind === 'shard' ? topology.shards[selector.index]?.master : topology.nodeById(selector.id);
}
