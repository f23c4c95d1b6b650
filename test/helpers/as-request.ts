// The decoder hands each request over as two parameters (args, raw), so the hot path makes no object per
// request; tests that keep requests, or read them as one value, wrap their handler with this.
import type { Request } from '../../src/protocol/request-decoder.js';

export function asRequest(handler: (req: Request) => void): (args: Buffer[], raw: Buffer) => void {
  return (args, raw) => handler({ args, raw });
}
