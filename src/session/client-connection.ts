/**
 * The connection as handlers see it (ConnectionState): the client's own state (ClientState),
 * its subscriptions, and the backend connections it holds (BackendAffinity). What belongs to
 * the socket and its lifecycle — sign-in's effect on the decoder, CLIENT REPLY, the CLIENT LIST
 * figures, being closed — the session answers through `ConnectionControl`, so this part does
 * not know the Session.
 */
import type { Account } from '../auth/accounts.js';
import type { NodeConnection } from '../backend/node-connection.js';
import type { ConnectionState, ReplyMode, WatchState } from '../handlers/command-call.js';
import type { ProxyContext } from '../handlers/proxy-context.js';
import type { ClientRecord } from '../peers/client-record.js';
import type { RespVersion } from '../protocol/resp3-encoder.js';
import { ClientSubscriptions, type SubscriptionsOwner } from '../upstream/client-subscriptions.js';
import { BackendAffinity, affinityOf } from './backend-affinity.js';
import { ClientState } from './client-state.js';

/** What the connection asks of its session. */
export interface ConnectionControl {
  readonly address: string;
  /** The account changed: the decoder applies Redis's limits for clients not signed in. */
  signedIn(account: Account | null): void;
  setReplyMode(mode: ReplyMode): void;
  clientRecord(): ClientRecord;
  readonly isClosed: boolean;
  /** A pub/sub message for the client, in order with its replies. */
  streamFrame(frame: Buffer): void;
}

export class ClientConnection extends ClientState implements ConnectionState, SubscriptionsOwner {
  /** Made on first use (see affinity): a client that never sends a command to the backend never needs it. */
  private affinityPart: BackendAffinity | null = null;
  /** releaseBackends() was called: an affinity made later starts released (it closes what it opens). */
  private backendsReleased = false;
  /**
   * Pub/sub: messages are written like MONITOR lines, in order with the replies owed; in RESP3 as
   * push frames, and every command stays allowed while subscribed.
   */
  readonly subscriptions: ClientSubscriptions;
  /**
   * Which of a node's shared connections carries this client's commands now: NodePool takes
   * `lane % connectionsPerNode` (see chooseLane).
   */
  lane = 0;
  /** This client's lane for pipelined bursts, from its id. */
  private readonly ownLane = affinityOf(this.id);

  constructor(
    id: number,
    private readonly proxy: ProxyContext,
    private readonly control: ConnectionControl,
  ) {
    super(id);
    this.subscriptions = new ClientSubscriptions(this);
  }

  /** SubscriptionsOwner: a pub/sub message or invalidation, in order with the replies. */
  writeSubscriberFrame(frame: Buffer): void {
    this.control.streamFrame(frame);
  }

  get speaksResp3(): boolean {
    return this.protocol === 3;
  }

  get address(): string {
    return this.control.address;
  }

  /**
   * Picks the lane of the commands that follow. Called only while none of this client's commands
   * is in flight, so a command on the new lane cannot overtake one on the old: Redis runs a
   * client's commands in order only within one connection.
   *
   * Why (issue #22): a lone request (nothing else in its read) rides lane 0, the connection every
   * other lone request to that node rides too, so a turn's lone requests leave in one write and
   * the node reads them in one read (at pipeline 1 with two lanes by client, 0.4 node writes per
   * request against 0.27, and 1.3 µs more master CPU per request). A pipelined burst is a batch of
   * its own and rides the client's own lane: bursts spread over the connections let a node start
   * on one while slotgate still reads the next (pipeline 16 SET lost 6% on a single connection).
   */
  chooseLane(pipelined: boolean): void {
    this.lane = pipelined ? this.ownLane : 0;
  }

  /** The backend connections this client holds of its own, and how its commands reach the backend (made on first use). */
  get affinity(): BackendAffinity {
    let affinity = this.affinityPart;
    if (affinity === null) {
      affinity = this.affinityPart = new BackendAffinity(this.proxy, this);
      if (this.backendsReleased) affinity.release();
    }
    return affinity;
  }

  /** The session ends: every backend connection of this client's is closed (BackendAffinity.release). */
  releaseBackends(): void {
    this.backendsReleased = true;
    this.affinityPart?.release();
  }

  /** Signs in as `account`; null signs out (RESET while the default account has a password). */
  signIn(account: Account | null): void {
    this.account = account;
    this.control.signedIn(account);
  }

  get watch(): WatchState | null {
    return this.affinityPart?.watch ?? null;
  }

  set watch(value: WatchState | null) {
    if (value !== null || this.affinityPart !== null) this.affinity.watch = value;
  }

  /** Ends a WATCH: closing its connection is what UNWATCH does, and frees the connection too. */
  dropWatch(): void {
    this.affinityPart?.dropWatch();
  }

  /** A connection of this client's own to `address` (WATCH state lives on it), in its database. */
  dedicatedConnection(address: string): NodeConnection {
    return this.affinity.dedicatedConnection(address);
  }

  noteWrittenMaster(address: string): void {
    this.affinity.noteWrittenMaster(address);
  }

  takeWrittenMasters(): string[] {
    return this.affinityPart === null ? [] : this.affinityPart.takeWrittenMasters();
  }

  /**
   * HELLO 2/3, RESET: the commands that follow travel backend connections of `version`. Run
   * behind a barrier (CommandCall.afterEarlierReplies), so nothing of this client is in flight.
   */
  setProtocol(version: RespVersion): void {
    if (version === this.protocol) return;
    this.protocol = version;
    this.affinityPart?.protocolChanged(version);
  }

  setReplyMode(mode: ReplyMode): void {
    this.control.setReplyMode(mode);
  }

  clientRecord(): ClientRecord {
    return this.control.clientRecord();
  }

  get isClosed(): boolean {
    return this.control.isClosed;
  }
}
