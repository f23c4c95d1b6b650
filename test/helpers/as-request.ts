// The decoder hands each request over in an object of its own that it reuses (protocol/decoded-request.ts:
// no object per request on the hot path); tests that keep requests, or read them as plain values, wrap
// their handler with this.
import type { DecodedRequest } from '../../src/protocol/decoded-request.js';
import type { Request } from '../../src/protocol/request-decoder.js';

export function asRequest(handler: (req: Request) => void): (request: DecodedRequest) => void {
  return (request) => handler({ args: request.args(), raw: request.raw });
}
