/**
 * What a backend request is to a connection (node-connection.ts), and how it can fail: the
 * contract the forwarder, the gatherer and the other senders write against.
 */

export interface BackendRequest {
  /**
   * The encoded command(s) to write are payload[payloadStart, payloadEnd): all of `payload` for most
   * senders; a range of the client's read chunk for the hot path's request (protocol/byte-range.ts).
   */
  readonly payload: Buffer;
  readonly payloadStart: number;
  readonly payloadEnd: number;
  /** How many replies this payload produces (ASKING + command = 2). */
  readonly replyCount: number;
  onReply(frame: Buffer, isError: boolean, index: number): void;
  /**
   * Optional, for a request of one reply: a plain (non-error) reply as bytes[start, end) of a buffer
   * that is never written again (protocol/reply-framer.ts, FrameRangeHandler), instead of onReply
   * with a view. The hot path's request (session/call.ts) copies it into its client's write.
   */
  onReplyIn?(bytes: Buffer, start: number, end: number): void;
  onFailure(failure: BackendFailure): void;
}

export interface BackendFailure {
  readonly message: string;
  /** True when the request's bytes were never written: a retry cannot duplicate it. */
  readonly neverSent: boolean;
  /**
   * `descriptors`: this process is out of file descriptors (EMFILE/ENFILE), so no socket could be
   * made; the node is not at fault and should not be treated as failing.
   * `internal`: slotgate's own code failed while handling this request's reply; the connection is fine.
   * `auth`: the node refused slotgate's credentials (backend-user/backend-password).
   */
  readonly kind: 'connect' | 'timeout' | 'closed' | 'descriptors' | 'internal' | 'auth';
}

/**
 * True when the request may be tried again (after a pause, or on another node): its bytes were
 * never written. Not after refused credentials: every retry would be refused the same way until
 * the operator fixes the password, so the client gets the clear error at once.
 */
export function mayRetry(failure: BackendFailure): boolean {
  return failure.neverSent && failure.kind !== 'auth';
}

/**
 * A request whose replies nobody needs (a handshake step, a HELLO on a WATCH connection; 0 replies
 * for a command on a subscribed connection): a failure shows on the next request anyway.
 */
export function replyIgnored(payload: Buffer, replyCount = 1): BackendRequest {
  return { ...wholePayload(payload), replyCount, onReply: ignore, onFailure: ignore };
}

/** The payload fields of a request that writes all of `payload`. */
export function wholePayload(payload: Buffer): Pick<BackendRequest, 'payload' | 'payloadStart' | 'payloadEnd'> {
  return { payload, payloadStart: 0, payloadEnd: payload.length };
}

const ignore = (): void => undefined;
