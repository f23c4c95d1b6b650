// A node that reads slower than slotgate writes (issue #22): while libuv still holds a batch the
// kernel could not take, the commands that follow wait and leave together once it drains, instead of
// each turn's batch queueing behind it in a buffer of its own. Nothing is lost or reordered.
// Against a plain TCP server that does not read until the test says so.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { NodeConnection } from '../../../src/backend/node-connection.js';
import type { BackendRequest } from '../../../src/backend/backend-request.js';
import { SocketWriter } from '../../../src/io/socket-writer.js';
import { encodeCommand } from '../../../src/protocol/encoder.js';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A server that answers every `requestBytes` bytes it reads with `+OK`, but reads nothing until
 * `resume()`: its socket buffers fill, and the client's writes stay queued in libuv.
 */
async function slowNode(requestBytes: number): Promise<{ port: number; resume(): void }> {
  let peer: net.Socket | null = null;
  const server = net.createServer({ pauseOnConnect: true }, (socket) => {
    peer = socket;
    let pending = 0;
    socket.on('data', (chunk) => {
      pending += chunk.length;
      const whole = Math.floor(pending / requestBytes);
      pending -= whole * requestBytes;
      if (whole > 0) socket.write('+OK\r\n'.repeat(whole));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => {
    peer?.destroy();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port, resume: () => peer!.resume() };
}

describe('NodeConnection against a node that reads slowly', () => {
  it('holds later batches while libuv still holds one, then sends them all, every reply in order', async () => {
    const payload = encodeCommand(['SET', 'k', 'v'.repeat(64 * 1024)]);
    const node = await slowNode(payload.length);
    const conn = new NodeConnection('127.0.0.1', node.port, { connectTimeoutMs: 5000, commandTimeoutMs: 60_000 });
    closers.push(() => conn.close());
    const replies: string[] = [];
    const request = (i: number): BackendRequest => ({
      payload,
      payloadStart: 0,
      payloadEnd: payload.length,
      replyCount: 1,
      onReply: (frame) => replies.push(`${i}:${frame.toString('latin1').trim()}`),
      onFailure: (failure) => replies.push(`${i}:failed ${failure.message}`),
    });
    // Count the writes made after the first one the kernel could not take at once (every
    // SocketWriter write goes through the prototype). The node reads nothing, so none can drain.
    let kept = false;
    let writesWhileHeld = 0;
    const write = SocketWriter.prototype.write;
    SocketWriter.prototype.write = function (this: SocketWriter, data: Buffer) {
      if (kept) writesWhileHeld++;
      const takenAtOnce = write.call(this, data);
      if (!takenAtOnce) kept = true;
      return takenAtOnce;
    };
    closers.push(() => {
      SocketWriter.prototype.write = write;
    });
    // One request per turn, as many clients' reads would: 200 × 64 KB is far more than the socket buffers hold.
    const total = 200;
    for (let i = 0; i < total; i++) {
      conn.send(request(i));
      await nextTurn();
    }
    // Each turn had a batch; once libuv held one, the later ones waited for it instead of being written.
    expect(kept).toBe(true);
    expect(writesWhileHeld).toBe(0);
    node.resume();
    for (let i = 0; i < 1000 && replies.length < total; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(replies).toEqual(Array.from({ length: total }, (_, i) => `${i}:+OK`));
  });
});
