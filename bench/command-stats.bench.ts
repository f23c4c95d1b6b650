// What counting a command costs the hot path: the hooks Session calls per request, for a pipeline
// of 16 commands. Written to run against the code before the stats hooks too (only countCommand
// then), so `npm run bench` before and after a change to metrics gives comparable numbers.
import { bench, describe } from 'vitest';
import { Metrics } from '../src/observability/metrics.js';
import { encodeCommand } from '../src/protocol/encoder.js';
import { ReplySlot } from '../src/session/reply-queue.js';

const PIPELINE = 16;
const requests = Array.from({ length: PIPELINE }, (_, i) => {
  const args = i % 2 === 0 ? [Buffer.from('SET'), Buffer.from(`key:${i}`), Buffer.from('value')] : [Buffer.from('GET'), Buffer.from(`key:${i}`)];
  return { args, raw: encodeCommand(args), name: i % 2 === 0 ? 'set' : 'get' };
});

interface Hooks {
  countCommand(command: string, outcome: 'ok' | 'error'): void;
  requestDecoded?(mark: ReplySlot, req: { raw: Buffer; args: Buffer[] }): void;
  commandDone?(command: string, outcome: 'ok' | 'error', mark: ReplySlot, replyBytes: number): void;
}
const metrics = new Metrics(false) as unknown as Hooks;
const withStats = typeof metrics.commandDone === 'function';

describe(`count ${PIPELINE} commands`, () => {
  bench(withStats ? 'requestDecoded + commandDone (stats hooks)' : 'countCommand (no stats hooks)', () => {
    for (let i = 0; i < PIPELINE; i++) {
      const req = requests[i]!;
      const slot = new ReplySlot();
      if (withStats) {
        metrics.requestDecoded!(slot, req);
        metrics.commandDone!(req.name, 'ok', slot, 5);
      } else {
        metrics.countCommand(req.name, 'ok');
      }
    }
  });
});
