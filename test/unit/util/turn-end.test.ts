import { describe, expect, it } from 'vitest';
import { deferToTurnEnd } from '../../../src/util/turn-end.js';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('deferToTurnEnd', () => {
  it('runs the tasks of one turn together, in the order they were deferred, after the current callback', async () => {
    const ran: string[] = [];
    const task = (name: string) => ({ atTurnEnd: () => ran.push(name) });
    deferToTurnEnd(task('a'));
    deferToTurnEnd(task('b'));
    deferToTurnEnd(task('a2'));
    expect(ran).toEqual([]);
    await nextTurn();
    expect(ran).toEqual(['a', 'b', 'a2']);
  });

  it('runs a task deferred while the tasks run at the next turn, as a setImmediate made in a setImmediate', async () => {
    const ran: string[] = [];
    deferToTurnEnd({
      atTurnEnd: () => {
        ran.push('first');
        deferToTurnEnd({ atTurnEnd: () => ran.push('deferred from first') });
      },
    });
    deferToTurnEnd({ atTurnEnd: () => ran.push('second') });
    await nextTurn();
    expect(ran).toEqual(['first', 'second']);
    await nextTurn();
    expect(ran).toEqual(['first', 'second', 'deferred from first']);
  });

  it('keeps running the other tasks when one throws, and lets the fault surface', async () => {
    const ran: string[] = [];
    const faults: unknown[] = [];
    const onFault = (err: unknown) => faults.push(err);
    process.prependListener('uncaughtException', onFault);
    try {
      deferToTurnEnd({
        atTurnEnd: () => {
          throw new Error('a bug in one flush');
        },
      });
      deferToTurnEnd({ atTurnEnd: () => ran.push('after the fault') });
      await nextTurn();
      await nextTurn();
      expect(ran).toEqual(['after the fault']);
      expect(faults).toHaveLength(1);
      expect((faults[0] as Error).message).toBe('a bug in one flush');
    } finally {
      process.removeListener('uncaughtException', onFault);
    }
  });
});
