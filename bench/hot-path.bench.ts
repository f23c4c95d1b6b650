// The per-command work slotgate does on the hot path, without sockets: decode the request, look the
// command up and find its key's slot by offset (the dispatcher's direct path), and frame the backend's reply.
import { bench, describe } from 'vitest';
import { FALLBACK_COMMAND_TABLE } from '../src/commands/command-table.js';
import { encodeCommand } from '../src/protocol/encoder.js';
import { ReplyFramer } from '../src/protocol/reply-framer.js';
import type { DecodedRequest } from '../src/protocol/decoded-request.js';
import { RequestDecoder } from '../src/protocol/request-decoder.js';
import { singleKeySlotOf } from '../src/routing/router.js';

const PIPELINE = 16;
const requests = Buffer.concat(
  Array.from({ length: PIPELINE }, (_, i) =>
    i % 2 === 0 ? encodeCommand(['SET', `key:${i}:${'x'.repeat(8)}`, 'value-'.repeat(3)]) : encodeCommand(['GET', `key:${i}`]),
  ),
);
const replies = Buffer.from('+OK\r\n$18\r\nvalue-value-value-\r\n'.repeat(PIPELINE / 2));

let sink = 0;
/** What the dispatcher's direct path does with a plain request: the name and the key read by offset. */
function handle(request: DecodedRequest): void {
  const spec = FALLBACK_COMMAND_TABLE.lookupPlain(request.raw, request.start(0), request.length(0), request.count);
  if (spec === undefined) throw new Error('not a plain command');
  const slot = singleKeySlotOf(spec, request, false);
  if (slot < 0) throw new Error('not a single-key command');
  sink += slot;
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
