/**
 * Every framing case runs three ways: the whole input as one chunk, one byte per chunk, and split
 * into two chunks at every offset. Chunks are fresh copies, as socket chunks would be, so a codec
 * cannot accidentally rely on them sharing memory with the input.
 */
export interface Chunking {
  label: string;
  chunks: Buffer[];
}

export function chunkings(input: Buffer): Chunking[] {
  const copy = (from: number, to: number): Buffer => Buffer.from(input.subarray(from, to));
  const result: Chunking[] = [{ label: 'whole buffer', chunks: [copy(0, input.length)] }];
  const bytes: Buffer[] = [];
  for (let i = 0; i < input.length; i++) bytes.push(copy(i, i + 1));
  result.push({ label: 'byte by byte', chunks: bytes });
  for (let at = 1; at < input.length; at++) {
    result.push({ label: `split at ${at}`, chunks: [copy(0, at), copy(at, input.length)] });
  }
  return result;
}

/** Splits `input` into consecutive chunks of `size` bytes (the last may be shorter). */
export function fixedChunks(input: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < input.length; i += size) chunks.push(input.subarray(i, i + size));
  return chunks;
}

/** Bytes as a readable, binary-safe string (latin1 maps every byte to one char). */
export function bytes(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

export function text(buf: Buffer): string {
  return buf.toString('latin1');
}

/**
 * The RESP multibulk encoding of `args`, written independently of the encoder under test so
 * expected `raw` values do not come from the code being checked.
 */
export function resp(...args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${bytes(a).length}\r\n${a}\r\n`).join('')}`;
}

/**
 * Counts the bytes Buffer.concat produced and the bytes indexOf scanned while `run` executes: the
 * codecs copy only through Buffer.concat and search only through indexOf, so these totals show
 * whether the work grows linearly with the input (without asserting on wall-clock time).
 */
export function measureBufferWork(run: () => void): { copiedBytes: number; scannedBytes: number } {
  const originalConcat = Buffer.concat;
  const originalIndexOf = Buffer.prototype.indexOf;
  let copiedBytes = 0;
  let scannedBytes = 0;
  Buffer.concat = function countingConcat(list: readonly Uint8Array[], totalLength?: number): Buffer {
    const out = originalConcat.call(Buffer, list, totalLength);
    copiedBytes += out.length;
    return out;
  } as typeof Buffer.concat;
  Buffer.prototype.indexOf = function countingIndexOf(
    this: Buffer,
    value: string | number | Uint8Array,
    byteOffset?: number,
    encoding?: BufferEncoding,
  ): number {
    const found = originalIndexOf.call(this, value, byteOffset, encoding);
    const from = byteOffset ?? 0;
    scannedBytes += (found === -1 ? this.length : found + 1) - from;
    return found;
  };
  try {
    run();
  } finally {
    Buffer.concat = originalConcat;
    Buffer.prototype.indexOf = originalIndexOf;
  }
  return { copiedBytes, scannedBytes };
}
