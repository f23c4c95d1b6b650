import { asRequest } from '../../helpers/as-request.js';
import { argsOfFrame } from '../../../src/protocol/decoded-request.js';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/protocol/protocol-error.js';
import {
  DEFAULT_DECODER_LIMITS,
  RequestDecoder,
  type DecoderLimits,
  type Request,
} from '../../../src/protocol/request-decoder.js';
import { bytes, chunkings, fixedChunks, measureBufferWork, resp, text } from './helpers/chunkings.js';

interface DecodedRequest {
  args: string[];
  raw: string;
}
interface Decoded {
  requests: DecodedRequest[];
  error?: string;
}

/** A request whose raw bytes are its plain RESP encoding. */
function req(...args: string[]): DecodedRequest {
  return { args, raw: resp(...args) };
}

/** Feeds the chunks; also checks that no view handed out earlier changed afterwards. */
function decodeChunks(chunks: Buffer[], limits?: Partial<DecoderLimits>): Decoded {
  const seen: Array<{ req: Request; snapshot: DecodedRequest }> = [];
  const decoder = new RequestDecoder(asRequest((r) => {
    seen.push({ req: r, snapshot: { args: r.args.map(text), raw: text(r.raw) } });
  }), limits);
  let error: string | undefined;
  try {
    for (const chunk of chunks) decoder.write(chunk);
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    error = err.message;
  }
  for (const { req: r, snapshot } of seen) {
    expect({ args: r.args.map(text), raw: text(r.raw) }).toEqual(snapshot);
    // What a call makes from `raw` alone, after the decoder moved on, is the same arguments.
    expect(argsOfFrame(r.raw).map(text)).toEqual(snapshot.args);
  }
  const result: Decoded = { requests: seen.map((s) => s.snapshot) };
  if (error !== undefined) result.error = error;
  return result;
}

/** The framing check: whole buffer, byte by byte and split at every offset all give `expected`. */
function expectDecodes(input: string | Buffer, expected: Decoded, limits?: Partial<DecoderLimits>): void {
  const buf = typeof input === 'string' ? bytes(input) : input;
  for (const { label, chunks } of chunkings(buf)) {
    expect(decodeChunks(chunks, limits), label).toEqual(expected);
  }
}

function expectProtocolError(
  input: string,
  message: string,
  limits?: Partial<DecoderLimits>,
  before: DecodedRequest[] = [],
): void {
  expectDecodes(input, { requests: before, error: message }, limits);
}

describe('RequestDecoder: multibulk requests', () => {
  it('decodes one command', () => {
    expectDecodes('*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n', { requests: [req('SET', 'key', 'value')] });
  });

  it('decodes many pipelined commands in one chunk, in order', () => {
    const commands: string[][] = [];
    for (let i = 0; i < 12; i++) {
      commands.push(i % 2 === 0 ? ['SET', `k${i}`, `v${i}`] : ['GET', `k${i}`]);
    }
    expectDecodes(commands.map((c) => resp(...c)).join(''), { requests: commands.map((c) => req(...c)) });
  });

  // The hot path reads a request by offset and copies it into its node's write: no view of it is
  // made (protocol/byte-range.ts) unless something asks for `raw` or the arguments.
  it('hands each request of a chunk as its range of that chunk, and a lone request as the chunk itself', () => {
    const chunk = Buffer.from(resp('GET', 'a') + resp('SET', 'bb', 'v'));
    const ranges: Array<[Buffer, number, number, string, string]> = [];
    new RequestDecoder((r) => ranges.push([r.bytes, r.base, r.end, r.bytes.toString('latin1', r.start(1), r.start(1) + r.length(1)), text(r.raw)])).write(chunk);
    const getLength = resp('GET', 'a').length;
    expect(ranges).toEqual([
      [chunk, 0, getLength, 'a', resp('GET', 'a')],
      [chunk, getLength, chunk.length, 'bb', resp('SET', 'bb', 'v')],
    ]);
    const lone = Buffer.from(resp('GET', 'a'));
    let raw: Buffer | null = null;
    new RequestDecoder((r) => (raw = r.raw)).write(lone);
    expect(raw).toBe(lone);
  });

  it('keeps binary arguments containing CR LF, NUL and high bytes intact', () => {
    const value = 'a\r\nb\0c\r\n*2\r\n\xff';
    expectDecodes(resp('SET', 'bin\0key', value), { requests: [req('SET', 'bin\0key', value)] });
  });

  it('decodes empty bulk arguments', () => {
    expectDecodes('*3\r\n$3\r\nSET\r\n$0\r\n\r\n$0\r\n\r\n', { requests: [req('SET', '', '')] });
  });

  it('skips *0 and negative counts without emitting anything, like Redis', () => {
    expectDecodes(`*0\r\n*-1\r\n*-10\r\n${resp('PING')}*0\r\n`, { requests: [req('PING')] });
  });

  it('skips the most negative int64 count but refuses one below it (string2ll range)', () => {
    expectDecodes(`*-9223372036854775808\r\n${resp('PING')}`, { requests: [req('PING')] });
    expectProtocolError('*-9223372036854775809\r\n', 'Protocol error: invalid multibulk length');
  });

  it('behaves like Redis 7 on bytes it does not check: the LF after a count and the CRLF after a body', () => {
    // Redis 7.0.15 answers +PONG to both of these; the backend receives the same bytes as raw.
    expectDecodes('*1\rX$4\r\nPING\r\n', { requests: [{ args: ['PING'], raw: '*1\rX$4\r\nPING\r\n' }] });
    expectDecodes('*1\r\n$4\r\nPINGXX', { requests: [{ args: ['PING'], raw: '*1\r\n$4\r\nPINGXX' }] });
  });

  it('like Redis (strchr), never finds a line end that comes after a NUL in a header line', () => {
    // Redis 7.0.15 never answers these; the request is refused once it exceeds the inline limit.
    const limits = { maxInlineLength: 24 };
    expectDecodes(`*1\0\r\n${resp('PING')}`, { requests: [] }, limits);
    expectDecodes(`*1\r\n$4\0\r\nPING\r\n`, { requests: [] }, limits);
    expectProtocolError(`*1\0\r\n${'x'.repeat(30)}\r\n`, 'Protocol error: too big mbulk count string', limits);
    expectProtocolError(`*1\r\n$4\0\r\n${'x'.repeat(30)}\r\n`, 'Protocol error: too big bulk count string', limits);
  });

  it('accepts arguments and counts exactly at the configured limits', () => {
    const limits = { maxBulkLength: 5, maxMultibulkLength: 3 };
    expectDecodes(resp('SET', 'k', '12345'), { requests: [req('SET', 'k', '12345')] }, limits);
  });

  it('hands out zero-copy views when the frame lies in one buffer', () => {
    const input = bytes(`${resp('GET', 'a')}${resp('SET', 'key', 'value')}`);
    const got: Request[] = [];
    new RequestDecoder(asRequest((r) => got.push(r))).write(input);
    expect(got).toHaveLength(2);
    for (const r of got) {
      expect(r.raw.buffer).toBe(input.buffer);
      for (const arg of r.args) expect(arg.buffer).toBe(input.buffer);
    }
    expect(got[1]!.raw.byteOffset).toBe(input.byteOffset + resp('GET', 'a').length);
    expect(got[1]!.args[2]!.byteOffset).toBe(input.byteOffset + input.length - 'value\r\n'.length);
  });

  it('reports the bytes held for an incomplete request', () => {
    const decoder = new RequestDecoder(() => undefined);
    decoder.write(bytes('*2\r\n$3\r\nGET\r\n$5\r\nab'));
    expect(decoder.bufferedBytes).toBe('*2\r\n$3\r\nGET\r\n$5\r\nab'.length);
    decoder.write(bytes('cde\r\n'));
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('decodes a 10 MB argument arriving in 64 KB chunks, copying it a bounded number of times', () => {
    const size = 10 * 1024 * 1024;
    const value = Buffer.allocUnsafe(size);
    for (let i = 0; i < size; i++) value[i] = (i * 7 + (i >> 13)) & 0xff;
    const head = bytes(`*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$${size}\r\n`);
    const input = Buffer.concat([head, value, bytes('\r\n'), bytes(resp('GET', 'big'))]);
    const chunks = fixedChunks(input, 64 * 1024).map((c) => Buffer.from(c));

    const got: Request[] = [];
    const decoder = new RequestDecoder(asRequest((r) => got.push(r)));
    const work = measureBufferWork(() => {
      for (const chunk of chunks) decoder.write(chunk);
    });

    expect(got).toHaveLength(2);
    expect(got[0]!.args.map((a) => a.length)).toEqual([3, 3, size]);
    expect(got[0]!.args[2]!.equals(value)).toBe(true);
    expect(got[0]!.raw.equals(input.subarray(0, head.length + size + 2))).toBe(true);
    expect(got[1]!.args.map(text)).toEqual(['GET', 'big']);
    // Once to gather the body, once to assemble raw. Re-concatenating the leftover on every one
    // of the 160 chunks would copy about 80 times the size.
    expect(work.copiedBytes).toBeLessThan(3 * size);
    expect(work.scannedBytes).toBeLessThan(64 * 1024);
  });

  it('decodes a request of many small arguments arriving in chunks with linear copying', () => {
    const args = ['MSET'];
    for (let i = 0; i < 20_000; i++) args.push(`key:${i}`, `value:${i}`);
    const input = bytes(resp(...args));
    const got: Request[] = [];
    const decoder = new RequestDecoder(asRequest((r) => got.push(r)));
    const work = measureBufferWork(() => {
      for (const chunk of fixedChunks(input, 1000)) decoder.write(Buffer.from(chunk));
    });
    expect(got).toHaveLength(1);
    expect(got[0]!.args.map(text)).toEqual(args);
    expect(text(got[0]!.raw)).toBe(text(input));
    expect(work.copiedBytes).toBeLessThan(3 * input.length);
    expect(work.scannedBytes).toBeLessThan(3 * input.length);
  });
});

describe('RequestDecoder: inline requests', () => {
  it('splits on spaces and re-encodes raw as a multibulk', () => {
    expectDecodes('SET key value\r\n', { requests: [req('SET', 'key', 'value')] });
  });

  it('accepts a bare LF as line end and collapses runs of blanks', () => {
    expectDecodes('  GET \t  key  \nPING\n', { requests: [req('GET', 'key'), req('PING')] });
  });

  it('skips empty and blank lines', () => {
    expectDecodes('\r\n\n   \r\nPING\r\n\t\n', { requests: [req('PING')] });
  });

  it('understands double quotes with escapes', () => {
    expectDecodes('SET "a key" "\\x41\\x7a\\n\\r\\t\\b\\a\\\\\\"\\q"\r\n', {
      requests: [req('SET', 'a key', 'Az\n\r\t\b\x07\\"q')],
    });
  });

  it('keeps \\x followed by non-hex digits literally minus the backslash, as Redis does', () => {
    expectDecodes('ECHO "\\x4g"\r\n', { requests: [req('ECHO', 'x4g')] });
  });

  it("understands single quotes where only \\' is an escape", () => {
    expectDecodes("SET 'it\\'s' 'a\\nb \"c\"'\r\n", { requests: [req('SET', "it's", 'a\\nb "c"')] });
  });

  it('keeps empty quoted arguments and quotes opened mid-argument', () => {
    expectDecodes('SET k ""\r\nECHO a"b c"\r\n', { requests: [req('SET', 'k', ''), req('ECHO', 'ab c')] });
  });

  it('treats a vertical tab inside an argument as part of it (only space, tab, CR, LF end one)', () => {
    expectDecodes('ECHO a\x0bb\r\n', { requests: [req('ECHO', 'a\x0bb')] });
  });

  it('like Redis (strchr), never finds the newline of an inline line holding a NUL', () => {
    const limits = { maxInlineLength: 24 };
    expectDecodes('PING\r\nPING\0\r\nPING\r\n', { requests: [req('PING')] }, limits);
    expectProtocolError(`PING\0\r\n${'x'.repeat(30)}\r\n`, 'Protocol error: too big inline request', limits);
  });

  it('mixes inline and multibulk requests in one stream', () => {
    expectDecodes(`PING\r\n${resp('GET', 'x')}ECHO hi\n`, { requests: [req('PING'), req('GET', 'x'), req('ECHO', 'hi')] });
  });

  it('refuses unbalanced quotes, after serving the requests before them', () => {
    const message = 'Protocol error: unbalanced quotes in request';
    expectProtocolError('PING\r\nECHO "a"b\r\n', message, undefined, [req('PING')]);
    expectProtocolError('ECHO "abc\r\n', message);
    expectProtocolError("ECHO 'abc\r\n", message);
    expectProtocolError("ECHO 'a'b\r\n", message);
  });
});

describe('RequestDecoder: protocol errors (Redis 7 texts)', () => {
  it('too big inline request: a line longer than maxInlineLength without its newline', () => {
    expectProtocolError('A'.repeat(17), 'Protocol error: too big inline request', { maxInlineLength: 16 });
  });

  it('an unterminated inline line of exactly maxInlineLength just waits', () => {
    expectDecodes('A'.repeat(16), { requests: [] }, { maxInlineLength: 16 });
  });

  it('too big mbulk count string', () => {
    expectProtocolError(`*${'1'.repeat(20)}`, 'Protocol error: too big mbulk count string', { maxInlineLength: 16 });
  });

  it('invalid multibulk length: not an integer, or above the limit', () => {
    const message = 'Protocol error: invalid multibulk length';
    for (const count of ['abc', '', '+1', '01', '-0', '1 ', '99999999999999999999']) {
      expectProtocolError(`*${count}\r\n`, message);
    }
    expectProtocolError(`*${DEFAULT_DECODER_LIMITS.maxMultibulkLength + 1}\r\n`, message);
    expectProtocolError('*4\r\n', message, { maxMultibulkLength: 3 });
  });

  it('too big bulk count string, checked before the prefix byte', () => {
    const message = 'Protocol error: too big bulk count string';
    expectProtocolError(`*1\r\n$${'1'.repeat(20)}`, message, { maxInlineLength: 16 });
    expectProtocolError(`*1\r\n${'X'.repeat(20)}`, message, { maxInlineLength: 16 });
  });

  it("expected '$', got the byte seen", () => {
    expectProtocolError("*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n", "Protocol error: expected '$', got 'f'");
    expectProtocolError('*1\r\n:1\r\n', "Protocol error: expected '$', got ':'");
    // Redis prints the CR with %c and then replaces CR/LF by spaces.
    expectProtocolError('*1\r\n\r\n', "Protocol error: expected '$', got ' '");
  });

  it('invalid bulk length: not an integer, negative, or above the limit', () => {
    const message = 'Protocol error: invalid bulk length';
    for (const length of ['abc', '-1', '-0', '', '3x', '007']) {
      expectProtocolError(`*1\r\n$${length}\r\n`, message);
    }
    expectProtocolError(`*1\r\n$${DEFAULT_DECODER_LIMITS.maxBulkLength + 1}\r\n`, message);
    expectProtocolError('*1\r\n$6\r\n', message, { maxBulkLength: 5 });
  });

  it('serves the requests before a protocol error and keeps failing afterwards', () => {
    const got: string[][] = [];
    const decoder = new RequestDecoder(asRequest((r) => got.push(r.args.map(text))));
    expect(() => decoder.write(bytes(`${resp('GET', 'a')}*1\r\n$x\r\n`))).toThrow(
      new ProtocolError('Protocol error: invalid bulk length'),
    );
    expect(got).toEqual([['GET', 'a']]);
    expect(() => decoder.write(bytes(resp('PING')))).toThrow('Protocol error: invalid bulk length');
    expect(got).toHaveLength(1);
  });
});

// Issue #22: a multibulk's argument array is made at its final size when `*N` is small, and grows
// as arguments arrive when N is large (a bare `*1000000` must not reserve the array); both the same.
describe('RequestDecoder: argument arrays', () => {
  for (const count of [1, 3, 63, 64, 65, 200]) {
    it(`decodes ${count} arguments, whole and in every chunking`, () => {
      const args = Array.from({ length: count }, (_, i) => `a${i}`);
      const input = resp(...args) + resp('GET', 'k');
      expectDecodes(input, { requests: [req(...args), req('GET', 'k')] });
    });
  }

  it('hands each request an array of its own, with exactly its arguments', () => {
    const got: Request[] = [];
    new RequestDecoder(asRequest((r) => got.push(r))).write(bytes(resp('SET', 'k', 'v') + resp('GET', 'k')));
    expect(got.map((r) => r.args.length)).toEqual([3, 2]);
    expect(got[0]!.args).not.toBe(got[1]!.args);
  });
});
