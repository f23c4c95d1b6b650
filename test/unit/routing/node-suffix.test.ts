// Which trailing arguments are node suffixes (README: *Cross-slot commands, node targeting and the cluster view*: *Reaching one node*), and which are the command's own.
import { describe, expect, it } from 'vitest';
import { parseNodeSelector, splitNodeSuffix } from '../../../src/routing/node-suffix.js';

const ID = '3c1f0b6b1c2a4f9e8d7c6b5a49382716f5e4d3c2';
const args = (...words: string[]) => words.map((w) => Buffer.from(w));
const split = (...words: string[]) => {
  const result = splitNodeSuffix(args(...words));
  return result && { args: result.args.map(String), selector: result.selector, text: result.text };
};

describe('parseNodeSelector', () => {
  it('reads @N and 40-hex node IDs (any case, reported lower case)', () => {
    expect(parseNodeSelector(Buffer.from('@0'))).toEqual({ kind: 'shard', index: 0 });
    expect(parseNodeSelector(Buffer.from('@12'))).toEqual({ kind: 'shard', index: 12 });
    expect(parseNodeSelector(Buffer.from(ID.toUpperCase()))).toEqual({ kind: 'id', id: ID });
  });
  it.each(['@', '@-1', '@1a', '@ 1', ID.slice(1), `${ID.slice(1)}g`, 'x'.repeat(40)])('%s is no node', (text) => {
    expect(parseNodeSelector(Buffer.from(text))).toBeNull();
  });
});

describe('splitNodeSuffix', () => {
  it.each([
    [['DBSIZE', '@0'], ['DBSIZE']],
    [['dbsize', ID], ['dbsize']],
    [['INFO', 'server', '@2'], ['INFO', 'server']],
    [['INFO', '@1'], ['INFO']],
    [['PING', '@1'], ['PING']],
    [['PING', 'hello', '@1'], ['PING', 'hello']],
    [['KEYS', 'user:*', '@1'], ['KEYS', 'user:*']],
    [['SCAN', '0', '@2'], ['SCAN', '0']],
    [['SCAN', '0', 'MATCH', 'a*', 'COUNT', '10', '@2'], ['SCAN', '0', 'MATCH', 'a*', 'COUNT', '10']],
    [['FLUSHDB', 'ASYNC', '@0'], ['FLUSHDB', 'ASYNC']],
    [['FLUSHALL', '@0'], ['FLUSHALL']],
    [['SLOWLOG', 'GET', '@0'], ['SLOWLOG', 'GET']],
    [['SLOWLOG', 'get', '10', '@0'], ['SLOWLOG', 'get', '10']],
    [['SLOWLOG', 'LEN', '@0'], ['SLOWLOG', 'LEN']],
    [['SLOWLOG', 'RESET', ID], ['SLOWLOG', 'RESET']],
    [['MEMORY', 'STATS', '@0'], ['MEMORY', 'STATS']],
    [['MEMORY', 'DOCTOR', '@0'], ['MEMORY', 'DOCTOR']],
    [['CLUSTER', 'INFO', '@0'], ['CLUSTER', 'INFO']],
    [['CONFIG', 'GET', 'maxmemory', '@0'], ['CONFIG', 'GET', 'maxmemory']],
    [['RANDOMKEY', '@0'], ['RANDOMKEY']],
    [['TIME', '@0'], ['TIME']],
    [['LASTSAVE', '@0'], ['LASTSAVE']],
    [['ROLE', ID], ['ROLE']],
  ])('%j names a node', (request, command) => {
    expect(split(...request)?.args).toEqual(command);
  });

  it.each([
    ['KEYS', '@1'], // the pattern "@1"
    ['SCAN', '0', 'MATCH', '@2'], // the MATCH pattern "@2"
    ['GET', '@1'], // not an operator command
    ['SET', 'k', ID],
    ['PING', 'a', 'b', '@1'], // PING takes at most one message
    ['DBSIZE', 'x', '@0'],
    ['CLUSTER', 'NODES', '@0'], // only CLUSTER INFO is node-targeted
    ['CONFIG', 'SET', 'maxmemory', '@0'],
    ['MEMORY', 'USAGE', '@0'],
    ['SLOWLOG', 'GET', '1', '2', '@0'],
    ['DBSIZE', '@x'],
    ['DBSIZE'],
  ])('%j does not', (...request) => {
    expect(split(...request)).toBeNull();
  });
});
