/**
 * Replies that slotgate sends often, encoded once at startup. They are shared: treat them as
 * read-only (writing them to a socket never mutates them).
 */
function frame(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

export const CRLF = frame('\r\n');
export const OK = frame('+OK\r\n');
export const PONG = frame('+PONG\r\n');
export const QUEUED = frame('+QUEUED\r\n');
export const NULL_BULK = frame('$-1\r\n');
export const NULL_ARRAY = frame('*-1\r\n');
export const EMPTY_ARRAY = frame('*0\r\n');
export const ZERO = frame(':0\r\n');
export const ONE = frame(':1\r\n');
