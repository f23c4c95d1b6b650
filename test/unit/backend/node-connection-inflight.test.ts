// What a NodeConnection keeps per request in flight (issue #22 keeps it in parallel queues, not an
// entry object per request): which reply belongs to which request, a request whose reply handler
// throws, the command timeout of the oldest written request, and which failed requests were written.
// Against a scripted fake node.
import { afterEach, describe, expect, it } from 'vitest';
import { NodeConnection } from '../../../src/backend/node-connection.js';
import type { BackendFailure, BackendRequest } from '../../../src/backend/backend-request.js';
import { encodeCommand } from '../../../src/protocol/encoder.js';
import { NumberFifo } from '../../../src/util/fifo.js';
import { startFakeNode, type FakeNode } from '../../fakes/fake-node.js';

let fake: FakeNode | undefined;
let conn: NodeConnection | undefined;
afterEach(async () => {
  conn?.close();
  await fake?.close();
});

interface Outcome {
  replies: string[];
  failures: BackendFailure[];
}

/** Sends `words` (`count` times in one payload) and records what comes back. */
function send(c: NodeConnection, words: string[], { count = 1, throwOn = -1 } = {}): { outcome: Outcome; done: Promise<void> } {
  const outcome: Outcome = { replies: [], failures: [] };
  let finish = (): void => undefined;
  const done = new Promise<void>((r) => (finish = r));
  const one = encodeCommand(words);
  const payload = Buffer.concat(Array.from({ length: count }, () => one));
  const request: BackendRequest = {
    payload,
    payloadStart: 0,
    payloadEnd: payload.length,
    replyCount: count,
    onReply: (frame, _isError, index) => {
      outcome.replies.push(`${index}:${frame.toString('latin1').trim()}`);
      if (index === throwOn) throw new Error('handler bug');
      if (index === count - 1) finish();
    },
    onFailure: (failure) => {
      outcome.failures.push(failure);
      finish();
    },
  };
  c.send(request);
  return { outcome, done };
}

const echo = (args: string[]): Buffer => Buffer.from(`+${args.join(' ')}\r\n`);

describe('NodeConnection, requests in flight', () => {
  it('gives each request its own replies, in order, also when one request has several', async () => {
    fake = await startFakeNode(echo);
    conn = new NodeConnection('127.0.0.1', fake.port, { connectTimeoutMs: 1000, commandTimeoutMs: 5000 });
    const a = send(conn, ['GET', 'a'], { count: 2 });
    const b = send(conn, ['GET', 'b']);
    const c = send(conn, ['GET', 'c'], { count: 3 });
    await Promise.all([a.done, b.done, c.done]);
    expect([a.outcome.replies, b.outcome.replies, c.outcome.replies]).toEqual([
      ['0:+GET a', '1:+GET a'],
      ['0:+GET b'],
      ['0:+GET c', '1:+GET c', '2:+GET c'],
    ]);
  });

  it('fails a request whose handler throws once, drops its later replies, and answers the next one', async () => {
    fake = await startFakeNode(echo);
    const faults: unknown[] = [];
    conn = new NodeConnection('127.0.0.1', fake.port, { connectTimeoutMs: 1000, commandTimeoutMs: 5000, onRequestFault: (_a, err) => faults.push(err) });
    const faulty = send(conn, ['GET', 'x'], { count: 3, throwOn: 0 });
    const next = send(conn, ['GET', 'y']);
    await next.done;
    expect(faulty.outcome).toEqual({ replies: ['0:+GET x'], failures: [{ message: 'slotgate internal error', neverSent: false, kind: 'internal' }] });
    expect(next.outcome).toEqual({ replies: ['0:+GET y'], failures: [] });
    expect(faults).toHaveLength(1);
  });

  it('times out the oldest written request, and fails every pending one as written', async () => {
    fake = await startFakeNode((args) => (args[1] === 'slow' ? null : echo(args)));
    conn = new NodeConnection('127.0.0.1', fake.port, { connectTimeoutMs: 1000, commandTimeoutMs: 50 });
    const answered = send(conn, ['GET', 'fast']);
    await answered.done;
    const slow = send(conn, ['GET', 'slow']);
    const behind = send(conn, ['GET', 'behind']);
    await Promise.all([slow.done, behind.done]);
    const timeout = { message: 'backend timeout after 50 ms', neverSent: false, kind: 'timeout' };
    expect(slow.outcome.failures).toEqual([timeout]);
    expect(behind.outcome.failures).toEqual([timeout]);
  });

  it('says which failed requests were never written', async () => {
    fake = await startFakeNode((args) => (args[1] === 'held' ? null : echo(args)));
    conn = new NodeConnection('127.0.0.1', fake.port, { connectTimeoutMs: 1000, commandTimeoutMs: 5000 });
    await send(conn, ['GET', 'warm']).done;
    const held = send(conn, ['GET', 'held']);
    while (fake.received.length < 2) await new Promise((r) => setTimeout(r, 5));
    // Two requests in flight: this one waits for the end of the turn, and the connection closes first.
    const queued = send(conn, ['GET', 'queued']);
    conn.close();
    await Promise.all([held.done, queued.done]);
    expect(held.outcome.failures).toEqual([{ message: 'connection closed', neverSent: false, kind: 'closed' }]);
    expect(queued.outcome.failures).toEqual([{ message: 'connection closed', neverSent: true, kind: 'closed' }]);
  });
});

describe('NumberFifo', () => {
  it('keeps order across wrap-around and growth', () => {
    const fifo = new NumberFifo(16);
    const model: number[] = [];
    for (let i = 0; i < 200; i++) {
      fifo.push(i + 0.5);
      model.push(i + 0.5);
      if (i % 3 === 1) {
        fifo.shift();
        model.shift();
      }
      expect(fifo.peek()).toBe(model[0]);
      expect(fifo.length).toBe(model.length);
    }
    fifo.clear();
    expect(fifo.length).toBe(0);
    expect(fifo.peek()).toBeNaN();
  });
});
