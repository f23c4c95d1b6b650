import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/protocol/protocol-error.js';
import { ReplyFramer } from '../../../src/protocol/reply-framer.js';
import { bytes, chunkings, fixedChunks, measureBufferWork, text } from './helpers/chunkings.js';

interface Framed {
  frames: Array<{ frame: string; isError: boolean }>;
  error?: string;
}

/**
 * Frames `chunks` with a framer that hands out views (onReply), and again with one that hands out
 * ranges (the node connection's: FrameRangeHandler); both must see the same replies.
 */
function frameChunks(chunks: Buffer[]): Framed {
  const byViews = frameChunksWith(chunks, (record) => new ReplyFramer((frame, isError) => record(frame, isError)));
  const byRanges = frameChunksWith(chunks, (record) => new ReplyFramer(null, null, (bytes, start, end, isError) => record(bytes.subarray(start, end), isError)));
  expect(byRanges).toEqual(byViews);
  return byViews;
}

function frameChunksWith(chunks: Buffer[], framerFor: (record: (frame: Buffer, isError: boolean) => void) => ReplyFramer): Framed {
  const seen: Array<{ frame: Buffer; snapshot: string; isError: boolean }> = [];
  const framer = framerFor((frame, isError) => seen.push({ frame, snapshot: text(frame), isError }));
  let error: string | undefined;
  try {
    for (const chunk of chunks) framer.write(chunk);
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    error = err.message;
  }
  for (const { frame, snapshot } of seen) expect(text(frame)).toBe(snapshot);
  const result: Framed = { frames: seen.map(({ snapshot, isError }) => ({ frame: snapshot, isError })) };
  if (error !== undefined) result.error = error;
  return result;
}

/** Whole buffer, byte by byte and split at every offset must all frame `replies` the same way. */
function expectFrames(replies: string[]): void {
  const expected: Framed = { frames: replies.map((frame) => ({ frame, isError: frame.startsWith('-') })) };
  for (const { label, chunks } of chunkings(bytes(replies.join('')))) {
    expect(frameChunks(chunks), label).toEqual(expected);
  }
}

function expectGarbage(input: string, before: string[] = []): void {
  for (const { label, chunks } of chunkings(bytes(input))) {
    const result = frameChunks(chunks);
    expect(result.frames.map((f) => f.frame), label).toEqual(before);
    expect(result.error, label).toMatch(/^Protocol error: /);
  }
}

describe('ReplyFramer', () => {
  it('frames each reply type', () => {
    expectFrames(['+OK\r\n', '-ERR wrong type\r\n', ':-42\r\n', '$3\r\nfoo\r\n', '$0\r\n\r\n', '$-1\r\n']);
  });

  it('frames arrays: empty, null, nested, with nulls and errors inside', () => {
    expectFrames([
      '*0\r\n',
      '*-1\r\n',
      '*3\r\n:1\r\n*2\r\n$1\r\na\r\n*-1\r\n*0\r\n',
      '*2\r\n*2\r\n*1\r\n$-1\r\n-MOVED 1 h:1\r\n+x\r\n',
    ]);
  });

  it('marks only top-level errors as errors', () => {
    const result = frameChunks([bytes('*1\r\n-ERR inner\r\n-ERR outer\r\n')]);
    expect(result.frames.map((f) => f.isError)).toEqual([false, true]);
  });

  it('does not look inside bulk bodies, even when they contain protocol-like bytes', () => {
    expectFrames(['$12\r\nab\r\n*3\r\n$\r\nc\r\n', '*2\r\n$6\r\n\r\n*3\r\n\r\n$0\r\n\r\n', ':7\r\n']);
  });

  it('frames many pipelined replies in one chunk', () => {
    const replies: string[] = [];
    for (let i = 0; i < 16; i++) replies.push(i % 3 === 0 ? '+OK\r\n' : i % 3 === 1 ? `$2\r\nv${i % 10}\r\n` : '$-1\r\n');
    expectFrames(replies);
  });

  it('hands out views of the chunk when a frame lies inside it', () => {
    const input = bytes('+OK\r\n$3\r\nfoo\r\n');
    const frames: Buffer[] = [];
    new ReplyFramer((f) => frames.push(f)).write(input);
    expect(frames.map(text)).toEqual(['+OK\r\n', '$3\r\nfoo\r\n']);
    for (const frame of frames) expect(frame.buffer).toBe(input.buffer);
    expect(frames[1]!.byteOffset).toBe(input.byteOffset + 5);
  });

  it('frames a 10 MB bulk arriving in 64 KB chunks without scanning or re-copying it', () => {
    const size = 10 * 1024 * 1024;
    const body = Buffer.alloc(size, '\r\n*3\r\n$', 'latin1'); // protocol-like bytes everywhere
    const input = Buffer.concat([bytes(`$${size}\r\n`), body, bytes('\r\n+OK\r\n')]);
    const frames: Buffer[] = [];
    const framer = new ReplyFramer((f) => frames.push(f));
    const work = measureBufferWork(() => {
      for (const chunk of fixedChunks(input, 64 * 1024)) framer.write(Buffer.from(chunk));
    });
    expect(frames).toHaveLength(2);
    expect(frames[0]!.equals(input.subarray(0, input.length - 5))).toBe(true);
    expect(text(frames[1]!)).toBe('+OK\r\n');
    expect(work.copiedBytes).toBeLessThan(size + 1024); // concatenated exactly once
    expect(work.scannedBytes).toBeLessThan(1024); // the body is skipped, not searched
  });

  it('frames a deep array arriving in many chunks', () => {
    const depth = 2000;
    const reply = `${'*1\r\n'.repeat(depth)}:1\r\n`;
    const frames: Buffer[] = [];
    const framer = new ReplyFramer((f) => frames.push(f));
    for (const chunk of fixedChunks(bytes(`${reply}+OK\r\n`), 7)) framer.write(Buffer.from(chunk));
    expect(frames.map(text)).toEqual([reply, '+OK\r\n']);
  });

  it('reset() drops a partial reply', () => {
    const frames: string[] = [];
    const framer = new ReplyFramer((f) => frames.push(text(f)));
    framer.write(bytes('*2\r\n$3\r\nfoo\r\n$10\r\nabc'));
    framer.reset();
    framer.write(bytes('+OK\r\n'));
    expect(frames).toEqual(['+OK\r\n']);
  });

  it('reset() from inside onReply stops framing the rest of that chunk', () => {
    const frames: string[] = [];
    const framer = new ReplyFramer((f) => {
      frames.push(text(f));
      framer.reset();
    });
    framer.write(bytes('+A\r\n+B\r\n'));
    framer.write(bytes('+C\r\n'));
    expect(frames).toEqual(['+A\r\n', '+C\r\n']);
  });

  it('throws a ProtocolError on garbage, after the complete replies before it', () => {
    expectGarbage('+OK\r\n?what\r\n', ['+OK\r\n']);
    expectGarbage('$abc\r\n');
    expectGarbage('$-2\r\n');
    expectGarbage('*-2\r\n');
    expectGarbage('$3\r\nfooXY');
    expectGarbage('+OK\rX');
    expectGarbage(`$${'9'.repeat(25)}\r\n`);
    expectGarbage('*1-\r\n');
  });

  // A top-level reply complete in its chunk takes the fast scan (completeSimpleFrame), one split
  // across chunks the state machine: every chunking above must agree, on good bytes and bad.
  it('frames simple replies alike whether they arrive whole or in pieces, at the edges of each form', () => {
    expectFrames(['$-1\r\n', '$0\r\n\r\n', ':-5\r\n', ':0\r\n', '+\r\n', '-\r\n', '$2\r\n\r\n\r\n', '+OK\r\n']);
    expectFrames([`$${'1'.padStart(12, '0')}\r\nx\r\n`, '$5\r\n$3\r\nx\r\n', '*1\r\n$-1\r\n']);
    expectGarbage('-ERR a\rb\r\n'); // a CR inside a line: Redis never sends one, and the framer refuses it
    expectGarbage('$-1X\r\n');
    expectGarbage('$-10\r\n');
    expectGarbage('$3\r\nfoo\rX', []);
    expectGarbage('+OK\r\n$3\r\nfoo\n\r', ['+OK\r\n']);
    expectGarbage('$3\rX\nfoo\r\n');
    expectGarbage('$3X\r\nfoo\r\n');
  });
});
