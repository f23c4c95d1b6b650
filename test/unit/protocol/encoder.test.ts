import { asRequest } from '../../helpers/as-request.js';
import { describe, expect, it } from 'vitest';
import * as constants from '../../../src/protocol/constants.js';
import {
  encodeArrayOfFrames,
  encodeBulk,
  encodeCommand,
  encodeError,
  encodeInteger,
  encodeNullArray,
  encodeSimple,
} from '../../../src/protocol/encoder.js';
import { RequestDecoder } from '../../../src/protocol/request-decoder.js';
import { bytes, text } from './helpers/chunkings.js';

describe('encodeCommand', () => {
  it('encodes strings (as UTF-8) and buffers as a multibulk of bulks', () => {
    expect(text(encodeCommand(['SET', 'ключ', bytes('a\r\n\0')]))).toBe(
      '*3\r\n$3\r\nSET\r\n$8\r\n\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87\r\n$4\r\na\r\n\0\r\n',
    );
  });

  it('encodes empty arguments, no arguments, and lengths of several digits', () => {
    expect(text(encodeCommand([]))).toBe('*0\r\n');
    expect(text(encodeCommand(['', Buffer.alloc(0)]))).toBe('*2\r\n$0\r\n\r\n$0\r\n\r\n');
    const long = 'x'.repeat(12345);
    expect(text(encodeCommand(['ECHO', long]))).toBe(`*2\r\n$4\r\nECHO\r\n$12345\r\n${long}\r\n`);
  });

  it('is decoded back to the same arguments by the request decoder', () => {
    const args = [bytes('MSET'), bytes('k\0'), bytes('\r\n*1\r\n'), Buffer.alloc(0), Buffer.alloc(300, 7)];
    const decoded: Buffer[][] = [];
    new RequestDecoder(asRequest((r) => decoded.push(r.args))).write(encodeCommand(args));
    expect(decoded).toEqual([args]);
  });
});

describe('single-value encoders', () => {
  it('encodes status and error lines, turning CR/LF into spaces like Redis', () => {
    expect(text(encodeSimple('OK'))).toBe('+OK\r\n');
    expect(text(encodeError('ERR foo'))).toBe('-ERR foo\r\n');
    expect(text(encodeError('ERR a\r\nb\nc'))).toBe('-ERR a  b c\r\n');
    expect(text(encodeSimple('x\ry'))).toBe('+x y\r\n');
  });

  it('encodes integers from numbers and bigints', () => {
    expect(text(encodeInteger(0))).toBe(':0\r\n');
    expect(text(encodeInteger(-15))).toBe(':-15\r\n');
    expect(text(encodeInteger(9223372036854775807n))).toBe(':9223372036854775807\r\n');
    expect(() => encodeInteger(1.5)).toThrow(RangeError);
  });

  it('encodes bulks from buffers, strings and null', () => {
    expect(text(encodeBulk(bytes('a\r\nb')))).toBe('$4\r\na\r\nb\r\n');
    expect(text(encodeBulk('é'))).toBe('$2\r\n\xc3\xa9\r\n');
    expect(text(encodeBulk(''))).toBe('$0\r\n\r\n');
    expect(text(encodeBulk(null))).toBe('$-1\r\n');
  });

  it('wraps already-encoded frames in an array', () => {
    expect(text(encodeArrayOfFrames([bytes(':1\r\n'), bytes('$-1\r\n'), bytes('*1\r\n+x\r\n')]))).toBe(
      '*3\r\n:1\r\n$-1\r\n*1\r\n+x\r\n',
    );
    expect(text(encodeArrayOfFrames([]))).toBe('*0\r\n');
    expect(text(encodeNullArray())).toBe('*-1\r\n');
  });
});

describe('prebuilt constants', () => {
  it('hold the exact reply bytes', () => {
    expect(Object.fromEntries(Object.entries(constants).map(([name, buf]) => [name, text(buf)]))).toEqual({
      CRLF: '\r\n',
      OK: '+OK\r\n',
      PONG: '+PONG\r\n',
      QUEUED: '+QUEUED\r\n',
      NULL_BULK: '$-1\r\n',
      NULL_ARRAY: '*-1\r\n',
      EMPTY_ARRAY: '*0\r\n',
      ZERO: ':0\r\n',
      ONE: ':1\r\n',
    });
  });
});
