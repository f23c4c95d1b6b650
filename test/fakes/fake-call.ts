// A fake CommandCall for unit tests of handlers: it records what the handler answered, forwarded
// or gathered, and lets the test play the backend's part. Built on the real pure pieces (config,
// accounts, topology snapshot, metrics, MONITOR hub), with no socket and no backend.
import type { ClientTracking } from '../../src/upstream/tracking-client.js';
import { argsOfFrame } from '../../src/protocol/decoded-request.js';
import type { TrackingHub } from '../../src/upstream/tracking-hub.js';
import { TrackingTable } from '../../src/upstream/tracking-table.js';
import { CommandCatalog, FALLBACK_COMMAND_TABLE, type CommandSpec } from '../../src/commands/command-table.js';
import { TopologySnapshot, type ShardInput } from '../../src/cluster/topology-snapshot.js';
import { resolveConfig } from '../../src/config/config.js';
import { buildRuntime } from '../../src/config/runtime.js';
import type { ErrorReply } from '../../src/errors/catalogue.js';
import type { ConnectionState, ForwardOptions, GatherOptions, OpenTransaction, ReplyMode, WatchState } from '../../src/handlers/command-call.js';
import type { IncomingCall } from '../../src/handlers/dispatch.js';
import type { ProxyContext } from '../../src/handlers/proxy-context.js';
import { withCommandRegistry } from '../../src/handlers/registry.js';
import { MonitorHub } from '../../src/monitor/monitor-hub.js';
import { ClientDirectory, type LocalSessions } from '../../src/peers/client-directory.js';
import { matchesFilter, type ClientRecord } from '../../src/peers/client-record.js';
import { createLogger } from '../../src/observability/logger.js';
import { LogLimiter } from '../../src/observability/log-limiter.js';
import { Metrics } from '../../src/observability/metrics.js';
import { encodeCommand } from '../../src/protocol/encoder.js';
import type { NodeTargeted } from '../../src/routing/node-suffix.js';
import { slotTarget, type Target } from '../../src/upstream/forwarder.js';
import type { PartTarget } from '../../src/upstream/gather.js';
import type { PartReply } from '../../src/upstream/reducers.js';
import { ClientSubscriptions } from '../../src/upstream/client-subscriptions.js';
import type { PubsubSubscriber, SubscriberHub, SubscriptionKind } from '../../src/upstream/subscriber-hub.js';

/**
 * Stands in for the upstream subscriber hub: keeps who is subscribed to what (the reference
 * counts handlers rely on) and confirms every subscription at once; no backend.
 */
export class FakeSubscriberHub {
  readonly subscribers = new Map<string, Set<PubsubSubscriber>>();
  subscribe(subscriber: PubsubSubscriber, kind: SubscriptionKind, name: string, ready: () => void): void {
    const key = `${kind}:${name}`;
    if (!this.subscribers.has(key)) this.subscribers.set(key, new Set());
    this.subscribers.get(key)!.add(subscriber);
    ready();
  }
  unsubscribe(subscriber: PubsubSubscriber, kind: SubscriptionKind, name: string): void {
    const key = `${kind}:${name}`;
    this.subscribers.get(key)?.delete(subscriber);
    if (this.subscribers.get(key)?.size === 0) this.subscribers.delete(key);
  }
  subscriberCount(kind: SubscriptionKind, name: string): number {
    return this.subscribers.get(`${kind}:${name}`)?.size ?? 0;
  }
  heldUpstream(kind: SubscriptionKind, name: string): boolean {
    return this.subscriberCount(kind, name) > 0;
  }
}

/** Three shards on made-up addresses, slots split as redis-cli --cluster create does. */
export const THREE_SHARDS: ShardInput[] = [
  { master: { id: 'a'.repeat(40), host: '10.0.0.1', port: 7000, health: 'online' }, replicas: [], ranges: [[0, 5460]] },
  { master: { id: 'b'.repeat(40), host: '10.0.0.2', port: 7001, health: 'online' }, replicas: [], ranges: [[5461, 10922]] },
  { master: { id: 'c'.repeat(40), host: '10.0.0.3', port: 7002, health: 'online' }, replicas: [], ranges: [[10923, 16383]] },
];

/** A standalone backend (`fakeProxy(['--backend', 'standalone', '--master', '10.0.0.1:7000'])`): one shard, every slot. */
export const ONE_MASTER: ShardInput = { master: { id: 'a'.repeat(40), host: '10.0.0.1', port: 7000, health: 'online' }, replicas: [], ranges: [[0, 16383]] };

export function fakeProxy(flags: string[] = []): ProxyContext {
  return withCommandRegistry(fakeServices(flags));
}

function fakeServices(flags: string[]): Omit<ProxyContext, 'handlers'> {
  const config = resolveConfig(['--cluster', '10.0.0.1:7000', ...flags], {});
  const logger = createLogger('silent');
  const snapshot = new TopologySnapshot(THREE_SHARDS, 1);
  return {
    config,
    runtime: buildRuntime(config.reloadable),
    // Handlers read only `current`; the refresher is not part of what they do.
    topology: { current: config.backend === 'cluster' ? snapshot : new TopologySnapshot([ONE_MASTER], 1), kind: config.backend } as unknown as ProxyContext['topology'],
    pool: {} as unknown as ProxyContext['pool'],
    // Every node healthy; no handler under unit test opens a feed (IMONITOR is tested against real nodes).
    nodes: { recentlyFailed: () => false, openFeed: () => { throw new Error('no backend in unit tests'); } },
    commands: new CommandCatalog(),
    metrics: new Metrics(false),
    logger,
    logLimiter: new LogLimiter(logger),
    redisVersion: '7.0.15',
    backendDatabases: config.backend === 'cluster' ? 1 : 16,
    nextClientId: () => 1,
    identity: { host: '127.0.0.1', port: 6380, nodeId: 'f'.repeat(40), version: '0.0.0', startedAt: 0 } as ProxyContext['identity'],
    monitors: new MonitorHub(new CommandCatalog()),
    clientCount: () => 1,
    clients: new ClientDirectory(new FakeSessions()),
    proxyId: '127.0.0.1:6380/1',
    blockedClientCount: () => 0,
    blockingCommands: new WeakMap(),
    clientStates: () => ({ watchingClients: 0, pubsubClients: 0, blockingKeys: 0, blockingKeysOnNokey: 0, clientsInTimeoutTable: 0 }),
    pubsub: new FakeSubscriberHub() as unknown as SubscriberHub,
    // The table is real; no tracking connection is opened (upstream/tracking-hub.ts is tested against real nodes).
    tracking: { enable: () => undefined, disable: () => undefined, whenSettled: (ready: () => void) => ready(), table: new TrackingTable(0, () => undefined) } as unknown as TrackingHub,
    findClient: () => undefined,
  };
}

/** Sessions of a fake proxy: records a test puts in; kill removes them; unblock answers `unblockable`. */
export class FakeSessions implements LocalSessions {
  records: ClientRecord[] = [];
  unblockable = new Set<number>();

  list(filter: Parameters<LocalSessions['list']>[0]): ClientRecord[] {
    return this.records.filter((r) => matchesFilter(r, filter));
  }

  kill(filter: Parameters<LocalSessions['kill']>[0], spare?: number): { killed: number; spared: boolean } {
    const matched = this.records.filter((r) => matchesFilter(r, filter));
    this.records = this.records.filter((r) => !matched.includes(r) || r.id === spare);
    return { killed: matched.length, spared: matched.some((r) => r.id === spare) };
  }

  unblock(id: number): Promise<boolean> {
    return Promise.resolve(this.unblockable.has(id));
  }
}

/** A ClientRecord with every field, for fake sessions. */
export function clientRecord(fields: Partial<ClientRecord> & { id: number }): ClientRecord {
  return {
    addr: '127.0.0.1:50000', laddr: '127.0.0.1:6380', fd: 9, name: '', age: 0, idle: 0, flags: 'N', db: 0, sub: 0, psub: 0, ssub: 0,
    multi: -1, qbuf: 0, qbufFree: 0, obl: 0, oll: 0, omem: 0, totMem: 0, events: 'r', cmd: 'NULL', user: 'default', resp: 2,
    libName: '', libVer: '', network: 'tcp', proxy: '127.0.0.1:6380/1',
    ...fields,
  };
}

export class FakeConnection implements ConnectionState {
  readonly id = 7;
  readonly address = '127.0.0.1:50000';
  account: ConnectionState['account'];
  name: string | null = null;
  tracking: ClientTracking | null = null;
  db = 0;
  transaction: OpenTransaction | null = null;
  watch: WatchState | null = null;
  readonly dedicated: { address: string; closed: boolean }[] = [];
  libName = '';
  libVer = '';
  noEvict = false;
  noTouch = false;
  readonly replyModes: ReplyMode[] = [];
  isClosed = false;
  /** Masters noted as written to (the Session keeps a Set; the order here is the notes'). */
  writtenMasters: string[] = [];
  protocol: 2 | 3 = 2;
  /** Messages delivered to this connection; `resp3` plays a client that said HELLO 3. */
  readonly delivered: Buffer[] = [];
  resp3 = false;
  readonly subscriptions = new ClientSubscriptions((frame) => this.delivered.push(frame), () => this.resp3);

  constructor(proxy: ProxyContext) {
    this.account = proxy.runtime.accounts.initialAccount;
  }

  signIn(account: ConnectionState['account']): void {
    this.account = account;
  }

  setReplyMode(mode: ReplyMode): void {
    this.replyModes.push(mode);
  }

  clientRecord(): ClientRecord {
    return clientRecord({ id: this.id, addr: this.address, name: this.name ?? '', libName: this.libName, libVer: this.libVer, db: this.db, resp: this.protocol });
  }

  noteWrittenMaster(address: string): void {
    if (!this.writtenMasters.includes(address)) this.writtenMasters.push(address);
  }

  takeWrittenMasters(): string[] {
    const masters = this.writtenMasters;
    this.writtenMasters = [];
    return masters;
  }

  setProtocol(version: 2 | 3): void {
    this.protocol = version;
  }

  dropWatch(): void {
    this.watch?.conn.close();
    this.watch = null;
  }

  dedicatedConnection(address: string): WatchState['conn'] {
    const record = { address, closed: false };
    this.dedicated.push(record);
    return { address, close: () => (record.closed = true) } as unknown as WatchState['conn'];
  }
}

export interface Forwarded {
  target: Target;
  options: ForwardOptions;
}

export interface Gathered {
  targets: readonly PartTarget[];
  options: GatherOptions | undefined;
  /** Plays the backend: hands the parts' replies (RESP frames) to the handler. */
  answer(...frames: string[]): void;
}

export class FakeCall implements IncomingCall {
  spec!: CommandSpec;
  args: readonly Buffer[] = [];
  raw: Buffer = Buffer.alloc(0);
  nodeTarget: NodeTargeted | null = null;
  keySlot = -1;
  readonly replies: string[] = [];
  readonly forwards: Forwarded[] = [];
  readonly gathers: Gathered[] = [];
  readonly internalErrors: unknown[] = [];
  streamStop: (() => void) | null = null;
  readonly streamed: string[] = [];
  closeAfterReply = false;

  constructor(
    /** The fake proxy the test built the call with (handlers never see it: a CommandCall carries no services). */
    readonly proxy: ProxyContext,
    readonly connection: FakeConnection,
  ) {}

  /** A call for `words` as a client would send them (looked up like the dispatcher does). */
  static of(proxy: ProxyContext, connection: FakeConnection, ...words: string[]): FakeCall {
    const call = new FakeCall(proxy, connection);
    const args = words.map((w) => Buffer.from(w));
    const lookup = FALLBACK_COMMAND_TABLE.lookup(args);
    if (!lookup.ok) throw new Error(`unknown command in test: ${words.join(' ')}`);
    call.bind(lookup.spec, args, encodeCommand(args), null);
    return call;
  }

  bindRequest(spec: CommandSpec, request: { bytes: Buffer; base: number; end: number }, keySlot: number): void {
    const raw = request.bytes.subarray(request.base, request.end);
    this.bind(spec, argsOfFrame(raw), raw, null);
    this.keySlot = keySlot;
  }

  bind(spec: CommandSpec, args: Buffer[], raw: Buffer, nodeTarget: NodeTargeted | null): void {
    this.spec = spec;
    this.args = args;
    this.raw = raw;
    this.nodeTarget = nodeTarget;
  }

  /** The one answer, as text; throws when there is not exactly one. */
  get answer(): string {
    if (this.replies.length !== 1) throw new Error(`expected one reply, got ${this.replies.length}: ${this.replies.join(' | ')}`);
    return this.replies[0]!;
  }

  /** Every earlier reply is in at once here: the barrier runs straight away. */
  afterEarlierReplies(run: () => void): void {
    run();
  }

  reply(frame: Buffer): void {
    this.replies.push(frame.toString('latin1'));
  }

  fail(error: ErrorReply): void {
    this.replies.push(error.frame.toString('latin1'));
  }

  replyAndClose(frame: Buffer): void {
    this.closeAfterReply = true;
    this.reply(frame);
  }

  forward(target: Target, options: ForwardOptions): void {
    this.forwards.push({ target, options });
  }

  /** Recorded as the forward it stands for: to the slot's Target. */
  forwardToSlot(slot: number, options: ForwardOptions): void {
    this.forward(slotTarget(slot), options);
  }

  gather(targets: readonly PartTarget[], done: (replies: PartReply[]) => void, options?: GatherOptions): void {
    const finish = this.guard(done);
    this.gathers.push({
      targets,
      options,
      answer: (...frames) =>
        finish(frames.map((text) => ({ frame: Buffer.from(text, 'latin1'), isError: text.startsWith('-'), label: 'a part' }))),
    });
  }

  guard<A extends unknown[]>(callback: (...args: A) => void): (...args: A) => void {
    return (...args: A) => {
      try {
        callback(...args);
      } catch (err) {
        this.internalErrors.push(err);
      }
    };
  }

  startStreaming(stop: () => void): void {
    this.streamStop = stop;
  }

  streamFrame(frame: Buffer): void {
    this.streamed.push(frame.toString('latin1'));
  }
}
