/**
 * Key → hash slot, exactly as Redis Cluster computes it: CRC16/XMODEM over the key's
 * BYTES modulo 16384, where a hash tag (the bytes between the first `{` and the next
 * `}`, when non-empty) replaces the key. Working on bytes matters: hashing a JS string
 * (UTF-16 code units) gives wrong slots for non-ASCII keys.
 */
export const SLOT_COUNT = 16384;

const CRC16_TABLE = buildCrc16Table();

function buildCrc16Table(): Uint16Array {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
    table[i] = crc;
  }
  return table;
}

/** CRC16/XMODEM (poly 0x1021, init 0) of buf[start, end). */
export function crc16(buf: Uint8Array, start = 0, end = buf.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) {
    crc = ((crc << 8) & 0xff00) ^ CRC16_TABLE[((crc >> 8) ^ buf[i]!) & 0xff]!;
  }
  return crc;
}

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

export function keyHashSlot(key: Uint8Array): number {
  return keyHashSlotIn(key, 0, key.length);
}

/** The slot of the key in bytes[start, end) (a request's argument read by offset). */
export function keyHashSlotIn(bytes: Uint8Array, start: number, end: number): number {
  // A plain loop, not indexOf: keys are short, and a native call costs more than the scan.
  let open = start;
  while (open < end && bytes[open] !== OPEN_BRACE) open++;
  if (open < end) {
    let close = open + 1;
    while (close < end && bytes[close] !== CLOSE_BRACE) close++;
    // `{}` (empty tag) means "no tag": the whole key is hashed.
    if (close < end && close > open + 1) return crc16(bytes, open + 1, close) & (SLOT_COUNT - 1);
  }
  return crc16(bytes, start, end) & (SLOT_COUNT - 1);
}

/** Convenience for tests and config: the slot of a UTF-8 string key. */
export function stringKeyHashSlot(key: string): number {
  return keyHashSlot(Buffer.from(key, 'utf8'));
}
