import { describe, expect, it } from 'vitest';
import { crc16, keyHashSlot, keyHashSlotIn, stringKeyHashSlot } from '../../../src/cluster/hash-slot.js';

/** The cluster spec's HASH_SLOT, byte by byte as it states it (not the code's two-bytes-a-step version). */
function specSlot(key: Uint8Array): number {
  let crc = 0;
  const update = (byte: number) => {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  };
  const open = key.indexOf(0x7b);
  const close = open < 0 ? -1 : key.indexOf(0x7d, open + 1);
  const hashed = close > open + 1 ? key.subarray(open + 1, close) : key;
  for (const byte of hashed) update(byte);
  return crc % 16384;
}

describe('hash slots', () => {
  it('is CRC16/XMODEM (check value of "123456789" is 0x31C3, as the Redis Cluster spec states)', () => {
    expect(crc16(Buffer.from('123456789'))).toBe(0x31c3);
  });

  it('applies the hash tag rules of the Redis Cluster spec', () => {
    // Examples from the cluster specification: only the first {...} counts, empty tags do not.
    expect(stringKeyHashSlot('{user1000}.following')).toBe(stringKeyHashSlot('{user1000}.followers'));
    expect(stringKeyHashSlot('{user1000}.following')).toBe(stringKeyHashSlot('user1000'));
    expect(stringKeyHashSlot('foo{}{bar}')).toBe(crc16(Buffer.from('foo{}{bar}')) % 16384);
    expect(stringKeyHashSlot('foo{{bar}}zap')).toBe(stringKeyHashSlot('{bar'));
    expect(stringKeyHashSlot('foo{bar}{zap}')).toBe(stringKeyHashSlot('bar'));
    expect(stringKeyHashSlot('no-close{brace')).toBe(crc16(Buffer.from('no-close{brace')) % 16384);
  });

  it('hashes bytes, not UTF-16 code units', () => {
    const key = Buffer.from('ключ', 'utf8');
    expect(keyHashSlot(key)).toBe(crc16(key) % 16384);
    expect(stringKeyHashSlot('ключ')).toBe(keyHashSlot(key));
    expect(keyHashSlot(Buffer.from([0xff, 0x00, 0x7b, 0x41, 0x7d]))).toBe(stringKeyHashSlot('A'));
  });

  it('gives the spec\'s slot for keys of every length and content, read in place inside a larger buffer', () => {
    // A seeded generator: the same keys every run. Braces are common, so tag rules are crossed often.
    let seed = 0x2545f491;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) & 0xff;
    const alphabet = [0x7b, 0x7d, 0x41, 0x61, 0x30, 0x00, 0xff, 0x3a];
    for (let n = 0; n < 5000; n++) {
      const length = random() % 41;
      const key = Buffer.from(Array.from({ length }, () => (random() % 3 === 0 ? alphabet[random() % alphabet.length]! : random())));
      const padded = Buffer.concat([Buffer.from('*2\r\n$'), key, Buffer.from('\r\n')]);
      expect(keyHashSlotIn(padded, 5, 5 + length), key.toString('hex')).toBe(specSlot(key));
      expect(keyHashSlot(key)).toBe(specSlot(key));
    }
  });
});
