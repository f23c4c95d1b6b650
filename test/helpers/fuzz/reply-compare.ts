// How the fuzz test compares slotgate's reply with standalone Redis's reply to the same command, and
// the differences it allows. Each allowed difference is a rule below, with the reason; everything
// else must match: the reply type (+ - : $ * and nil), the error prefix (first word) and, for
// non-errors, the value wherever Redis's own command tips do not call the output nondeterministic.
import type { FuzzCommand } from './command-generator.js';
import { RESYNC_AFTER, SPLIT_COMMANDS, TIME_REPLIES } from './command-generator.js';
import { showReply, type Reply } from './resp-connection.js';

export const CROSSSLOT_TEXT = "CROSSSLOT Keys in request don't hash to the same slot";

/**
 * slotgate refuses these node-administration commands (README "What clients see": "…refused with
 * -ERR command '…' is not supported by slotgate"); of them, the fuzz test sends PFDEBUG.
 */
const DOCUMENTED_REFUSALS = new Set(['pfdebug']);

export type Verdict =
  | { readonly kind: 'same' }
  /** An allowed difference; `resync` when the two sides' keys may now differ. */
  | { readonly kind: 'allowed'; readonly rule: string; readonly resync: boolean }
  | { readonly kind: 'different'; readonly why: string };

export interface CompareContext {
  /** The keys Redis finds in the command (COMMAND GETKEYS on the standalone oracle), [] when none or an error. */
  keysOf(args: readonly Buffer[]): Promise<Buffer[]>;
  /** The key's hash slot, as the cluster computes it (CLUSTER KEYSLOT). */
  slotOf(key: Buffer): Promise<number>;
}

const SAME: Verdict = { kind: 'same' };
const different = (why: string): Verdict => ({ kind: 'different', why });

/** Writes (and scripts, which may write): the ones whose keys are checked after they ran. */
export function mayWrite(command: FuzzCommand): boolean {
  return command.spec.isWrite || command.name.startsWith('eval') || command.name.startsWith('fcall');
}

function firstWord(text: string): string {
  const space = text.indexOf(' ');
  return space === -1 ? text : text.slice(0, space);
}

/**
 * What Redis's processCommand refuses before Redis Cluster looks at the slots: unknown commands and
 * sub-commands, and argument counts outside the table's arity. (MSETNX's own "odd number of
 * arguments" check runs later, in the command: Redis Cluster answers CROSSSLOT there.)
 */
function refusedBeforeSlots(command: FuzzCommand, redis: Reply): boolean {
  if (redis.type !== '-') return false;
  if (/^ERR (unknown command|unknown subcommand)/.test(redis.text)) return true;
  const { arity } = command.spec;
  const argc = command.args.length;
  return /^ERR wrong number of arguments/.test(redis.text) && (arity > 0 ? argc !== arity : argc < -arity);
}

export async function compareReplies(command: FuzzCommand, redis: Reply, slotgate: Reply, context: CompareContext): Promise<Verdict> {
  const name = command.name;

  // Allowed: CROSSSLOT. Redis Cluster (and so slotgate, README "What clients see") refuses a multi-key
  // command whose keys are in different slots, unless slotgate splits it (SPLIT_COMMANDS). The keys are
  // the ones Redis itself finds (COMMAND GETKEYS), their slots the cluster's. A refused write leaves the
  // standalone oracle ahead: its keys are resynced.
  if (slotgate.type === '-' && slotgate.text === CROSSSLOT_TEXT && !(redis.type === '-' && redis.text === CROSSSLOT_TEXT)) {
    if (SPLIT_COMMANDS.has(name)) return different('slotgate refused across slots a command it splits across slots (README)');
    if (refusedBeforeSlots(command, redis)) return different('Redis Cluster checks the command name and arity before the slots');
    const keys = await context.keysOf(command.args);
    const slots = new Set(await Promise.all(keys.map((key) => context.slotOf(key))));
    if (slots.size > 1) return { kind: 'allowed', rule: 'CROSSSLOT (keys in several slots)', resync: mayWrite(command) };
    return different(`CROSSSLOT although Redis finds ${keys.length} key(s) in ${slots.size} slot(s)`);
  }

  // Allowed: a SCAN cursor slotgate did not hand out. Its cursors carry the shard index in the top 14
  // bits (README "SCAN"), so one naming no shard (`-1`, which Redis reads as 2^64-1) is refused.
  if (name === 'scan' && slotgate.type === '-' && slotgate.text === 'ERR invalid cursor' && command.args[1]!.toString() !== '0') {
    return { kind: 'allowed', rule: 'SCAN cursor not made by slotgate', resync: false };
  }

  // Allowed: slotgate's documented refusals of node administration.
  if (slotgate.type === '-' && /^ERR command '[^']+' is not supported by slotgate$/.test(slotgate.text) && DOCUMENTED_REFUSALS.has(name)) {
    return { kind: 'allowed', rule: `documented refusal (${name})`, resync: RESYNC_AFTER.has(name) };
  }

  if (redis.type !== slotgate.type) return different('reply types differ');
  if (redis.type === '-' || slotgate.type === '-') {
    const expected = (redis as { text: string }).text;
    const actual = (slotgate as { text: string }).text;
    return firstWord(expected) === firstWord(actual) ? SAME : different('error prefixes differ');
  }
  if (isNil(redis) !== isNil(slotgate)) return different('one reply is nil');

  // Allowed: times. TTL/PTTL/EXPIRETIME/PEXPIRETIME depend on when each server ran the command; the
  // class (-2 no key, -1 no expiry, >= 0 an expiry) must still agree.
  if (TIME_REPLIES.has(name) && redis.type === ':' && slotgate.type === ':') {
    const timeClass = (text: string) => (Number(text) < 0 ? text : 'an expiry');
    return timeClass(redis.text) === timeClass(slotgate.text) ? SAME : different('TTL classes differ');
  }

  // Allowed: SCAN cursors. A SCAN step is compared by shape here; the test compares what whole walks
  // return (slotgate's cursor encodes the shard, README "SCAN").
  if (name === 'scan') return scanShape(redis) && scanShape(slotgate) ? SAME : different('not a SCAN reply');

  // Allowed: what Redis's own command tips call nondeterministic_output (SPOP, SRANDMEMBER, HSCAN,
  // OBJECT ENCODING, DUMP, XPENDING's idle times, …) is compared by type only; XINFO STREAM FULL
  // (delivery times) too.
  if (command.spec.tips.includes('nondeterministic_output') || (name === 'xinfo|stream' && command.args.length > 3)) return SAME;

  // Allowed: KEYS order (slotgate concatenates the masters' answers) and what the tips call
  // nondeterministic_output_order (SMEMBERS, HGETALL, … of hash-table encodings): compared as multisets.
  if (name === 'keys' || command.spec.tips.includes('nondeterministic_output_order')) {
    const pairs = name === 'hgetall';
    return canonical(redis, pairs) === canonical(slotgate, pairs) ? SAME : different('elements differ (compared as multisets)');
  }

  return showReply(redis) === showReply(slotgate) ? SAME : different('values differ');
}

function isNil(reply: Reply): boolean {
  return (reply.type === '$' && reply.data === null) || (reply.type === '*' && reply.items === null);
}

function scanShape(reply: Reply): boolean {
  return reply.type === '*' && reply.items?.length === 2 && reply.items[0]!.type === '$' && /^\d+$/.test(reply.items[0]!.data?.toString() ?? '') && reply.items[1]!.type === '*';
}

/** The elements of an array reply, sorted (in pairs for HGETALL). */
function canonical(reply: Reply, pairs: boolean): string {
  if (reply.type !== '*' || reply.items === null) return showReply(reply);
  const shown = reply.items.map(showReply);
  const units = pairs ? Array.from({ length: Math.ceil(shown.length / 2) }, (_, i) => `${shown[2 * i]}=${shown[2 * i + 1]}`) : shown;
  return units.sort().join('\n');
}

/** When both replies are errors with the same prefix but different texts: worth a look, not a failure. */
export function errorTextsDiffer(redis: Reply, slotgate: Reply): boolean {
  return redis.type === '-' && slotgate.type === '-' && redis.text !== slotgate.text && slotgate.text !== CROSSSLOT_TEXT;
}
