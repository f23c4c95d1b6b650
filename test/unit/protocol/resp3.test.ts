/**
 * RESP3 on the backend side: a RESP3 session's commands travel connections that said HELLO 3, so
 * the framer, the element scanners, the parser and the reducers see every RESP3 type. Frames are
 * the byte forms Redis 7.0 sends (checked against redis-server in test/integration/resp3.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/protocol/protocol-error.js';
import { ReplyFramer } from '../../../src/protocol/reply-framer.js';
import { parseReply, RespError } from '../../../src/protocol/reply-parser.js';
import { encodeMap, encodePush, encodeSet, encodeVerbatim, mapReply, nullReply, textReply } from '../../../src/protocol/resp3-encoder.js';
import { encodeBulk, encodeInteger } from '../../../src/protocol/encoder.js';
import { arrayElementFrames, bulkOf, isNullReply, valueEnd } from '../../../src/upstream/resp-elements.js';
import { REDUCERS, type PartReply } from '../../../src/upstream/reducers.js';
import { bytes, chunkings, text } from './helpers/chunkings.js';

const HGETALL = '%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n';
const SHARDS = '*1\r\n%2\r\n$5\r\nslots\r\n*2\r\n:0\r\n:1\r\n$5\r\nnodes\r\n*1\r\n%1\r\n$4\r\nport\r\n:16999\r\n';
const REPLIES = [
  '_\r\n',
  ',3.5\r\n',
  ',-inf\r\n',
  '#t\r\n',
  '#f\r\n',
  '(3492890328409238509324850943850943825024385\r\n',
  '=15\r\ntxt:Some string\r\n',
  '!21\r\nSYNTAX invalid syntax\r\n',
  HGETALL,
  '~3\r\n$1\r\nx\r\n:2\r\n,1.5\r\n',
  '%0\r\n',
  '~0\r\n',
  SHARDS,
  '*3\r\n$1\r\nv\r\n_\r\n$1\r\nw\r\n',
  // An attribute annotates the value after it: both make one reply.
  '|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n*2\r\n:2039123\r\n:9543892\r\n',
  '*2\r\n|1\r\n+ttl\r\n:3600\r\n$1\r\nk\r\n:5\r\n',
];

function frameAll(chunks: Buffer[]): { replies: string[]; errors: boolean[]; pushes: string[] } {
  const replies: string[] = [];
  const errors: boolean[] = [];
  const pushes: string[] = [];
  const framer = new ReplyFramer(
    (frame, isError) => {
      replies.push(text(frame));
      errors.push(isError);
    },
    (frame) => pushes.push(text(frame)),
  );
  for (const chunk of chunks) framer.write(chunk);
  return { replies, errors, pushes };
}

describe('ReplyFramer with RESP3 replies', () => {
  it('frames every RESP3 type, however the stream is chunked', () => {
    for (const { label, chunks } of chunkings(bytes(REPLIES.join('')))) {
      const { replies, errors, pushes } = frameAll(chunks);
      expect(replies, label).toEqual(REPLIES);
      expect(errors, label).toEqual(REPLIES.map((r) => r.startsWith('!')));
      expect(pushes, label).toEqual([]);
    }
  });

  it('hands top-level pushes to onPush, between replies, without counting them as replies', () => {
    const push = '>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$5\r\nhello\r\n';
    for (const { label, chunks } of chunkings(bytes(`+OK\r\n${push}:1\r\n${push}`))) {
      const { replies, pushes } = frameAll(chunks);
      expect(replies, label).toEqual(['+OK\r\n', ':1\r\n']);
      expect(pushes, label).toEqual([push, push]);
    }
  });

  it('refuses streamed strings and unknown type bytes', () => {
    for (const input of ['$?\r\n;4\r\nabcd\r\n;0\r\n', '*?\r\n:1\r\n.\r\n', '@3\r\n']) {
      const framer = new ReplyFramer(() => undefined);
      expect(() => framer.write(bytes(input))).toThrow(ProtocolError);
    }
  });
});

describe('element scanners and parser on RESP3 frames', () => {
  it('valueEnd skips every type; arrayElementFrames lists a map as keys and values', () => {
    const all = Buffer.from(REPLIES.join(''), 'latin1');
    let pos = 0;
    for (const reply of REPLIES) {
      expect(valueEnd(all, pos) - pos).toBe(reply.length);
      pos += reply.length;
    }
    expect(arrayElementFrames(bytes(HGETALL))!.map(text)).toEqual(['$1\r\na\r\n', '$1\r\n1\r\n', '$1\r\nb\r\n', '$1\r\n2\r\n']);
    expect(bulkOf(bytes('=15\r\ntxt:Some string\r\n'))!.toString()).toBe('Some string');
    expect(bulkOf(bytes('_\r\n'))).toBeNull();
    expect([bytes('_\r\n'), bytes('$-1\r\n'), bytes('*-1\r\n')].every(isNullReply)).toBe(true);
    expect(isNullReply(bytes('$0\r\n\r\n'))).toBe(false);
  });

  it('parses RESP3 into the value Redis would send in RESP2', () => {
    expect(parseReply(bytes(HGETALL))).toEqual([Buffer.from('a'), Buffer.from('1'), Buffer.from('b'), Buffer.from('2')]);
    expect(parseReply(bytes('_\r\n'))).toBeNull();
    expect(parseReply(bytes('#t\r\n'))).toBe(1);
    expect(parseReply(bytes(',3.5\r\n'))).toEqual(Buffer.from('3.5'));
    expect(parseReply(bytes('=15\r\ntxt:Some string\r\n'))).toEqual(Buffer.from('Some string'));
    expect(parseReply(bytes('!21\r\nSYNTAX invalid syntax\r\n'))).toEqual(new RespError('SYNTAX invalid syntax'));
    expect(parseReply(bytes('~2\r\n:1\r\n:2\r\n'))).toEqual([1, 2]);
    expect(parseReply(bytes(REPLIES[14]!))).toEqual([2039123, 9543892]);
  });
});

describe('RESP3 encoders', () => {
  it('build maps, sets, pushes, verbatim strings and the protocol-dependent replies', () => {
    const pairs = [encodeBulk('a'), encodeInteger(1)];
    expect(text(encodeMap(pairs))).toBe('%1\r\n$1\r\na\r\n:1\r\n');
    expect(text(mapReply(2, pairs))).toBe('*2\r\n$1\r\na\r\n:1\r\n');
    expect(text(encodeSet([encodeBulk('x')]))).toBe('~1\r\n$1\r\nx\r\n');
    expect(text(encodePush([encodeBulk('message'), encodeBulk('c'), encodeBulk('m')]))).toBe('>3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n');
    expect(text(encodeVerbatim('Some string'))).toBe('=15\r\ntxt:Some string\r\n');
    expect(text(textReply(2, 'x'))).toBe('$1\r\nx\r\n');
    expect(text(nullReply(3))).toBe('_\r\n');
    expect(text(nullReply(2))).toBe('$-1\r\n');
  });
});

describe('reducers on RESP3 parts', () => {
  const parts = (...frames: string[]): PartReply[] => frames.map((f, i) => ({ frame: bytes(f), isError: f.startsWith('-'), label: `@${i} master n${i}` }));

  it('RANDOMKEY skips the RESP3 nulls of empty masters; MGET keeps them in place', () => {
    const random = () => 0; // the first candidate: an empty master's `_` unless it is skipped
    expect(text(REDUCERS['random-non-null']({ command: 'RANDOMKEY', replies: parts('_\r\n', '$1\r\nk\r\n'), random }))).toBe('$1\r\nk\r\n');
    expect(text(REDUCERS['random-non-null']({ command: 'RANDOMKEY', replies: parts('_\r\n', '_\r\n'), random }))).toBe('_\r\n');
    const out = REDUCERS.mget({ command: 'MGET', replies: parts('*2\r\n$1\r\na\r\n_\r\n', '*1\r\n_\r\n'), positions: [[0, 2], [1]], keyCount: 3 });
    expect(text(out)).toBe('*3\r\n$1\r\na\r\n_\r\n_\r\n');
  });

  it('FUNCTION LIST maps agree whatever the order of their functions', () => {
    const lib = (functions: string[]) => `%2\r\n$12\r\nlibrary_name\r\n$3\r\nlib\r\n$9\r\nfunctions\r\n*${functions.length}\r\n${functions.join('')}`;
    const f1 = '%1\r\n$4\r\nname\r\n$2\r\nf1\r\n';
    const f2 = '%1\r\n$4\r\nname\r\n$2\r\nf2\r\n';
    const a = `*1\r\n${lib([f1, f2])}`;
    const b = `*1\r\n${lib([f2, f1])}`;
    expect(text(REDUCERS['same-elements']({ command: 'FUNCTION LIST', replies: parts(a, b) }))).toBe(a);
    const c = `*1\r\n${lib([f1])}`;
    expect(text(REDUCERS['same-elements']({ command: 'FUNCTION LIST', replies: parts(a, c) }))).toMatch(/^-/);
  });

  it('a union of RESP3 sets stays a set', () => {
    expect(text(REDUCERS.union({ command: 'X', replies: parts('~2\r\n$1\r\na\r\n$1\r\nb\r\n', '~1\r\n$1\r\na\r\n') }))).toBe('~2\r\n$1\r\na\r\n$1\r\nb\r\n');
  });
});
