import { describe, expect, it } from 'vitest';
import { crc16, keyHashSlot, stringKeyHashSlot } from '../../../src/cluster/hash-slot.js';

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
});
