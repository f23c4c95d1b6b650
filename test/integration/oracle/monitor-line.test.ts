// monitorLine against Redis itself: the same commands are sent to a real redis-server under
// MONITOR, and each line slotgate would write must equal Redis's own, apart from the timestamp
// and the client address (which differ by construction).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monitorLine } from '../../../src/monitor/monitor-line.js';
import { RawClient } from '../../helpers/slotgate.js';
import { useStandaloneRedis } from '../../helpers/standalone-redis.js';

const redis = useStandaloneRedis();

const COMMANDS: (string | Buffer)[][] = [
  ['SET', 'plain', 'value'],
  ['set', 'quote"back\\slash', 'tab\there\nnew\rline'],
  ['SET', Buffer.from([0x6b, 0x00, 0x07, 0x08, 0x7f, 0xff]), Buffer.from('é€', 'utf8')],
  ['GET', ''],
  ['AUTH', 'not-the-password'],
  ['AUTH', 'someone', 'secret'],
  ['HELLO', '2', 'AUTH', 'default', 'anything', 'SETNAME', 'name-shown'],
  ['MIGRATE', '127.0.0.1', '1', '', '0', '100', 'COPY', 'AUTH', 'pw1', 'KEYS', 'nokey'],
  ['MIGRATE', '127.0.0.1', '1', '', '0', '100', 'AUTH2', 'user', 'pw2', 'KEYS', 'nokey'],
];

/** The part of a MONITOR line after `+<time> [<db> <client>] `. */
const argsPart = (line: string) => line.replace(/^\+\d+\.\d{6} \[0 [^\]]+\] /, '');

describe('MONITOR line format', () => {
  let monitor: RawClient;
  beforeAll(async () => {
    monitor = await RawClient.connect(Number(redis().options.port));
    expect(await monitor.call('MONITOR')).toBe('OK');
  });
  afterAll(() => monitor?.close());

  it('equals the lines redis-server writes, secrets redacted the same way', async () => {
    for (const command of COMMANDS) {
      try {
        await redis().call(String(command[0]), ...command.slice(1));
      } catch {
        // AUTH and MIGRATE fail here; Redis shows them all the same
      }
    }
    const lines: string[] = [];
    while (lines.length < COMMANDS.length) {
      const line = (await monitor.nextFrame()).toString('latin1');
      if (!/"(ping|info|client)"/i.test(line)) lines.push(line.trimEnd());
    }
    const ours = COMMANDS.map((command) => monitorLine(1_700_000_000_123_456, '127.0.0.1:1234', command.map((a) => Buffer.from(a))).toString('latin1').trimEnd());
    expect(ours.map(argsPart)).toEqual(lines.map(argsPart));
    expect(ours.every((l) => l.startsWith('+1700000000.123456 [0 127.0.0.1:1234] '))).toBe(true);
    expect(ours.join('\n')).not.toMatch(/secret|pw1|pw2|anything/);
  });
});
