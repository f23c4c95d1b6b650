// Redis's limits for clients that have not signed in (networking.c: at most 10 arguments, bulks of
// at most 16 KB, else "Protocol error: unauthenticated …"), checked at every chunking.
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/protocol/protocol-error.js';
import { RequestDecoder } from '../../../src/protocol/request-decoder.js';
import { bytes, chunkings, resp } from './helpers/chunkings.js';

/** Decodes `input`; `signInAfter` clears authRequired from onRequest after that many requests. */
function decode(input: string, signInAfter = Infinity): { requests: number; error?: string } {
  const results = chunkings(bytes(input)).map(({ chunks }) => {
    let requests = 0;
    const decoder = new RequestDecoder(() => {
      if (++requests >= signInAfter) decoder.authRequired = false;
    });
    decoder.authRequired = true;
    try {
      for (const chunk of chunks) decoder.write(chunk);
      return { requests };
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      return { requests, error: err.message };
    }
  });
  for (const result of results) expect(result).toEqual(results[0]);
  return results[0]!;
}

const args = (n: number) => Array.from({ length: n }, (_, i) => `a${i}`);
/** A SET whose value header announces `length` bytes; the body itself does not matter here. */
const setHeader = (length: number) => `*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${length}\r\n`;

describe('unauthenticated request limits', () => {
  it('allows 10 arguments of 16 KB, refuses 11 arguments or a longer bulk', () => {
    expect(decode(resp(...args(10)))).toEqual({ requests: 1 });
    expect(decode(resp(...args(11)))).toEqual({ requests: 0, error: 'Protocol error: unauthenticated multibulk length' });
    expect(decode(setHeader(16 * 1024))).toEqual({ requests: 0 }); // accepted, waiting for the body
    expect(decode(setHeader(16 * 1024 + 1))).toEqual({ requests: 0, error: 'Protocol error: unauthenticated bulk length' });
  });

  it('lifts them from the request right after a successful sign-in, as Redis does', () => {
    expect(decode(resp('AUTH', 'pw') + resp(...args(11)) + setHeader(20_000), 1)).toEqual({ requests: 2 });
    expect(decode(resp('AUTH', 'pw') + resp(...args(11)))).toEqual({ requests: 1, error: 'Protocol error: unauthenticated multibulk length' });
  });
});
