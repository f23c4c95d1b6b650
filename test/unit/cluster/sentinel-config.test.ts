import { describe, expect, it } from 'vitest';
import { newestAnswers, type SentinelAnswer } from '../../../src/cluster/sentinel-config.js';
import { parseConfigEpoch } from '../../../src/cluster/replication-info.js';
import { RespError } from '../../../src/protocol/reply-parser.js';

const answer = (index: number, configEpoch: number, port: number): SentinelAnswer => ({ index, configEpoch, host: '127.0.0.1', port });

describe('which Sentinel to believe (issue #19)', () => {
  it('during a planned failover, the Sentinel that ran it outvotes the ones that still name the old master', () => {
    // Sentinel 2 promoted 7001 (epoch 5); 0 and 1 have not heard yet and still name 7000, which is up and a master.
    const answers = [answer(0, 4, 7000), answer(1, 4, 7000), answer(2, 5, 7001)];
    expect(newestAnswers(answers, 3, 4, 0).map((a) => a.port)).toEqual([7001]);
  });

  it('never goes back to an older configuration while the newer one is in use and no majority says otherwise', () => {
    // The leader (epoch 5) is out of reach for a moment; the other one names the old master.
    expect(() => newestAnswers([answer(0, 4, 7000)], 3, 5, 2)).toThrow(/epoch 4, older than the 5 in use/);
  });

  it('follows a majority that agrees on an older epoch (Sentinels reset by their operator)', () => {
    expect(newestAnswers([answer(0, 0, 7000), answer(1, 0, 7000)], 3, 5, 2).map((a) => a.index)).toEqual([0, 1]);
  });

  it('among Sentinels that agree, the preferred one (that answered last) first, then in configured order after it', () => {
    const answers = [answer(0, 3, 7000), answer(1, 3, 7000), answer(2, 3, 7000)];
    expect(newestAnswers(answers, 3, 3, 1).map((a) => a.index)).toEqual([1, 2, 0]);
    expect(newestAnswers(answers, 3, 0, 0).map((a) => a.index)).toEqual([0, 1, 2]);
  });

  it('refuses to choose from no answer', () => {
    expect(() => newestAnswers([], 3, 0, 0)).toThrow('no Sentinel answered');
  });
});

describe('SENTINEL MASTER', () => {
  const reply = (epoch: string) => ['name', 'mymaster', 'ip', '127.0.0.1', 'port', '7000', 'config-epoch', epoch, 'num-slaves', '2'].map((v) => Buffer.from(v));

  it('reads the config epoch', () => {
    expect(parseConfigEpoch(reply('7'))).toBe(7);
  });

  it('refuses what it cannot read (the Sentinel is then not believed)', () => {
    expect(() => parseConfigEpoch(reply('x'))).toThrow(/bad config-epoch/);
    expect(() => parseConfigEpoch([Buffer.from('name'), Buffer.from('m')])).toThrow(/no config-epoch/);
    expect(() => parseConfigEpoch(new RespError('ERR No such master with that name'))).toThrow('No such master');
  });
});
