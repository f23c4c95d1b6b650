// Talking to slotgate (or any Redis) command by command over raw connections, with replies made
// plain for comparison: errors as their text, bulk strings as strings.
import { RawClient } from './slotgate.js';
import { RespError } from '../../src/protocol/reply-parser.js';

export type Command = readonly (string | Buffer)[];

export function plain(reply: unknown): unknown {
  if (reply instanceof RespError) return reply.message;
  if (Buffer.isBuffer(reply)) return reply.toString();
  if (Array.isArray(reply)) return reply.map(plain);
  return reply;
}

/** Sends the commands one by one on a fresh connection and returns their plain replies. */
export async function converse(port: number, commands: readonly Command[]): Promise<unknown[]> {
  const c = await RawClient.connect(port);
  const replies: unknown[] = [];
  try {
    for (const command of commands) replies.push(plain(await c.call(...command)));
  } finally {
    c.close();
  }
  return replies;
}

/** Writes `input` on a fresh connection; every plain reply until the server closes it. */
export async function repliesUntilClose(port: number, input: string | Buffer, host = '127.0.0.1'): Promise<unknown[]> {
  const c = await RawClient.connect(port, host);
  c.write(input);
  const replies: unknown[] = [];
  for (;;) {
    const reply = await c.next(5000).catch((e: Error) => e);
    if (reply instanceof Error) {
      if (reply.message.includes('closed')) break;
      throw reply;
    }
    replies.push(plain(reply));
  }
  c.close();
  return replies;
}
