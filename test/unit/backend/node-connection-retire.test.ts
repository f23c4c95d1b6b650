// A retired connection (the old master's, after a failover): the requests it carries are answered,
// new ones fail unsent (so the forwarder sends them elsewhere, never twice), and it closes once
// nothing is pending. Against a scripted fake node that holds replies back until released.
import { afterEach, describe, expect, it } from 'vitest';
import { NodeConnection } from '../../../src/backend/node-connection.js';
import type { BackendFailure } from '../../../src/backend/backend-request.js';
import { encodeCommand } from '../../../src/protocol/encoder.js';
import { startFakeNode, type FakeNode } from '../../fakes/fake-node.js';

let fake: FakeNode | undefined;
afterEach(async () => {
  await fake?.close();
});

function request(conn: NodeConnection, words: string[]): Promise<{ reply?: string; failure?: BackendFailure }> {
  const payload = encodeCommand(words);
  return new Promise((resolve) =>
    conn.send({
      payload,
      payloadStart: 0,
      payloadEnd: payload.length,
      replyCount: 1,
      onReply: (frame) => resolve({ reply: frame.toString('latin1') }),
      onFailure: (failure) => resolve({ failure }),
    }),
  );
}

describe('NodeConnection.retire', () => {
  it('answers what it carries, refuses new requests unsent, then closes', async () => {
    let holding = true;
    fake = await startFakeNode(() => (holding ? null : Buffer.from('+OK\r\n'))); // replies held until release()
    const conn = new NodeConnection('127.0.0.1', fake.port, { connectTimeoutMs: 1000, commandTimeoutMs: 5000 });
    const inFlight = request(conn, ['SET', 'k', 'v']);
    // Wait until the node has the request, so it is in flight when the connection retires.
    while (fake.received.length === 0) await new Promise((r) => setTimeout(r, 5));
    conn.retire();
    expect(conn.isClosed).toBe(false);
    expect(await request(conn, ['SET', 'k2', 'v'])).toEqual({ failure: { message: 'connection closed', neverSent: true, kind: 'closed' } });
    holding = false;
    fake.release();
    expect(await inFlight).toEqual({ reply: '+OK\r\n' });
    expect(conn.isClosed).toBe(true);
    expect(fake.received).toEqual([['SET', 'k', 'v']]);
  });
});
