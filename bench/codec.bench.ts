/**
 * Hot-path codec costs: decoding a 16-command GET/SET pipeline (one client read) and framing the
 * 16 replies that come back (one backend read). Run with `npx vitest bench --run`.
 */
import { asRequest } from '../test/helpers/as-request.js';
import { bench, describe } from 'vitest';
import { encodeCommand } from '../src/protocol/encoder.js';
import { ReplyFramer } from '../src/protocol/reply-framer.js';
import { RequestDecoder, type Request } from '../src/protocol/request-decoder.js';

const PIPELINE_DEPTH = 16;

const pipeline = Buffer.concat(
  Array.from({ length: PIPELINE_DEPTH }, (_, i) =>
    i % 2 === 0 ? encodeCommand(['SET', `key:${i}`, 'x'.repeat(64)]) : encodeCommand(['GET', `key:${i - 1}`]),
  ),
);
const replies = Buffer.from(
  Array.from({ length: PIPELINE_DEPTH }, (_, i) => (i % 2 === 0 ? '+OK\r\n' : `$64\r\n${'x'.repeat(64)}\r\n`)).join(''),
  'latin1',
);

let decoded = 0;
const decoder = new RequestDecoder(asRequest((req: Request) => {
  decoded += req.args.length;
}));
let framed = 0;
const framer = new ReplyFramer((frame) => {
  framed += frame.length;
});

describe('request decoding', () => {
  bench(`decode a ${PIPELINE_DEPTH}-command GET/SET pipeline (one chunk)`, () => {
    decoder.write(pipeline);
  });

  const half = pipeline.length >> 1;
  const firstHalf = pipeline.subarray(0, half);
  const secondHalf = pipeline.subarray(half);
  bench(`decode a ${PIPELINE_DEPTH}-command GET/SET pipeline (split mid-command)`, () => {
    decoder.write(firstHalf);
    decoder.write(secondHalf);
  });
});

describe('reply framing', () => {
  bench(`frame ${PIPELINE_DEPTH} GET/SET replies (one chunk)`, () => {
    framer.write(replies);
  });
});

// Keeps the callbacks' work observable so it cannot be optimised away.
process.on('exit', () => {
  if (decoded < 0 || framed < 0) console.log(decoded, framed);
});
