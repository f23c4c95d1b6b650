/**
 * Reads the library records out of a FUNCTION DUMP payload, so dumps from several masters can be
 * compared as sets (see the `same-function-dump` reducer). Redis 7 writes, per library, the opcode
 * RDB_OPCODE_FUNCTION2 and the library code as an RDB string, then 2 bytes of RDB version and an
 * 8-byte CRC64 (functionDumpCommand / rdbSaveFunctions). An RDB string is a length-prefixed raw
 * string, or a small integer, or LZF-compressed; we only need to know where each one ends.
 */
import { bulkOf } from './resp-elements.js';

const RDB_OPCODE_FUNCTION2 = 0xf5;
/** RDB version (2 bytes) and CRC64 (8 bytes) close the payload. */
const TRAILER_LENGTH = 10;

/** [value, next position] of an RDB length at `pos`, or [encoding, next, true] for a special encoding. */
function readLength(payload: Buffer, pos: number): [number, number, boolean] {
  const first = payload[pos]!;
  switch (first >> 6) {
    case 0:
      return [first & 0x3f, pos + 1, false];
    case 1:
      return [((first & 0x3f) << 8) | payload[pos + 1]!, pos + 2, false];
    case 2:
      if (first === 0x80) return [payload.readUInt32BE(pos + 1), pos + 5, false];
      return [Number(payload.readBigUInt64BE(pos + 1)), pos + 9, false];
    default:
      return [first & 0x3f, pos + 1, true];
  }
}

/** Position just past the RDB string at `pos`. */
function skipRdbString(payload: Buffer, pos: number): number {
  const [value, next, encoded] = readLength(payload, pos);
  if (!encoded) return next + value;
  switch (value) {
    case 0: return next + 1; // int8
    case 1: return next + 2; // int16
    case 2: return next + 4; // int32
    case 3: { // LZF: compressed length, original length, compressed bytes
      const [compressed, afterCompressed] = readLength(payload, next);
      const [, afterOriginal] = readLength(payload, afterCompressed);
      return afterOriginal + compressed;
    }
    default:
      throw new Error(`unknown RDB string encoding ${value}`);
  }
}

/**
 * The library records (opcode + code string, as bytes) of a FUNCTION DUMP bulk reply frame, or
 * null when the payload is not in the format described above.
 */
export function functionDumpLibraries(frame: Buffer): Buffer[] | null {
  try {
    const payload = bulkOf(frame);
    if (payload === null || payload.length < TRAILER_LENGTH) return null;
    const end = payload.length - TRAILER_LENGTH;
    const records: Buffer[] = [];
    let pos = 0;
    while (pos < end) {
      if (payload[pos] !== RDB_OPCODE_FUNCTION2) return null;
      const next = skipRdbString(payload, pos + 1);
      records.push(payload.subarray(pos, next));
      pos = next;
    }
    return pos === end ? records : null;
  } catch {
    return null;
  }
}
