// The read gate against a fake client: the in-flight window, the blocking barrier, and when the
// socket is paused — never while blocked, so a blocked client that goes away is always seen.
import { describe, expect, it } from 'vitest';
import { HELD_INPUT_LIMIT, OUTPUT_HIGH_WATER, ReadGate, type GatedClient } from '../../../src/session/read-gate.js';
import { ReplySlot } from '../../../src/session/reply-queue.js';

class FakeClient implements GatedClient {
  socketPaused = false;
  decoderHeld = false;
  decodes = 0;
  heldInputBytes = 0;
  owed = 0;
  unsentBytes = 0;
  unanswered: ReplySlot | null = null;
  pauseSocket(): void {
    this.socketPaused = true;
  }
  resumeSocket(): void {
    this.socketPaused = false;
  }
  holdRequests(): void {
    this.decoderHeld = true;
  }
  decodeHeld(): void {
    this.decoderHeld = false;
    this.decodes++;
  }
  firstUnanswered(): ReplySlot | null {
    return this.unanswered;
  }
}

describe('read gate', () => {
  it('holds requests once the window is full and resumes when half of it drained', () => {
    const client = new FakeClient();
    const gate = new ReadGate(client, 4, 1 << 30);
    client.owed = 3;
    gate.requestDispatched();
    expect(client.decoderHeld).toBe(false);
    client.owed = 4;
    gate.requestDispatched();
    expect(client.decoderHeld).toBe(true);
    expect(client.socketPaused).toBe(false); // still read: a client that leaves is seen
    client.owed = 3;
    gate.flushed(0);
    expect(client.decoderHeld).toBe(true);
    client.owed = 2;
    gate.flushed(0);
    expect(client.decoderHeld).toBe(false);
  });

  it('pauses the socket only past HELD_INPUT_LIMIT of held input, and resumes it with decoding', () => {
    const client = new FakeClient();
    const gate = new ReadGate(client, 1, 1 << 30);
    client.owed = 1;
    gate.requestDispatched();
    client.heldInputBytes = HELD_INPUT_LIMIT;
    expect(gate.inputTaken()).toBe('ok');
    expect(client.socketPaused).toBe(false);
    client.heldInputBytes = HELD_INPUT_LIMIT + 1;
    gate.inputTaken();
    expect(client.socketPaused).toBe(true);
    client.owed = 0;
    gate.flushed(0);
    expect(client.socketPaused).toBe(false);
  });

  it('never pauses the socket of a blocked client; past client-query-buffer-limit it says so', () => {
    const client = new FakeClient();
    const gate = new ReadGate(client, 1024, 10 * HELD_INPUT_LIMIT);
    const blocking = new ReplySlot();
    client.owed = 1;
    client.unanswered = blocking;
    let sent = 0;
    gate.runBlocking(blocking, () => sent++);
    expect(sent).toBe(1);
    expect(gate.blockingSent).toBe(true);
    client.heldInputBytes = 5 * HELD_INPUT_LIMIT;
    expect(gate.inputTaken()).toBe('ok');
    expect(client.socketPaused).toBe(false);
    client.heldInputBytes = 10 * HELD_INPUT_LIMIT + 1;
    expect(gate.inputTaken()).toBe('over-query-buffer-limit');
  });

  it('sends a blocking command only once every earlier reply is in, and decodes nothing until it is answered', () => {
    const client = new FakeClient();
    const gate = new ReadGate(client, 1024, 1 << 30);
    const earlier = new ReplySlot();
    const blocking = new ReplySlot();
    client.unanswered = earlier;
    client.owed = 2;
    let sent = 0;
    gate.runBlocking(blocking, () => sent++);
    expect(sent).toBe(0);
    expect(gate.blockingSent).toBe(false);
    client.unanswered = blocking;
    gate.replied(earlier, 10);
    expect(sent).toBe(1);
    gate.flushed(0);
    expect(client.decoderHeld).toBe(true);
    client.unanswered = null;
    client.owed = 0;
    gate.replied(blocking, 10);
    gate.flushed(0);
    expect(client.decoderHeld).toBe(false);
    expect(gate.isWaiting).toBe(false);
  });

  it('holds requests while unsent output passes the high-water mark', () => {
    const client = new FakeClient();
    const gate = new ReadGate(client, 1024, 1 << 30);
    gate.flushed(OUTPUT_HIGH_WATER + 1);
    expect(client.decoderHeld).toBe(true);
    client.unsentBytes = OUTPUT_HIGH_WATER + 1;
    gate.maybeResume();
    expect(client.decoderHeld).toBe(true);
    client.unsentBytes = 0;
    gate.maybeResume();
    expect(client.decoderHeld).toBe(false);
  });

  it('after stop() resumes nothing, and reads the socket again (to see the client go)', () => {
    const client = new FakeClient();
    const gate = new ReadGate(client, 1, 1 << 30);
    client.owed = 1;
    gate.requestDispatched();
    client.heldInputBytes = HELD_INPUT_LIMIT + 1;
    gate.inputTaken();
    expect(client.socketPaused).toBe(true);
    gate.stop();
    expect(client.socketPaused).toBe(false);
    client.owed = 0;
    gate.flushed(0);
    expect(client.decoderHeld).toBe(true);
  });
});
