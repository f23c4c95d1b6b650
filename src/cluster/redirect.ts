/**
 * Recognising cluster redirections in a backend error reply. Backend replies are
 * untrusted: a MOVED whose slot is not an integer in range, or whose address is not
 * host:port, is not followed (it is passed to the client as the error it is).
 */
import { SLOT_COUNT } from '../cluster/hash-slot.js';

export type Redirect =
  | { kind: 'moved' | 'ask'; slot: number; address: string }
  | { kind: 'tryagain' | 'clusterdown' };

const MINUS = 0x2d;

/** `frame` is a whole error reply frame such as `-MOVED 3999 127.0.0.1:6381\r\n`. */
export function parseRedirect(frame: Buffer): Redirect | null {
  if (frame[0] !== MINUS) return null;
  // The prefixes are checked on bytes first so ordinary errors (WRONGTYPE…) cost no string.
  const c = frame[1];
  if (c !== 0x4d /* M */ && c !== 0x41 /* A */ && c !== 0x54 /* T */ && c !== 0x43 /* C */) return null;
  const line = frame.toString('latin1', 1, frame.length - 2);
  if (line.startsWith('TRYAGAIN')) return { kind: 'tryagain' };
  if (line.startsWith('CLUSTERDOWN')) return { kind: 'clusterdown' };
  const moved = line.startsWith('MOVED ');
  if (!moved && !line.startsWith('ASK ')) return null;
  const parts = line.split(' ');
  if (parts.length !== 3) return null;
  const slot = Number(parts[1]);
  if (!Number.isInteger(slot) || slot < 0 || slot >= SLOT_COUNT || !/^\d+$/.test(parts[1]!)) return null;
  const address = parts[2]!;
  if (!/^.*:\d{1,5}$/.test(address)) return null;
  // Redis 7 may send ":port" when the node does not know its own host name; callers fill it in.
  return { kind: moved ? 'moved' : 'ask', slot, address };
}

const READONLY_PREFIX = Buffer.from('-READONLY ', 'latin1');

/**
 * `-READONLY You can't write against a read only replica.`: the node slotgate took for the master
 * has been demoted (a Sentinel failover, a manual REPLICAOF). The write did not run.
 */
export function isReadonlyRefusal(frame: Buffer): boolean {
  return frame.length > READONLY_PREFIX.length && frame.subarray(0, READONLY_PREFIX.length).equals(READONLY_PREFIX);
}
