import { describe, expect, it } from 'vitest';
import { MonitorHub } from '../../../src/monitor/monitor-hub.js';
import { CommandCatalog } from '../../../src/commands/command-table.js';

const args = (...words: string[]) => words.map((w) => Buffer.from(w));

describe('MonitorHub', () => {
  it('feeds every command but the ones Redis flags admin, which Redis 7 never shows', () => {
    const hub = new MonitorHub(new CommandCatalog());
    const lines: string[] = [];
    const stop = hub.attach((frame) => lines.push(frame.toString('latin1')));
    hub.publish('127.0.0.1:1', args('SET', 'k', 'v'));
    hub.publish('127.0.0.1:1', args('CONFIG', 'SET', 'requirepass', 'secret-1'));
    hub.publish('127.0.0.1:1', args('acl', 'setuser', 'u', '>secret-2'));
    hub.publish('127.0.0.1:1', args('IMONITOR', '@0'));
    hub.publish('127.0.0.1:1', args('AUTH', 'secret-3'));
    hub.publish('127.0.0.1:1', args('FLUSHALL'));
    stop();
    expect(lines.map((line) => line.replace(/^\+\d+\.\d{6} \[0 127\.0\.0\.1:1\] /, ''))).toEqual(['"SET" "k" "v"\r\n', '"AUTH" "(redacted)"\r\n', '"FLUSHALL"\r\n']);
    expect(hub.active).toBe(false);
  });
});
