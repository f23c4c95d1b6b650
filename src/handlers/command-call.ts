/**
 * The narrow interface between a command handler and the client connection it runs for (after
 * Envoy's SplitCallbacks): a handler gets one CommandCall per request and answers through it,
 * never through the Session. So handlers can be unit-tested against a fake call, and the session
 * stays what it should be: one socket, its decoder, its ordered replies and its limits.
 *
 * Contract: every call is answered exactly once (reply, fail, replyAndClose, or a forward/gather
 * that ends in one of those). An exception thrown by a handler, or by a callback it wrapped with
 * `guard`, fails that call alone with `-ERR slotgate internal error`.
 *
 * What a handler uses of the running proxy is not here: each handler group is given it, once,
 * when the registry is built (handlers/registry.ts), and declares it next to itself.
 */
import type { Account } from '../auth/accounts.js';
import type { CommandSpec } from '../commands/command-table.js';
import type { ErrorReply } from '../errors/catalogue.js';
import type { ClientRecord } from '../peers/client-record.js';
import type { CommandOutcome } from '../observability/metrics.js';
import type { RespVersion } from '../protocol/resp3-encoder.js';
import type { NodeTargeted } from '../routing/node-suffix.js';
import type { Access } from '../routing/router.js';
import type { PartTarget } from '../upstream/gather.js';
import type { PartReply } from '../upstream/reducers.js';
import type { Target } from '../upstream/forwarder.js';
import type { ClientSubscriptions } from '../upstream/client-subscriptions.js';
import type { ClientTracking } from '../upstream/tracking-client.js';

/**
 * A backend connection a client holds of its own, as handlers see it: they can pass it to
 * `forward` and let it go, nothing more (the session owns what it is: session/backend-affinity.ts).
 */
export interface BackendHandle {
  close(): void;
}

/** An active WATCH: the transaction must run on this connection, to this slot's master. */
export interface WatchState {
  readonly slot: number;
  readonly conn: BackendHandle;
}

/** A MULTI in progress (handlers/transaction.ts). */
export interface OpenTransaction {
  /** A command refused while queueing fails the EXEC, as in Redis. */
  abort(): void;
  /** Queues a command that may run inside the batch (+QUEUED), or refuses it. */
  queue(call: CommandCall): void;
  /** Queues a command slotgate answers itself (+QUEUED), run by `run` at EXEC. */
  defer(call: CommandCall, run: CommandHandler): void;
  /** Runs the batch and answers `call` with EXEC's reply. */
  exec(call: CommandCall): void;
  /** Commands queued so far (CLIENT LIST `multi=`). */
  readonly queued: number;
}

/** CLIENT REPLY: ON, OFF (no replies from this command on), SKIP (no reply to the next command). */
export type ReplyMode = 'on' | 'off' | 'skip';

/** What a handler may know and change about the client connection (one per client). */
export interface ConnectionState {
  readonly id: number;
  /** `ip:port` of the client. */
  readonly address: string;
  /** The account signed in as; null until AUTH/HELLO succeeds. */
  readonly account: Account | null;
  signIn(account: Account | null): void;
  name: string | null;
  transaction: OpenTransaction | null;
  watch: WatchState | null;
  /** Ends a WATCH: closing its connection is what UNWATCH does. */
  dropWatch(): void;
  /** A backend connection of this client's own (WATCH state lives on it), in its database; the caller closes it. */
  dedicatedConnection(address: string): BackendHandle;
  /** CLIENT SETINFO LIB-NAME / LIB-VER ('' until set), shown by CLIENT LIST and INFO. */
  libName: string;
  libVer: string;
  /** CLIENT NO-EVICT / NO-TOUCH: kept and shown in CLIENT LIST flags (e, T); see handlers/client-commands.ts. */
  noEvict: boolean;
  noTouch: boolean;
  /** CLIENT REPLY: applies to the request being run and the ones after it. */
  setReplyMode(mode: ReplyMode): void;
  /** This connection's CLIENT LIST / CLIENT INFO fields. */
  clientRecord(): ClientRecord;
  /** The client has gone (a handler that polls, like WAIT, stops). */
  readonly isClosed: boolean;
  /** A write was sent to the master at `address` (Call.forward/gather note it; WAIT reads it). */
  noteWrittenMaster(address: string): void;
  /** The masters written to since the last call, forgotten now (WAIT: "since its last WAIT"). */
  takeWrittenMasters(): string[];
  /**
   * The selected database (SELECT; always 0 in front of a cluster). Backend connections are per
   * database, so changing it moves the client's later commands onto db-n connections.
   */
  db: number;
  /** Channels, patterns and shard channels this client is subscribed to (handlers/pubsub-commands.ts). */
  readonly subscriptions: ClientSubscriptions;
  /** CLIENT TRACKING state; null until the client first turns it on (handlers/tracking-commands.ts). */
  tracking: ClientTracking | null;
  /**
   * The protocol the client speaks: 2 until HELLO 3. Replies slotgate makes itself must follow
   * it (protocol/resp3-encoder.ts: nullReply, textReply, mapReply; encodePush for pub/sub
   * messages to a RESP3 client); forwarded commands travel backend connections of the same
   * protocol, so Redis encodes their replies for it.
   */
  readonly protocol: RespVersion;
  /**
   * Switches the protocol for the requests that follow (HELLO 2/3, RESET). Call it only from
   * `afterEarlierReplies`: earlier requests may still be on backend connections of the old one.
   */
  setProtocol(version: RespVersion): void;
}

export interface ForwardOptions {
  readonly access: Access;
  /** A blocking command: its own connection, no timeout, and the client's other commands wait for it. */
  readonly blocking?: boolean;
  /** The frames to send; the request's own raw bytes when absent. */
  readonly commands?: readonly Buffer[];
  /** Wrap `commands` in MULTI … EXEC (answered with EXEC's reply). */
  readonly transaction?: boolean;
  /** Send on this connection only, following no redirection (a WATCH connection). */
  readonly connection?: BackendHandle;
  /** Close `connection` once the reply is in (a WATCH is spent by its EXEC). */
  readonly closeConnectionAfter?: boolean;
  /**
   * The reply goes here instead of to the client, and the handler answers (an EXEC whose array
   * gets the replies of commands slotgate ran itself spliced in).
   */
  readonly onReply?: (frame: Buffer, isError: boolean) => void;
}

export interface GatherOptions {
  /** Observed in the backend latency histogram of this class; none when absent. */
  readonly latency?: Access;
  /** Key parts may be read from replicas, as the account's read policy allows. */
  readonly replicaRead?: boolean;
  /** Send on connections opened for this command alone, closed after (SCRIPT KILL). */
  readonly outOfBand?: boolean;
}

export interface CommandCall {
  readonly spec: CommandSpec;
  readonly args: readonly Buffer[];
  /** The request's exact bytes (re-encoded when a node suffix was removed). */
  readonly raw: Buffer;
  /** The node named by a suffix (`DBSIZE @0`), already removed from `args`; null for none. */
  readonly nodeTarget: NodeTargeted | null;
  /**
   * The slot of a single-key command's key when the dispatcher already worked it out (its direct
   * path, by offset), else -1: the key router then need not read `args`.
   */
  readonly keySlot: number;
  readonly connection: ConnectionState;

  /** Answers with a locally made (or merged) reply; `outcome` 'error' for an error a backend gave. */
  reply(frame: Buffer, outcome?: CommandOutcome): void;
  /** Answers with a slotgate-made error, counting it by its kind. */
  fail(error: ErrorReply): void;
  /** Answers, then closes the connection once everything before it is written (QUIT). */
  replyAndClose(frame: Buffer): void;
  /** Sends the command to the backend and answers with its reply (redirections followed). */
  forward(target: Target, options: ForwardOptions): void;
  /** forward() to the master of `slot` (or a replica, by the same rules), without making its Target: the single-key path's way. */
  forwardToSlot(slot: number, options: ForwardOptions): void;
  /** Sends parts to several nodes; `done` gets one reply per part (guarded like `guard`). */
  gather(targets: readonly PartTarget[], done: (replies: PartReply[]) => void, options?: GatherOptions): void;
  /**
   * Runs `run` once every earlier request of this client has been answered, and reads nothing
   * more from the client until this call is answered (a barrier: HELLO switching protocols must
   * not let a later command overtake an earlier one on another backend connection).
   */
  afterEarlierReplies(run: () => void): void;
  /** Wraps a callback that answers later: an exception in it fails this call alone. */
  guard<A extends unknown[]>(callback: (...args: A) => void): (...args: A) => void;
  /**
   * MONITOR/IMONITOR: from now on the client only receives `streamFrame`s until it disconnects;
   * `stop` ends the feed then (at once if the client is already gone).
   */
  startStreaming(stop: () => void): void;
  /** One frame of the feed, after every reply owed so far; `closeAfter` ends the connection after it. */
  streamFrame(frame: Buffer, closeAfter?: boolean): void;
}

/** A command handler: answers `call`, now or later. */
export type CommandHandler = (call: CommandCall) => void;
