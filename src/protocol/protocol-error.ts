/**
 * A malformed request or reply stream. Thrown only by the codec and caught at the session (or
 * backend connection) boundary, which replies `-ERR <message>` once and closes the connection,
 * exactly like Redis does.
 *
 * `message` is the Redis error text without the `ERR ` prefix, e.g.
 * `Protocol error: invalid bulk length`, one character per byte (latin1): where Redis quotes a
 * byte of the request (`expected '$', got '%c'`) the reply must carry that byte, not its UTF-8.
 */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}
