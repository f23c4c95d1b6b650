// slotgate's reserved namespace: which names and patterns are refused (handlers/reserved-names.ts).
import { describe, expect, it } from 'vitest';
import { instanceOfProxy, isPatternAimedAtReserved, isReservedName, proxiesOfChannels } from '../../../src/peers/bus-names.js';

const b = (text: string): Buffer => Buffer.from(text, 'latin1');

describe('reserved names', () => {
  it.each(['{slotgate}:bus:requests', '{slotgate}:instances', '{slotgate}:'])('%s is reserved', (name) => {
    expect(isReservedName(b(name))).toBe(true);
  });

  it.each(['{slotgate}', 'x{slotgate}:a', '{SLOTGATE}:bus', '{slotgate}x', ''])('%s is not', (name) => {
    expect(isReservedName(b(name))).toBe(false);
  });

  it.each(['{slotgate}:*', '{slot*', '{*', '{slotgate}:bus:re?uests', '{slotgat[a-f]}:*', '\\{slotgate}:*', '{slotgate}:', '{[^x]lotgate}*'])(
    'pattern %s is aimed at them',
    (pattern) => expect(isPatternAimedAtReserved(b(pattern))).toBe(true),
  );

  it.each(['*', '?slotgate}:*', '[{]slotgate}:*', 'news.*', '{slotgate}', '{slotgate}x*', '{[^s]lotgate}*', '{slotgat[a-d]}:*', 'x{slotgate}:*'])(
    'pattern %s is not',
    (pattern) => expect(isPatternAimedAtReserved(b(pattern))).toBe(false),
  );

  it('finds the live instances and their numbers in PUBSUB SHARDCHANNELS', () => {
    const proxies = proxiesOfChannels(['{slotgate}:bus:requests', '{slotgate}:bus:replies:10.0.0.1:6380/7', 'other']);
    expect(proxies).toEqual(['10.0.0.1:6380/7']);
    expect(instanceOfProxy(proxies[0]!)).toBe(7);
    expect(instanceOfProxy('no-number')).toBeNaN();
  });
});
