// The per-command work slotgate does on the hot path, without sockets: decode the request,
// look the command up, route it by slot, and frame the backend's reply.
import { bench, describe } from 'vitest';
import { FALLBACK_COMMAND_TABLE } from '../src/commands/command-table.js';
import { encodeCommand } from '../src/protocol/encoder.js';
import { ReplyFramer } from '../src/protocol/reply-framer.js';
import { RequestDecoder } from '../src/protocol/request-decoder.js';
import { routeCommand } from '../src/routing/router.js';

const PIPELINE = 16;
const requests = Buffer.concat(
  Array.from({ length: PIPELINE }, (_, i) =>
    i % 2 === 0 ? encodeCommand(['SET', `key:${i}:${'x'.repeat(8)}`, 'value-'.repeat(3)]) : encodeCommand(['GET', `key:${i}`]),
  ),
);
const replies = Buffer.from('+OK\r\n$18\r\nvalue-value-value-\r\n'.repeat(PIPELINE / 2));

let sink = 0;
function handle(args: Buffer[]): void {
  const lookup = FALLBACK_COMMAND_TABLE.lookup(args);
  if (!lookup.ok) throw new Error(lookup.error.toString());
  const plan = routeCommand(lookup.spec, args);
  if (plan.kind === 'slot') sink += plan.slot;
}
const decoder = new RequestDecoder(handle);
const framer = new ReplyFramer((frame) => {
  sink += frame.length;
});

describe(`hot path, ${PIPELINE}-command pipeline`, () => {
  bench('decode + lookup + route', () => {
    decoder.write(requests);
  });
  bench('frame replies', () => {
    framer.write(replies);
  });
  bench('decode + lookup + route + frame (per pipeline)', () => {
    decoder.write(requests);
    framer.write(replies);
  });
});

export { sink };
