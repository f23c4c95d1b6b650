// Which requests name slotgate's reserved keys and channels (handlers/reserved-names.ts): keys of
// any command, channels of the pub/sub commands, patterns aimed at them; never values.
import { describe, expect, it } from 'vitest';
import { lookupCommand } from '../../../src/commands/command-table.js';
import { reservedNameRefusal } from '../../../src/handlers/reserved-names.js';

function refusal(...words: string[]): string | null {
  const args = words.map((w) => Buffer.from(w, 'latin1'));
  const lookup = lookupCommand(args);
  if (!lookup.ok) throw new Error(`lookup failed: ${String(lookup.error)}`);
  return reservedNameRefusal(lookup.spec, args)?.frame.toString('latin1') ?? null;
}

describe('reserved names in requests', () => {
  it.each([
    ['GET', '{slotgate}:x'],
    ['SET', '{slotgate}:instance-seq', '0'],
    ['MSET', 'a', '1', '{slotgate}:b', '2'],
    ['EVAL', 'return 1', '1', '{slotgate}:k'],
    ['SORT', 'l', 'STORE', '{slotgate}:dest'],
    ['XREAD', 'STREAMS', '{slotgate}:s', '0'],
    ['SPUBLISH', '{slotgate}:bus:requests', '{}'],
    ['PUBLISH', '{slotgate}:bus:requests', '{}'],
    ['SSUBSCRIBE', 'a', '{slotgate}:bus:replies:x'],
    ['SUBSCRIBE', '{slotgate}:c'],
    ['PSUBSCRIBE', 'news.*', '{slotgate}:*'],
    ['PUBSUB', 'SHARDNUMSUB', '{slotgate}:bus:requests'],
  ])('%s … is refused', (...words) => {
    expect(refusal(...words)).toMatch(/^-ERR '\{slotgate\}[^']*' is reserved: /);
  });

  it.each([
    ['SET', 'k', '{slotgate}:value'],
    ['PUBLISH', 'news', '{slotgate}:bus:requests'],
    ['SPUBLISH', 'news', '{slotgate}:x'],
    ['EVAL', "redis.call('spublish', ARGV[1], 'x')", '0', '{slotgate}:bus:requests'],
    ['GET', 'x{slotgate}:y'],
    ['PSUBSCRIBE', '*'],
    ['ECHO', '{slotgate}:x'],
  ])('%s … is not', (...words) => {
    expect(refusal(...words)).toBeNull();
  });

  it('quotes the name as the client sent it, up to a NUL', () => {
    expect(refusal('GET', '{slotgate}:a\u0000b')).toBe("-ERR '{slotgate}:a' is reserved: keys, channels and patterns starting with {slotgate}: belong to slotgate and cannot be used through it\r\n");
  });
});
