// slotgate's own socket I/O (src/io/): reads into one shared buffer, writes straight to libuv. Real
// loopback TCP sockets, no Redis: what is checked is that bytes arrive whole, in order, and stay
// what they were after the shared buffer has been reused.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectReadOption, readSocket } from '../../../src/io/socket-reader.js';
import { joinBuffer, joinBufferWritten } from '../../../src/io/batch-scratch.js';
import { SocketWriter } from '../../../src/io/socket-writer.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A loopback server (accepting with pauseOnConnect unless told otherwise); resolves its port. */
async function listen(onSocket: (socket: net.Socket) => void, pauseOnConnect = true): Promise<number> {
  const server = net.createServer({ pauseOnConnect }, onSocket);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => server.close());
  return (server.address() as net.AddressInfo).port;
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
    cleanups.push(() => socket.destroy());
  });
}

const waitFor = async (condition: () => boolean, what: string): Promise<void> => {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** `bytes` bytes of a pattern that differs per `seed`, so mixed-up data shows. */
function pattern(bytes: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(bytes);
  for (let i = 0; i < bytes; i++) out[i] = (i * 31 + seed * 7) & 0xff;
  return out;
}

describe('readSocket (accepted sockets)', () => {
  it('reads through the shared buffer and hands out chunks that stay intact when it is reused', async () => {
    const received = new Map<number, Buffer[]>();
    const direct: boolean[] = [];
    const port = await listen((socket) => {
      const chunks: Buffer[] = [];
      received.set(socket.remotePort!, chunks);
      direct.push(readSocket(socket, (chunk) => chunks.push(chunk)));
    });
    const a = await connect(port);
    const b = await connect(port);
    const first = pattern(1000, 1);
    a.write(first);
    await waitFor(() => (received.get(a.localPort!) ?? []).reduce((n, c) => n + c.length, 0) === 1000, 'the first write');
    const kept = received.get(a.localPort!)!.slice();
    // Many more reads through the same buffer, from another socket.
    const more = pattern(300_000, 2);
    b.write(more);
    await waitFor(() => (received.get(b.localPort!) ?? []).reduce((n, c) => n + c.length, 0) === more.length, 'the second socket');
    expect(direct).toEqual([true, true]);
    expect(Buffer.concat(kept)).toEqual(first);
    expect(Buffer.concat(received.get(b.localPort!)!)).toEqual(more);
  });

  it('stops reading on pause() and goes on with nothing lost on resume()', async () => {
    let server!: net.Socket;
    const chunks: Buffer[] = [];
    const port = await listen((socket) => {
      server = socket;
      readSocket(socket, (chunk) => {
        chunks.push(chunk);
        socket.pause();
      });
    });
    const client = await connect(port);
    client.write('one');
    await waitFor(() => chunks.length === 1, 'the first chunk');
    client.write('two');
    await new Promise((r) => setTimeout(r, 50));
    expect(chunks.length).toBe(1); // paused: not read
    server.resume();
    await waitFor(() => chunks.length === 2, 'the chunk after resume');
    expect(Buffer.concat(chunks).toString()).toBe('onetwo');
  });

  it("falls back to 'data' events for a socket that is already reading", async () => {
    const chunks: Buffer[] = [];
    let direct: boolean | undefined;
    const port = await listen((socket) => {
      direct = readSocket(socket, (chunk) => chunks.push(chunk));
    }, false);
    const client = await connect(port);
    client.write('hello');
    await waitFor(() => Buffer.concat(chunks).toString() === 'hello', 'the data');
    expect(direct).toBe(false);
  });

  it("sees the peer's close", async () => {
    let closed = false;
    const port = await listen((socket) => {
      readSocket(socket, () => undefined);
      socket.on('close', () => (closed = true));
    });
    const client = await connect(port);
    client.end();
    await waitFor(() => closed, "the server side's close");
  });
});

describe('connectReadOption (outgoing sockets)', () => {
  it('hands out copies of every read', async () => {
    const payload = pattern(200_000, 3);
    const port = await listen((socket) => {
      socket.resume();
      socket.end(payload);
    });
    const chunks: Buffer[] = [];
    const socket = net.connect({ host: '127.0.0.1', port, onread: connectReadOption((chunk) => chunks.push(chunk)) });
    cleanups.push(() => socket.destroy());
    await new Promise((r) => socket.once('close', r));
    expect(Buffer.concat(chunks)).toEqual(payload);
  });
});

describe('joining writes in the reused buffer (batch-scratch)', () => {
  // 60 KB: a view made per write; 100 bytes: the cached view of that size, reused while the buffer is.
  it.each([60 * 1024, 100])('reuses the buffer after a write taken at once, and never overwrites the bytes of a write that kept it (%i bytes)', async (size) => {
    let peer!: net.Socket;
    const received: Buffer[] = [];
    const port = await listen((socket) => {
      peer = socket; // paused: the socket buffers fill, and later writes stay queued in libuv
    });
    const client = await connect(port);
    await waitFor(() => peer !== undefined, 'the accept');
    const writer = new SocketWriter(client, () => undefined);
    const sent: Buffer[] = [];
    let reused = 0;
    let kept = 0;
    let previous: ArrayBufferLike | null = null;
    // Until a good number of writes were kept (the kernel's buffers are full), and a few after.
    for (let i = 0; kept < 50 && i < 1_000_000; i++) {
      const joined = joinBuffer(size, true); // as if idle each time: the worst case for the kept bytes
      joined.fill(i % 251);
      if (joined.buffer === previous) reused++;
      sent.push(Buffer.from(joined)); // what the peer must receive, copied before the write
      const takenAtOnce = writer.write(joined);
      if (!takenAtOnce) kept++;
      joinBufferWritten(joined, takenAtOnce);
      previous = joined.buffer;
    }
    expect(reused).toBeGreaterThan(0);
    expect(kept).toBe(50);
    peer.on('data', (chunk) => received.push(chunk));
    peer.resume();
    const total = sent.reduce((n, b) => n + b.length, 0);
    await waitFor(() => received.reduce((n, c) => n + c.length, 0) === total, 'every byte');
    expect(Buffer.concat(received).equals(Buffer.concat(sent))).toBe(true);
  });
});

describe('SocketWriter', () => {
  it('counts what the kernel has not taken, keeps order with socket.write, and says when it drained', async () => {
    let peer!: net.Socket;
    const received: Buffer[] = [];
    const port = await listen((socket) => {
      peer = socket; // left paused: nothing is read until the test says so
    });
    const client = await connect(port);
    await waitFor(() => peer !== undefined, 'the accept');
    let drained = 0;
    const writer = new SocketWriter(client, () => drained++);
    const parts: Buffer[] = [];
    const add = (part: Buffer, through: 'writer' | 'socket') => {
      parts.push(part);
      if (through === 'writer') writer.write(part);
      else client.write(part);
    };
    // Far more than the socket buffers hold: later writes cannot complete at once, and wait in libuv.
    for (let i = 0; i < 32; i++) add(pattern(256 * 1024, i), 'writer');
    expect(client.writableLength).toBe(0); // none of it went through the Writable
    expect(writer.unsentBytes).toBeGreaterThan(0);
    expect(writer.idle).toBe(false); // writes queue now: joining must not use the shared buffer
    // Mixed with the socket's own writes (what a fallback write does): order must hold.
    for (let i = 32; i < 48; i++) add(pattern(256 * 1024, i), i % 2 === 0 ? 'socket' : 'writer');
    peer.on('data', (chunk) => received.push(chunk));
    peer.resume();
    const total = parts.reduce((n, p) => n + p.length, 0);
    await waitFor(() => received.reduce((n, c) => n + c.length, 0) === total, 'every byte');
    await waitFor(() => writer.unsentBytes === 0, 'nothing left unsent');
    expect(Buffer.concat(received).equals(Buffer.concat(parts))).toBe(true);
    expect(drained).toBeGreaterThan(0);
  });

  it('writes at once when the kernel takes the bytes', async () => {
    const received: Buffer[] = [];
    const port = await listen((socket) => {
      socket.on('data', (chunk) => received.push(chunk));
      socket.resume();
    });
    const client = await connect(port);
    const writer = new SocketWriter(client, () => undefined);
    expect(writer.idle).toBe(true);
    expect(writer.write(Buffer.from('+OK\r\n'))).toBe(true); // taken at once: the buffer may be reused
    expect(writer.unsentBytes).toBe(0);
    expect(client.writableLength).toBe(0); // not queued in the Writable: written straight away
    await waitFor(() => Buffer.concat(received).toString() === '+OK\r\n', 'the reply');
  });
});
