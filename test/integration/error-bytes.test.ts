// Error replies that quote what the client sent carry the client's bytes, exactly as Redis 7.0
// sends them: bytes that are not UTF-8 come back unchanged (not as U+FFFD), CR and LF become
// spaces, a NUL ends a %s argument. A real redis-server is the oracle: the same raw bytes go to it
// and to slotgate, and the reply bytes must be equal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedClusterSeeds } from '../helpers/cluster-fixture.js';
import { RawClient, startProxy, type StartedProxy } from '../helpers/slotgate.js';
import { useStandaloneRedis } from '../helpers/standalone-redis.js';

/** A request as a RESP multibulk, every argument given as raw bytes. */
function multibulk(...args: Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) parts.push(Buffer.from(`$${arg.length}\r\n`), arg, Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

const b = (text: string): Buffer => Buffer.from(text, 'latin1');

/** The first reply frame, raw, that a server sends for `request` on a fresh connection. */
async function firstReplyBytes(port: number, request: Buffer): Promise<Buffer> {
  const c = await RawClient.connect(port);
  try {
    c.write(request);
    return await c.nextFrame(5000);
  } finally {
    c.close();
  }
}

const CASES: [string, Buffer][] = [
  ['an unknown command name that is not UTF-8', multibulk(b('\xff\xfe'))],
  ['an unknown command with non-UTF-8 and CR LF in its arguments', multibulk(b('\xff\xfe'), b('a\xff'), b('b\r\nc'))],
  ['an unknown command name with CR and LF', multibulk(b('\r\nx\n'))],
  ['an unknown command as an inline request', b('\xff\xfe a\r\n')],
  ['an unknown sub-command with a high byte, CR and NUL', multibulk(b('OBJECT'), b('\xff\r\x00z'))],
  ['an unknown CLIENT sub-command', multibulk(b('CLIENT'), b('\xff'))],
  ['a bad HELLO option with a high byte and CR LF', multibulk(b('HELLO'), b('2'), b('\xff\r\nx'))],
  ['a bad HELLO option with a NUL', multibulk(b('HELLO'), b('2'), b('a\x00b'))],
  ['a protocol error quoting a high byte', b('*1\r\n\xff\r\n')],
  ['a protocol error quoting a multi-byte UTF-8 lead byte', b('*1\r\n\xc3\xa9\r\n')],
];

describe('error replies quote client bytes exactly like Redis', () => {
  const redis = useStandaloneRedis();
  let proxy: StartedProxy;

  beforeAll(async () => {
    proxy = await startProxy(sharedClusterSeeds());
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it.each(CASES)('%s', async (_description, request) => {
    const expected = await firstReplyBytes(redis().options.port!, request);
    expect(expected[0]).toBe(0x2d); // the oracle answers with an error
    const actual = await firstReplyBytes(proxy.port, request);
    expect(actual.toString('hex')).toBe(expected.toString('hex'));
  });
});
