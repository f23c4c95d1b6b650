import { describe, expect, it } from 'vitest';
import { parseRedirect } from '../../../src/cluster/redirect.js';
import { FALLBACK_COMMAND_TABLE } from '../../../src/commands/command-table.js';
import { stringKeyHashSlot } from '../../../src/cluster/hash-slot.js';
import { routeCommand } from '../../../src/routing/router.js';

function plan(...args: string[]) {
  const buffers = args.map((a) => Buffer.from(a));
  const lookup = FALLBACK_COMMAND_TABLE.lookup(buffers);
  if (!lookup.ok) throw new Error(lookup.error.toString());
  return routeCommand(lookup.spec, buffers);
}

describe('router', () => {
  it('routes single-key commands to the key slot with read/write access', () => {
    expect(plan('GET', 'user:1')).toMatchObject({ kind: 'slot', slot: stringKeyHashSlot('user:1'), access: 'read', blocking: false });
    expect(plan('SET', 'user:1', 'x')).toMatchObject({ kind: 'slot', access: 'write' });
    expect(plan('BLPOP', 'q', '0')).toMatchObject({ kind: 'slot', blocking: true });
  });

  it('keeps same-slot multi-key commands whole and refuses cross-slot ones', () => {
    expect(plan('MSET', '{t}a', '1', '{t}b', '2')).toMatchObject({ kind: 'slot', slot: stringKeyHashSlot('t') });
    expect(plan('EVAL', 'return 1', '2', '{t}a', '{t}b')).toMatchObject({ kind: 'slot', slot: stringKeyHashSlot('t') });
    const cross = plan('SUNIONSTORE', 'a', 'b', 'c');
    expect(cross.kind).toBe('error');
    if (cross.kind === 'error') expect(cross.error.frame.toString()).toBe("-CROSSSLOT Keys in request don't hash to the same slot\r\n");
  });

  it('leaves keyless commands to their handlers', () => {
    expect(plan('EVAL', 'return 1', '0')).toMatchObject({ kind: 'keyless', access: 'other' });
    expect(plan('TIME')).toMatchObject({ kind: 'keyless' });
    expect(plan('SHUTDOWN')).toMatchObject({ kind: 'keyless' });
  });
});

describe('redirect parsing', () => {
  it('reads MOVED, ASK, TRYAGAIN and CLUSTERDOWN', () => {
    expect(parseRedirect(Buffer.from('-MOVED 3999 127.0.0.1:6381\r\n'))).toEqual({ kind: 'moved', slot: 3999, address: '127.0.0.1:6381' });
    expect(parseRedirect(Buffer.from('-ASK 1 [::1]:7000\r\n'))).toEqual({ kind: 'ask', slot: 1, address: '[::1]:7000' });
    expect(parseRedirect(Buffer.from('-TRYAGAIN Multiple keys request during rehashing of slot\r\n'))).toEqual({ kind: 'tryagain' });
    expect(parseRedirect(Buffer.from('-CLUSTERDOWN The cluster is down\r\n'))).toEqual({ kind: 'clusterdown' });
  });

  it('does not follow untrusted or unrelated errors', () => {
    for (const line of ['-MOVED 16384 h:1', '-MOVED -1 h:1', '-MOVED 1.5 h:1', '-MOVED 12 nohost', '-MOVED 12', '-ERR MOVED 1 h:1', '-WRONGTYPE x', '+MOVED 1 h:1']) {
      expect(parseRedirect(Buffer.from(`${line}\r\n`)), line).toBeNull();
    }
  });
});
