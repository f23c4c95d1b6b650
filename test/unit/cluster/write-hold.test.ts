// The hold on a master being failed over (issue #19): commands parked in arrival order resume in
// that order when the new master is confirmed; one whose deadline passes while parked fails then;
// the hold ends by itself at its limit or on an abort. Fake timers: the schedule is what is checked.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WriteHold } from '../../../src/cluster/write-hold.js';

function recorder() {
  const log: string[] = [];
  const command = (name: string, deadline: number) => ({ deadline, resume: () => log.push(`resume ${name}`), expire: () => log.push(`expire ${name}`) });
  const ended: string[] = [];
  const hold = new WriteHold(5000, { started: () => {}, ended: (address, how, _ms, parked) => ended.push(`${address} ${how} ${parked}`) });
  return { log, command, ended, hold };
}

describe('WriteHold', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('parks commands for a held master and resumes them in order once another master is confirmed', () => {
    const { log, command, ended, hold } = recorder();
    expect(hold.park('m:1', command('a', Date.now() + 1000))).toBe(false);
    hold.hold('m:1', 'sentinel +selected-slave');
    expect(hold.isHeld('m:1')).toBe(true);
    expect(hold.isHeld('m:2')).toBe(false);
    for (const name of ['a', 'b', 'c']) expect(hold.park('m:1', command(name, Date.now() + 1000))).toBe(true);
    hold.releaseAllBut(new Set(['m:1'])); // the refresh still names the old master: keep holding
    expect(log).toEqual([]);
    hold.releaseAllBut(new Set(['m:2']));
    expect(log).toEqual(['resume a', 'resume b', 'resume c']);
    expect(ended).toEqual(['m:1 new master 3']);
    expect(hold.isHeld('m:1')).toBe(false);
  });

  it('fails a parked command when its deadline passes, and ends the hold at its limit', async () => {
    const { log, command, ended, hold } = recorder();
    hold.hold('m:1', 'READONLY');
    hold.park('m:1', command('early', Date.now() + 300));
    hold.park('m:1', command('late', Date.now() + 8000));
    await vi.advanceTimersByTimeAsync(299);
    expect(log).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(log).toEqual(['expire early']);
    await vi.advanceTimersByTimeAsync(4700);
    expect(log).toEqual(['expire early', 'resume late']);
    expect(ended).toEqual(['m:1 timeout 1']);
  });

  it('lets the commands go at once when the failover is aborted', () => {
    const { log, command, hold } = recorder();
    hold.hold('m:1', 'sentinel +selected-slave');
    hold.park('m:1', command('a', Date.now() + 1000));
    hold.release('m:1', 'aborted');
    expect(log).toEqual(['resume a']);
  });
});
