// The reply writer against a fake output: order, when a flush happens, silenced replies, the
// closing reply, and what it reports for back-pressure.
import { describe, expect, it } from 'vitest';
import type { ReplySlot } from '../../../src/session/reply-queue.js';
import { ReplyWriter, type ReplyOutput } from '../../../src/session/reply-writer.js';

class FakeOutput implements ReplyOutput {
  writes: string[] = [];
  unsentBytes = 0;
  idle = true;
  /** Like a kernel that takes every write at once: the bytes are copied (as text) and not kept. */
  write(data: Buffer): boolean {
    this.writes.push(data.toString());
    return true;
  }
}

function writer() {
  const output = new FakeOutput();
  const events = { flushed: [] as number[], closing: 0, wrote: 0, recycled: [] as ReplySlot[] };
  const w = new ReplyWriter(output, {
    flushed: (unsent) => events.flushed.push(unsent),
    closingReplyWritten: () => events.closing++,
    wrote: (bytes) => (events.wrote += bytes),
    recycled: (slot) => events.recycled.push(slot),
  });
  const fill = (slot: ReturnType<typeof w.reserve>, text: string, replyToCall = true) => {
    w.record(slot, Buffer.from(text));
    w.release(replyToCall);
  };
  return { w, output, events, fill };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('reply writer', () => {
  it('writes replies that are ranges of one read chunk, alone and joined', async () => {
    const { w, output } = writer();
    const chunk = Buffer.from('+OK\r\n$1\r\nv\r\n:7\r\n');
    const lone = w.reserve();
    w.record(lone, chunk, 5, 12);
    w.release(true);
    expect(output.writes).toEqual(['$1\r\nv\r\n']);
    const [a, b] = [w.reserve(), w.reserve()];
    w.record(b, chunk, 0, 5);
    w.release(true);
    w.record(a, chunk, 12, 16);
    w.release(true);
    expect(output.writes).toEqual(['$1\r\nv\r\n', ':7\r\n+OK\r\n']);
  });

  it('hands back a recyclable slot only once its reply is written, and never one that is not', async () => {
    const { w, output, events, fill } = writer();
    const [a, b, c] = [w.reserve(), w.reserve(), w.reserve()];
    a.recyclable = true;
    c.recyclable = true;
    fill(c, '+c\r\n');
    expect(events.recycled).toEqual([]); // answered, but behind a and b: not written yet
    fill(a, '+a\r\n');
    expect(events.recycled).toEqual([]); // b is still owed: the flush waits for the end of the turn, and one more
    await nextTurn();
    await nextTurn();
    expect(output.writes).toEqual(['+a\r\n']);
    expect(events.recycled).toEqual([a]);
    fill(b, '+b\r\n');
    expect(output.writes).toEqual(['+a\r\n', '+b\r\n+c\r\n']);
    expect(events.recycled).toEqual([a, c]);
  });

  it('writes a lone answer at once, and replies arriving out of order in request order, joined in one write', async () => {
    const { w, output, fill } = writer();
    fill(w.reserve(), '+a\r\n');
    expect(output.writes).toEqual(['+a\r\n']);
    const [b, c, d] = [w.reserve(), w.reserve(), w.reserve()];
    fill(d, '+d\r\n');
    fill(c, '+c\r\n');
    expect(output.writes).toHaveLength(1); // the head is still out
    fill(b, '+b\r\n');
    expect(output.writes).toEqual(['+a\r\n', '+b\r\n+c\r\n+d\r\n']);
    expect(w.length).toBe(0);
  });

  it('holds replies made while a chunk is decoded until the chunk ends, then writes them together', () => {
    const { w, output, fill } = writer();
    w.decodeStarted();
    fill(w.reserve(), '+1\r\n');
    fill(w.reserve(), '+2\r\n');
    expect(output.writes).toEqual([]);
    w.decodeEnded();
    expect(output.writes).toEqual(['+1\r\n+2\r\n']);
  });

  it('waits for the end of the event-loop turn, and one more, when more replies are owed; never longer', async () => {
    const { w, output, fill } = writer();
    const [a] = [w.reserve(), w.reserve()];
    fill(a, '+a\r\n');
    expect(output.writes).toEqual([]);
    await nextTurn();
    expect(output.writes).toEqual([]); // b may come from a node that answers in the next poll
    await nextTurn();
    expect(output.writes).toEqual(['+a\r\n']); // it did not: a goes alone, b is not waited for longer
  });

  it('writes a pipeline whose nodes answer in consecutive turns in one write (issue #22)', async () => {
    const { w, output, fill } = writer();
    const [a, b, c] = [w.reserve(), w.reserve(), w.reserve()];
    fill(a, '+a\r\n'); // the first node's answer
    await nextTurn();
    expect(output.writes).toEqual([]);
    fill(c, '+c\r\n'); // the other nodes' in the next turn
    expect(output.writes).toEqual([]);
    fill(b, '+b\r\n'); // which completes the pipeline: all of it leaves at once, in one write
    expect(output.writes).toEqual(['+a\r\n+b\r\n+c\r\n']);
    await nextTurn();
    await nextTurn();
    expect(output.writes).toHaveLength(1); // the flush that was due finds nothing left
  });

  it('starts the wait again after each flush: what a later turn brings waits its own turn', async () => {
    const { w, output, fill } = writer();
    const [a, b, c] = [w.reserve(), w.reserve(), w.reserve()];
    fill(a, '+a\r\n');
    await nextTurn();
    await nextTurn();
    expect(output.writes).toEqual(['+a\r\n']);
    fill(b, '+b\r\n'); // c is still owed
    await nextTurn();
    expect(output.writes).toEqual(['+a\r\n']);
    await nextTurn();
    expect(output.writes).toEqual(['+a\r\n', '+b\r\n']);
    fill(c, '+c\r\n');
    expect(output.writes).toEqual(['+a\r\n', '+b\r\n', '+c\r\n']);
  });

  it('keeps silenced replies in order and drops them (CLIENT REPLY OFF)', () => {
    const { w, output, fill } = writer();
    const [a, b, c] = [w.reserve(), w.reserve(), w.reserve()];
    b.silent = true;
    fill(b, '+b\r\n');
    fill(a, '+a\r\n');
    fill(c, '+c\r\n');
    expect(output.writes.join('')).toBe('+a\r\n+c\r\n');
  });

  it('ends with the closing reply: what comes after it is never written, and the owner hears once', () => {
    const { w, output, events, fill } = writer();
    const [a, quit, after] = [w.reserve(), w.reserve(), w.reserve()];
    quit.closeAfter = true;
    fill(quit, '+OK\r\n');
    fill(after, '+late\r\n');
    expect(output.writes).toEqual([]);
    fill(a, '+a\r\n');
    expect(output.writes.join('')).toBe('+a\r\n+OK\r\n');
    expect(events.closing).toBe(1);
    expect(events.flushed).toEqual([]);
    fill(w.reserve(), '+more\r\n');
    expect(output.writes.join('')).toBe('+a\r\n+OK\r\n');
  });

  it('reports the unsent bytes after each flush, and writes nothing after close()', () => {
    const { w, output, events, fill } = writer();
    output.unsentBytes = 123;
    fill(w.reserve(), '+a\r\n');
    expect(events.flushed).toEqual([123]);
    const pending = w.reserve();
    w.close();
    fill(pending, '+b\r\n');
    expect(output.writes).toEqual(['+a\r\n']);
    expect(w.length).toBe(0);
  });
});
