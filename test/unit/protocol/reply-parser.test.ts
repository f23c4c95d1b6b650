import { describe, expect, it } from 'vitest';
import { encodeValue } from '../../../src/protocol/encoder.js';
import { ProtocolError } from '../../../src/protocol/protocol-error.js';
import { parseReply, RespError, type RespValue } from '../../../src/protocol/reply-parser.js';
import { bytes } from './helpers/chunkings.js';

function parse(frame: string): RespValue {
  return parseReply(bytes(frame));
}

describe('parseReply', () => {
  it('maps simple strings to string, bulk to Buffer, integers to number, errors to RespError', () => {
    expect(parse('+OK\r\n')).toBe('OK');
    expect(parse('$5\r\nhe\r\no\r\n')).toEqual(bytes('he\r\no'));
    expect(Buffer.isBuffer(parse('$0\r\n\r\n'))).toBe(true);
    expect(parse(':-1234567\r\n')).toBe(-1234567);
    expect(parse('-WRONGTYPE Operation against a key\r\n')).toEqual(new RespError('WRONGTYPE Operation against a key'));
  });

  it('maps both RESP2 nulls to null', () => {
    expect(parse('$-1\r\n')).toBeNull();
    expect(parse('*-1\r\n')).toBeNull();
  });

  it('parses nested arrays', () => {
    expect(parse('*3\r\n*0\r\n*2\r\n:1\r\n$1\r\nx\r\n-ERR e\r\n')).toEqual([
      [],
      [1, bytes('x')],
      new RespError('ERR e'),
    ]);
  });

  it('decodes simple strings as UTF-8', () => {
    expect(parse('+h\xc3\xa9\r\n')).toBe('hé');
  });

  it('refuses anything that is not exactly one complete frame', () => {
    for (const bad of ['', '+OK', '+OK\r', '$3\r\nfo', '*2\r\n:1\r\n', '+OK\r\n+OK\r\n', '$3\r\nfooXY', '?x\r\n', ':12a\r\n', '$-2\r\n']) {
      expect(() => parse(bad), JSON.stringify(bad)).toThrow(ProtocolError);
    }
  });
});

describe('encodeValue and parseReply are inverses', () => {
  const frames = [
    '+OK\r\n',
    '-ERR unknown command\r\n',
    ':0\r\n',
    ':-9007199254740991\r\n',
    '$0\r\n\r\n',
    '$-1\r\n',
    '$6\r\n\0\r\n\xffab\r\n',
    '*0\r\n',
    '*4\r\n+a\r\n$-1\r\n*1\r\n*1\r\n:5\r\n-MOVED 12 127.0.0.1:7000\r\n',
  ];

  it('encodeValue(parseReply(frame)) gives back the frame', () => {
    for (const frame of frames) expect(encodeValue(parse(frame)).toString('latin1')).toBe(frame);
  });

  it('parseReply(encodeValue(value)) gives back the value', () => {
    const values: RespValue[] = [
      'PONG',
      'héllo',
      42,
      -7,
      null,
      bytes('bin\r\n\0'),
      new RespError('ERR x'),
      [[bytes('k'), 1], [], 'ok', null, new RespError('ASK 1 h:2')],
    ];
    for (const value of values) expect(parseReply(encodeValue(value))).toEqual(value);
  });
});
