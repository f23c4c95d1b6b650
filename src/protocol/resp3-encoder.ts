/**
 * RESP3 frames that slotgate builds itself, and the few replies whose shape depends on the
 * client's protocol (HELLO 2 / HELLO 3). Forwarded replies never come through here: a RESP3
 * session's commands travel RESP3 backend connections, so Redis itself encodes them.
 *
 * The protocol-dependent builders (`nullReply`, `textReply`, `mapReply`) give exactly what
 * Redis 7 gives a client of that protocol: RESP2 `$-1` / bulk / flat array, RESP3 `_` /
 * verbatim `=…txt:` / map.
 */
import { NULL_BULK } from './constants.js';
import { encodeArrayOfFrames, encodeBulk } from './encoder.js';

/** The protocol a client speaks: 2 until it says HELLO 3. */
export type RespVersion = 2 | 3;

/** RESP3 null: `_\r\n` (shared constant, read-only). */
export const RESP3_NULL = Buffer.from('_\r\n', 'latin1');
export const RESP3_TRUE = Buffer.from('#t\r\n', 'latin1');
export const RESP3_FALSE = Buffer.from('#f\r\n', 'latin1');

function aggregate(prefix: string, count: number, frames: readonly Buffer[]): Buffer {
  return Buffer.concat([Buffer.from(`${prefix}${count}\r\n`, 'latin1'), ...frames]);
}

/** `%n` followed by n key/value pairs; `pairs` holds keys and values in turn (already encoded). */
export function encodeMap(pairs: readonly Buffer[]): Buffer {
  if (pairs.length % 2 !== 0) throw new RangeError('a map needs as many values as keys');
  return aggregate('%', pairs.length / 2, pairs);
}

/** `~n` followed by n encoded elements. */
export function encodeSet(elements: readonly Buffer[]): Buffer {
  return aggregate('~', elements.length, elements);
}

/**
 * `>n` followed by n encoded elements: an out-of-band push (pub/sub messages to a RESP3 client,
 * e.g. `encodePush([encodeBulk('message'), encodeBulk(channel), encodeBulk(payload)])`).
 */
export function encodePush(elements: readonly Buffer[]): Buffer {
  return aggregate('>', elements.length, elements);
}

/** `=<len>\r\n<fmt>:<text>\r\n`: a verbatim string (Redis sends INFO, CLUSTER INFO/NODES so, format `txt`). */
export function encodeVerbatim(text: string | Buffer, format = 'txt'): Buffer {
  const body = Buffer.concat([Buffer.from(`${format}:`, 'latin1'), typeof text === 'string' ? Buffer.from(text) : text]);
  return Buffer.concat([Buffer.from(`=${body.length}\r\n`, 'latin1'), body, Buffer.from('\r\n', 'latin1')]);
}

/** `#t` / `#f`. */
export function encodeBoolean(value: boolean): Buffer {
  return value ? RESP3_TRUE : RESP3_FALSE;
}

/** The null bulk of `protocol`: `$-1` or `_`. */
export function nullReply(protocol: RespVersion): Buffer {
  return protocol === 3 ? RESP3_NULL : NULL_BULK;
}

/** A text report (INFO, CLUSTER INFO, CLUSTER NODES): a bulk string, or a verbatim `txt` string in RESP3. */
export function textReply(protocol: RespVersion, text: string | Buffer): Buffer {
  return protocol === 3 ? encodeVerbatim(text) : encodeBulk(text);
}

/** A map: a flat array of keys and values in RESP2, `%` in RESP3. */
export function mapReply(protocol: RespVersion, pairs: readonly Buffer[]): Buffer {
  return protocol === 3 ? encodeMap(pairs) : encodeArrayOfFrames(pairs as Buffer[]);
}
