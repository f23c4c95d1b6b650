/**
 * How the replies of a fanned-out command's parts become the one reply the client gets (README: *Cross-slot commands, node targeting and the cluster view*).
 * Pure functions of the part replies, registered in one table typed `satisfies Record<FanoutPolicy,
 * Reducer>`: a policy without a reducer is a compile error.
 *
 * Errors, the same for every policy (except `any-ok`, see there): when every part answers the
 * same error, that error is the cluster's answer and passes through (SCRIPT LOAD of a script that
 * does not compile fails alike on every master); when only some parts fail, the command fails with
 * an error that names the first failed part. A partial result is never returned.
 */
import * as errors from '../errors/catalogue.js';
import type { FanoutPolicy } from '../routing/fanout-policy.js';
import { encodeArrayOfFrames, encodeInteger } from '../protocol/encoder.js';
import { isReservedName } from '../peers/bus-names.js';
import { functionDumpLibraries } from './function-dump.js';
import { arrayBodyStart, arrayElementFrames, integerOf, isNullReply, valueEnd } from './resp-elements.js';

export interface PartReply {
  readonly frame: Buffer;
  readonly isError: boolean;
  /** Names the part in error messages, e.g. `@1 master 3c1f…` or `slot 866 on @0`. */
  readonly label: string;
}

export interface ReduceInput {
  /** The command as the client would name it (upper case), for error messages. */
  readonly command: string;
  /** One reply per part; never empty. */
  readonly replies: readonly PartReply[];
  /** MGET only: for each part (same order as `replies`), the request positions of its keys. */
  readonly positions?: readonly (readonly number[])[];
  /** MGET only: how many keys the request has. */
  readonly keyCount?: number;
  /** Random source in [0, 1), replaceable in tests. */
  readonly random?: () => number;
}

export type Reducer = (input: ReduceInput) => Buffer;

// Aggregate type bytes: parts of a RESP3 session come from RESP3 backend connections.
const ARRAY = 0x2a;
const SET = 0x7e;
const MAP = 0x25;

/** The reply to give when some part failed, or null when none did. */
export function failureOf({ command, replies }: Pick<ReduceInput, 'command' | 'replies'>): Buffer | null {
  const failed = replies.find((r) => r.isError);
  if (!failed) return null;
  const first = replies[0]!.frame;
  if (replies.every((r) => r.isError && r.frame.equals(first))) return first;
  return errors.fanoutPartFailed(command, failed.label, errorText(failed.frame)).frame;
}

/** The node's error text as bytes: it may quote the client's, which must come back unchanged. */
function errorText(frame: Buffer): Buffer {
  return frame.subarray(1, frame.length - 2);
}

/**
 * Element frames of an array part reply (or a RESP3 set); any other reply is reported as that
 * part's failure.
 */
function elementsOf(input: ReduceInput, part: PartReply): Buffer[] | Buffer {
  if (part.frame[0] !== ARRAY && part.frame[0] !== SET) return unexpected(input, part);
  return arrayElementFrames(part.frame) ?? [];
}

function unexpected(input: ReduceInput, part: PartReply): Buffer {
  return unexpectedReply(input.command, part);
}

/** A part answered something its command never answers: that part's failure. */
export function unexpectedReply(command: string, part: PartReply): Buffer {
  const shown = part.frame.subarray(0, Math.min(part.frame.length, 40)).toString('latin1').replace(/^[ \r\n]+|[ \r\n]+$/g, '');
  return errors.fanoutPartFailed(command, part.label, Buffer.from(`unexpected reply '${shown}'`, 'latin1')).frame;
}

function disagreement(input: ReduceInput, other: PartReply): Buffer {
  return errors.fanoutDisagreement(input.command, input.replies[0]!.label, other.label).frame;
}

/**
 * Values back at their keys' positions. Hot (a 100-key MGET has up to 100 parts), so no view or
 * array per element: the reply's size is known from the part frames alone (each part's elements
 * are its frame minus the array header), and values are copied straight into the one reply
 * buffer. A part's positions ascend, so walking the request positions in order consumes each
 * part's elements in order too: one read cursor per part is enough.
 */
const mget: Reducer = (input) => {
  const failure = failureOf(input);
  if (failure) return failure;
  const keyCount = input.keyCount!;
  const replies = input.replies;
  const partOf = new Array<number>(keyCount);
  const cursors = new Array<number>(replies.length);
  const header = `*${keyCount}\r\n`;
  let total = header.length;
  for (let p = 0; p < replies.length; p++) {
    const part = replies[p]!;
    const positions = input.positions![p]!;
    const first = arrayBodyStart(part.frame, positions.length);
    if (first < 0) return unexpected(input, part);
    cursors[p] = first;
    total += part.frame.length - first;
    for (let j = 0; j < positions.length; j++) partOf[positions[j]!] = p;
  }
  const out = Buffer.allocUnsafe(total);
  let at = out.write(header, 0, 'latin1');
  for (let k = 0; k < keyCount; k++) {
    const p = partOf[k]!;
    const frame = replies[p]!.frame;
    const start = cursors[p]!;
    const end = input.positions![p]!.length === 1 ? frame.length : valueEnd(frame, start);
    at += frame.copy(out, at, start, end);
    cursors[p] = end;
  }
  return out;
};

const sameReply: Reducer = (input) => {
  const failure = failureOf(input);
  if (failure) return failure;
  const first = input.replies[0]!.frame;
  const differing = input.replies.find((r) => !r.frame.equals(first));
  return differing ? disagreement(input, differing) : first;
};

const sum: Reducer = (input) => {
  const failure = failureOf(input);
  if (failure) return failure;
  let total = 0;
  for (const part of input.replies) {
    if (part.frame[0] !== 0x3a) return unexpected(input, part);
    total += integerOf(part.frame);
  }
  return encodeInteger(total);
};

const CR = 0x0d;

/** A bulk-string element naming one of slotgate's own channels (`$<n>\r\n{slotgate}:…`). */
function isReservedElement(element: Buffer): boolean {
  const body = element.indexOf(CR) + 2;
  return body > 1 && isReservedName(element.subarray(body, element.length - 2));
}

/**
 * Concatenates array replies; with `unique` (PUBSUB CHANNELS / SHARDCHANNELS), an element already
 * seen (same bytes) is left out, and so are
 * slotgate's own channels, which are not the user's (peers/bus-names.ts).
 */
function concatenate(unique: boolean): Reducer {
  return (input) => {
    const failure = failureOf(input);
    if (failure) return failure;
    const all: Buffer[] = [];
    const seen = new Set<string>();
    for (const part of input.replies) {
      const elements = elementsOf(input, part);
      if (!Array.isArray(elements)) return elements;
      for (const element of elements) {
        if (unique) {
          if (isReservedElement(element)) continue;
          const id = element.toString('latin1');
          if (seen.has(id)) continue;
          seen.add(id);
        }
        all.push(element);
      }
    }
    // A RESP3 set stays a set (`~`); arrays (every RESP2 part, and KEYS in RESP3) stay arrays.
    const merged = encodeArrayOfFrames(all);
    if (input.replies[0]!.frame[0] === SET) merged[0] = SET;
    return merged;
  };
}

const sumPairs: Reducer = (input) => {
  const failure = failureOf(input);
  if (failure) return failure;
  const first = elementsOf(input, input.replies[0]!);
  if (!Array.isArray(first)) return first;
  const totals = new Array<number>(first.length / 2).fill(0);
  for (const part of input.replies) {
    const elements = elementsOf(input, part);
    if (!Array.isArray(elements)) return elements;
    if (elements.length !== first.length) return unexpected(input, part);
    for (let i = 0; i < elements.length; i += 2) {
      if (!elements[i]!.equals(first[i]!) || elements[i + 1]![0] !== 0x3a) return unexpected(input, part);
      totals[i / 2] += integerOf(elements[i + 1]!);
    }
  }
  return encodeArrayOfFrames(first.map((element, i) => (i % 2 === 0 ? element : encodeInteger(totals[(i - 1) / 2]!))));
};

const andPerIndex: Reducer = (input) => {
  const failure = failureOf(input);
  if (failure) return failure;
  let result: number[] | null = null;
  for (const part of input.replies) {
    const elements = elementsOf(input, part);
    if (!Array.isArray(elements)) return elements;
    if (result && elements.length !== result.length) return unexpected(input, part);
    const values = elements.map((e) => (e[0] === 0x3a ? integerOf(e) : NaN));
    if (values.some((v) => Number.isNaN(v))) return unexpected(input, part);
    result = result ? result.map((v, i) => (v !== 0 && values[i] !== 0 ? 1 : 0)) : values;
  }
  return encodeArrayOfFrames(result!.map((v) => encodeInteger(v)));
};

const randomNonNull: Reducer = (input) => {
  const failure = failureOf(input);
  if (failure) return failure;
  const candidates = input.replies.filter((r) => !isNullReply(r.frame));
  // Every node's null is the same one, in the client's protocol (`$-1`, or `_` in RESP3).
  if (candidates.length === 0) return input.replies[0]!.frame;
  const random = input.random ?? Math.random;
  return candidates[Math.floor(random() * candidates.length)]!.frame;
};

/** `-NOTBUSY No scripts in execution right now.`: the part had nothing to kill, which is not a failure. */
function isNotBusy(part: PartReply): boolean {
  return part.isError && part.frame.subarray(1, 8).toString('latin1') === 'NOTBUSY';
}

const anyOk: Reducer = (input) => {
  const failed = input.replies.find((r) => r.isError && !isNotBusy(r));
  if (failed) {
    const first = input.replies[0]!.frame;
    if (input.replies.every((r) => r.frame.equals(first))) return first;
    return errors.fanoutPartFailed(input.command, failed.label, errorText(failed.frame)).frame;
  }
  return input.replies.find((r) => !r.isError)?.frame ?? input.replies[0]!.frame;
};

/**
 * A canonical text of a reply in which the order of array, set and map elements does not matter,
 * at any depth (a RESP3 map as its sorted key/value pairs: FUNCTION LIST in RESP3 is an array of
 * maps whose `functions` arrays come in each node's hash-table order).
 */
function unorderedForm(frame: Buffer): string {
  const type = frame[0];
  if (type !== ARRAY && type !== SET && type !== MAP) return frame.toString('latin1');
  const elements = arrayElementFrames(frame);
  if (elements === null) return '*-1';
  if (type === MAP) {
    const pairs: string[] = [];
    for (let i = 0; i < elements.length; i += 2) pairs.push(`${unorderedForm(elements[i]!)}=${unorderedForm(elements[i + 1]!)}`);
    return `%[${pairs.sort().join(',')}]`;
  }
  return `${String.fromCharCode(type)}[${elements.map(unorderedForm).sort().join(',')}]`;
}

const sameElements: Reducer = (input) => {
  const failure = failureOf(input);
  if (failure) return failure;
  const first = input.replies[0]!;
  const form = unorderedForm(first.frame);
  const differing = input.replies.find((r) => unorderedForm(r.frame) !== form);
  return differing ? disagreement(input, differing) : first.frame;
};

/**
 * FUNCTION DUMP payloads list libraries in each node's hash-table order, which differs between
 * nodes (the hash seed is random per process), so equal libraries can give different bytes: the
 * dumps agree when they hold the same set of library records.
 */
const sameFunctionDump: Reducer = (input) => {
  const failure = failureOf(input);
  if (failure) return failure;
  const first = input.replies[0]!;
  const libraries = (part: PartReply): string | null => {
    const records = functionDumpLibraries(part.frame);
    return records === null ? null : records.map((r) => r.toString('latin1')).sort().join('\u0000');
  };
  const expected = libraries(first);
  const differing = input.replies.find((r) => !r.frame.equals(first.frame) && (expected === null || libraries(r) !== expected));
  return differing ? disagreement(input, differing) : first.frame;
};

export const REDUCERS = {
  mget,
  'same-reply': sameReply,
  sum,
  concat: concatenate(false),
  union: concatenate(true),
  'sum-pairs': sumPairs,
  'and-per-index': andPerIndex,
  'random-non-null': randomNonNull,
  'any-ok': anyOk,
  'same-elements': sameElements,
  'same-function-dump': sameFunctionDump,
} as const satisfies Record<FanoutPolicy, Reducer>;

export function reduce(policy: FanoutPolicy, input: ReduceInput): Buffer {
  return REDUCERS[policy](input);
}
