/**
 * A malformed request or reply stream. Thrown only by the codec and caught at the session (or
 * backend connection) boundary, which replies `-ERR <message>` once and closes the connection,
 * exactly like Redis does.
 *
 * `message` is the Redis error text without the `ERR ` prefix, e.g.
 * `Protocol error: invalid bulk length`.
 */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}
