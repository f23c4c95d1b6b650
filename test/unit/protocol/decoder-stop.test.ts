// The decoder halts after a request when told to (the session owes too many replies) and goes on
// from exactly there on resume(): whole buffers, byte by byte and split at every offset alike.
import { asRequest } from '../../helpers/as-request.js';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/protocol/protocol-error.js';
import { RequestDecoder } from '../../../src/protocol/request-decoder.js';
import { chunkings, resp, text } from './helpers/chunkings.js';

const STREAM = Buffer.concat([
  Buffer.from(resp('SET', 'a', '1')),
  Buffer.from('PING\r\n'),
  Buffer.from(resp('GET', 'a')),
  Buffer.from(resp('MSET', 'k', 'v', 'k2', 'v2')),
  Buffer.from('ECHO "two words"\r\n'),
]);
const EXPECTED = [['SET', 'a', '1'], ['PING'], ['GET', 'a'], ['MSET', 'k', 'v', 'k2', 'v2'], ['ECHO', 'two words']];

/**
 * Delivers `chunks`, stopping after every request; resumes only once all chunks were written,
 * then once per held request. Returns the requests seen after each step.
 */
function stopAfterEach(chunks: Buffer[]): { afterWrites: string[][]; all: string[][] } {
  const seen: string[][] = [];
  const decoder = new RequestDecoder(asRequest((req) => {
    seen.push(req.args.map(text));
    decoder.stop();
  }));
  for (const chunk of chunks) decoder.write(chunk);
  const afterWrites = [...seen];
  for (let i = 0; i < 10 && decoder.isStopped; i++) decoder.resume();
  return { afterWrites, all: seen };
}

describe('RequestDecoder stop/resume', () => {
  it('delivers one request per resume, in order, whatever the chunking', () => {
    for (const { label, chunks } of chunkings(STREAM)) {
      const { afterWrites, all } = stopAfterEach(chunks);
      expect(afterWrites, label).toEqual(EXPECTED.slice(0, 1));
      expect(all, label).toEqual(EXPECTED);
    }
  });

  it('keeps what arrives while stopped and parses it on resume', () => {
    const seen: string[][] = [];
    const decoder = new RequestDecoder(asRequest((req) => seen.push(req.args.map(text))));
    decoder.write(Buffer.from(resp('GET', 'x')));
    decoder.stop();
    decoder.write(Buffer.from(resp('GET', 'y')));
    decoder.write(Buffer.from(resp('GET', 'z').slice(0, 7)));
    expect(seen).toEqual([['GET', 'x']]);
    decoder.resume();
    expect(seen).toEqual([['GET', 'x'], ['GET', 'y']]);
    decoder.write(Buffer.from(resp('GET', 'z').slice(7)));
    expect(seen).toEqual([['GET', 'x'], ['GET', 'y'], ['GET', 'z']]);
  });

  it('reports a protocol error in held-back bytes on resume, after the requests before it', () => {
    const seen: string[][] = [];
    const decoder = new RequestDecoder(asRequest((req) => {
      seen.push(req.args.map(text));
      decoder.stop();
    }));
    decoder.write(Buffer.concat([Buffer.from(resp('GET', 'a')), Buffer.from(resp('GET', 'b')), Buffer.from('*1\r\n!oops\r\n')]));
    expect(seen).toEqual([['GET', 'a']]);
    decoder.resume();
    expect(seen).toEqual([['GET', 'a'], ['GET', 'b']]);
    expect(() => decoder.resume()).toThrow(ProtocolError);
    expect(() => decoder.resume()).not.toThrow(); // already failed and not stopped: nothing to do
  });
});
