// A raw RESP2 connection for the differential fuzz test that keeps every reply's exact type
// (+ - : $ * and the two nils apart). Its parser is written here, on purpose, rather than taken
// from src/protocol: the fuzz test compares slotgate against Redis, so the way it reads replies
// must not depend on the code under test.
import net from 'node:net';

export type Reply =
  | { readonly type: '+' | '-' | ':'; readonly text: string }
  /** `data` null is the nil bulk string ($-1). */
  | { readonly type: '$'; readonly data: Buffer | null }
  /** `items` null is the nil array (*-1). */
  | { readonly type: '*'; readonly items: Reply[] | null };

const CRLF = Buffer.from('\r\n');

export function encodeCommand(args: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) parts.push(Buffer.from(`$${arg.length}\r\n`), arg, CRLF);
  return Buffer.concat(parts);
}

class Incomplete extends Error {}

/** Parses one reply at `offset`; throws Incomplete when the buffer ends first. */
function parseAt(buffer: Buffer, offset: number): { reply: Reply; end: number } {
  const lineEnd = buffer.indexOf(CRLF, offset);
  if (lineEnd === -1) throw new Incomplete();
  const type = String.fromCharCode(buffer[offset]!);
  const line = buffer.toString('latin1', offset + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case '+':
    case '-':
    case ':':
      return { reply: { type, text: buffer.toString('utf8', offset + 1, lineEnd) }, end: next };
    case '$': {
      const length = Number(line);
      if (length < 0) return { reply: { type: '$', data: null }, end: next };
      if (buffer.length < next + length + 2) throw new Incomplete();
      return { reply: { type: '$', data: Buffer.from(buffer.subarray(next, next + length)) }, end: next + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { reply: { type: '*', items: null }, end: next };
      const items: Reply[] = [];
      let at = next;
      for (let i = 0; i < count; i++) {
        const parsed = parseAt(buffer, at);
        items.push(parsed.reply);
        at = parsed.end;
      }
      return { reply: { type: '*', items }, end: at };
    }
    default:
      throw new Error(`not a RESP2 reply: ${JSON.stringify(buffer.toString('latin1', offset, Math.min(buffer.length, offset + 40)))}`);
  }
}

export class RespConnection {
  private pending: Buffer = Buffer.alloc(0);
  private readonly replies: Reply[] = [];
  private waiter: (() => void) | undefined;
  private closedWith: string | undefined;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
      let offset = 0;
      for (;;) {
        try {
          const { reply, end } = parseAt(this.pending, offset);
          this.replies.push(reply);
          offset = end;
        } catch (error) {
          if (!(error instanceof Incomplete)) this.closedWith = (error as Error).message;
          break;
        }
        if (offset >= this.pending.length) break;
      }
      this.pending = this.pending.subarray(offset);
      this.wake();
    });
    socket.on('close', () => {
      this.closedWith ??= 'the server closed the connection';
      this.wake();
    });
    socket.on('error', (error) => {
      this.closedWith = error.message;
    });
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RespConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host }, () => {
        socket.off('error', reject);
        resolve(new RespConnection(socket));
      });
      socket.once('error', reject);
    });
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  /** Writes the commands in one write (a pipeline), without waiting. */
  send(commands: readonly (readonly Buffer[])[]): void {
    this.socket.write(Buffer.concat(commands.map(encodeCommand)));
  }

  /** The next reply; rejects when the connection closes first or nothing comes within the timeout. */
  async read(timeoutMs = 10_000): Promise<Reply> {
    const deadline = Date.now() + timeoutMs;
    while (this.replies.length === 0) {
      if (this.closedWith !== undefined) throw new Error(`connection lost: ${this.closedWith}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.replies.shift()!;
  }

  async call(args: readonly Buffer[], timeoutMs?: number): Promise<Reply> {
    this.send([args]);
    return this.read(timeoutMs);
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }
}

/** A short, printable form of a reply for failure messages. */
export function showReply(reply: Reply): string {
  switch (reply.type) {
    case '$':
      return reply.data === null ? '$nil' : `$${showBytes(reply.data)}`;
    case '*':
      return reply.items === null ? '*nil' : `[${reply.items.map(showReply).join(', ')}]`;
    default:
      return `${reply.type}${reply.text}`;
  }
}

/** Printable bytes: JSON-style escapes for everything outside printable ASCII. */
export function showBytes(bytes: Buffer): string {
  let out = '';
  for (const b of bytes.subarray(0, 60)) {
    if (b === 0x22 || b === 0x5c) out += `\\${String.fromCharCode(b)}`;
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return `"${out}${bytes.length > 60 ? `…(${bytes.length} bytes)` : ''}"`;
}
