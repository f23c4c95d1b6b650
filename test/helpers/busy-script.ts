// A master kept busy by a script, and SCRIPT KILL through slotgate to free it.
import { RespError, type RespValue } from '../../src/protocol/reply-parser.js';
import type { RawClient } from './slotgate.js';

/**
 * Starts `while true do end` on `key`'s master through `runner`, then sends SCRIPT KILL through
 * `killer` until it answers something other than NOTBUSY (the script may not have started yet).
 * Returns SCRIPT KILL's answer; the runner's own reply is left for the caller to read.
 */
export async function runAndKillBusyScript(runner: RawClient, killer: RawClient, key: string): Promise<RespValue> {
  runner.command('EVAL', 'while true do end', '1', key);
  let killed: RespValue = null;
  for (let attempt = 0; attempt < 100; attempt++) {
    killed = await killer.call('SCRIPT', 'KILL');
    if (!(killed instanceof RespError && killed.message.startsWith('NOTBUSY'))) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  return killed;
}
