// Runs generated commands through slotgate and through a standalone Redis side by side, and records
// every discrepancy (reply, state of the keys, crash) with the command that caused it. Used by
// test/integration/command-fuzz.test.ts; the comparison rules are in reply-compare.ts.
import type { Cluster, Redis } from 'ioredis';
import { RESYNC_AFTER, type FuzzCommand, type KeyPool } from './command-generator.js';
import { describeKey } from './dataset.js';
import { compareReplies, errorTextsDiffer, mayWrite, type CompareContext, type Verdict } from './reply-compare.js';
import { RespConnection, showBytes, showReply, type Reply } from './resp-connection.js';
import type { SlotgateProcess } from './slotgate-process.js';

export interface Discrepancy {
  /** `sequential #12`, `pipelined #7`, `final dataset`, … */
  readonly where: string;
  readonly command: string;
  readonly detail: string;
}

export interface RunEnvironment {
  readonly standalone: Redis;
  readonly standalonePort: number;
  /** A cluster client of the backend itself: the cluster side's state is read directly, not through slotgate. */
  readonly direct: Cluster;
  readonly slotgate: SlotgateProcess;
  readonly pool: KeyPool;
}

const REPLY_TIMEOUT_MS = 10_000;

export function showCommand(args: readonly Buffer[]): string {
  return args.map((a) => (/^[\x21-\x7e]{1,60}$/.test(a.toString('latin1')) ? a.toString('latin1') : showBytes(a))).join(' ');
}

function uniqueKeys(keys: readonly Buffer[]): Buffer[] {
  const seen = new Map<string, Buffer>();
  for (const key of keys) seen.set(key.toString('hex'), key);
  return [...seen.values()];
}

/** SCAN 0 MATCH <a pattern of this run's keys> …: the cluster is shared, so only such walks compare. */
function isWalkOfThisRun(command: FuzzCommand): boolean {
  const [, cursor, match, pattern] = command.args;
  return cursor?.toString() === '0' && match?.toString().toLowerCase() === 'match' && pattern !== undefined && pattern.toString().includes('fz:');
}

export class DifferentialRun implements CompareContext {
  readonly discrepancies: Discrepancy[] = [];
  /** How often each allowed difference applied. */
  readonly allowed = new Map<string, number>();
  /** Same error prefix, different text: reported for a look, not a failure (the comparison is by prefix). */
  readonly errorTextDifferences: string[] = [];
  private redis!: RespConnection;
  private gate!: RespConnection;
  /** For COMMAND GETKEYS, beside the sequence's own connection. */
  private oracle!: RespConnection;
  private readonly slots = new Map<string, number>();
  /**
   * Keys outside the pool that commands touched: a value becomes a key when a mutation shifts the
   * arguments (`DEL k hello`). Compared at the end and deleted by clean() like the pool.
   */
  private readonly strays = new Map<string, Buffer>();

  constructor(private readonly env: RunEnvironment) {}

  async open(): Promise<void> {
    this.redis = await RespConnection.connect(this.env.standalonePort);
    this.oracle = await RespConnection.connect(this.env.standalonePort);
    this.gate = await RespConnection.connect(this.env.slotgate.port);
  }

  close(): void {
    this.redis?.close();
    this.oracle?.close();
    this.gate?.close();
  }

  async keysOf(args: readonly Buffer[]): Promise<Buffer[]> {
    const reply = await this.oracle.call([Buffer.from('COMMAND'), Buffer.from('GETKEYS'), ...args], REPLY_TIMEOUT_MS);
    return reply.type === '*' && reply.items ? reply.items.flatMap((item) => (item.type === '$' && item.data ? [item.data] : [])) : [];
  }

  async slotOf(key: Buffer): Promise<number> {
    const id = key.toString('hex');
    let slot = this.slots.get(id);
    if (slot === undefined) {
      slot = Number(await this.env.direct.call('CLUSTER', 'KEYSLOT', key));
      this.slots.set(id, slot);
    }
    return slot;
  }

  /** Empties the pool on both sides (the shared cluster itself is not flushed: other files use it). */
  async clean(): Promise<void> {
    await this.env.standalone.flushall();
    await this.resync([...this.env.pool.all, ...this.strays.values()]);
  }

  /** The keys a command touches: the generator's, and what Redis finds in it (COMMAND GETKEYS). */
  private async touchedKeys(command: FuzzCommand): Promise<Buffer[]> {
    const found = await this.keysOf(command.args);
    const pool = new Set(this.env.pool.all.map((k) => k.toString('hex')));
    for (const key of found) if (!pool.has(key.toString('hex'))) this.strays.set(key.toString('hex'), key);
    return uniqueKeys([...command.keys, ...found]);
  }

  /** Deletes `keys` on both sides, so that a legitimate divergence does not spill into later comparisons. */
  async resync(keys: readonly Buffer[]): Promise<void> {
    await Promise.all(uniqueKeys(keys).flatMap((key) => [this.env.standalone.del(key), this.env.direct.del(key)]));
  }

  async sequential(commands: Iterable<FuzzCommand>): Promise<void> {
    let index = 0;
    for (const command of commands) {
      const where = `sequential #${index++}`;
      const expected = await this.redis.call(command.args, REPLY_TIMEOUT_MS);
      let actual: Reply;
      try {
        actual = await this.gate.call(command.args, REPLY_TIMEOUT_MS);
      } catch (error) {
        await this.lostSlotgate(where, command, error as Error);
        continue;
      }
      const verdict = await this.judge(where, command, expected, actual);
      if ((verdict.kind === 'allowed' && verdict.resync) || RESYNC_AFTER.has(command.name)) {
        await this.resync(await this.touchedKeys(command));
        continue;
      }
      if (command.name === 'scan' && expected.type === '*' && actual.type === '*' && isWalkOfThisRun(command)) await this.compareScanWalks(where, command);
      if (mayWrite(command)) await this.checkKeys(where, command, await this.touchedKeys(command));
    }
  }

  /**
   * Writes every command in one go to each side, then reads all replies. Divergent keys cannot be
   * resynced mid-batch (the generator keeps refused cross-slot writes out of such batches); what a
   * legitimately diverging command touched is left out of the final dataset comparison.
   */
  async pipelined(commands: readonly FuzzCommand[]): Promise<void> {
    this.redis.send(commands.map((c) => c.args));
    this.gate.send(commands.map((c) => c.args));
    const expected: Reply[] = [];
    for (let i = 0; i < commands.length; i++) expected.push(await this.redis.read(REPLY_TIMEOUT_MS));
    const diverged: Buffer[] = [];
    for (let i = 0; i < commands.length; i++) {
      const command = commands[i]!;
      let actual: Reply;
      try {
        actual = await this.gate.read(REPLY_TIMEOUT_MS);
      } catch (error) {
        // Which command of the batch broke slotgate is not known here: replies stop at the first lost one.
        await this.lostSlotgate(`pipelined: no reply from #${i} on, of ${commands.length}`, command, error as Error);
        return;
      }
      const verdict = await this.judge(`pipelined #${i}`, command, expected[i]!, actual);
      const touched = mayWrite(command) ? await this.touchedKeys(command) : [];
      if (verdict.kind === 'allowed' && verdict.resync) diverged.push(...touched);
    }
    await this.compareDataset('final dataset after the pipelined batch', diverged);
  }

  /** Every pool key's type and value on both sides (keys in `except` diverged legitimately). */
  async compareDataset(where: string, except: readonly Buffer[] = []): Promise<void> {
    const skip = new Set(except.map((k) => k.toString('hex')));
    await this.checkKeys(where, undefined, [...this.env.pool.all, ...this.strays.values()].filter((k) => !skip.has(k.toString('hex'))));
  }

  /** PING through slotgate on the sequence's connection and on a new one: the process survived. */
  async checkAlive(where: string): Promise<void> {
    const ping = [Buffer.from('PING')];
    for (const [label, connect] of [
      ['the same connection', async () => this.gate],
      ['a new connection', () => RespConnection.connect(this.env.slotgate.port)],
    ] as const) {
      try {
        const connection = await connect();
        const reply = await connection.call(ping, REPLY_TIMEOUT_MS);
        if (connection !== this.gate) connection.close();
        if (reply.type !== '+' || reply.text !== 'PONG') this.record(where, ping, `PING on ${label} answered ${showReply(reply)}`);
      } catch (error) {
        this.record(where, ping, `PING on ${label} failed: ${(error as Error).message}; ${(await this.env.slotgate.exitReport()) ?? 'slotgate still runs'}`);
      }
    }
  }

  private async judge(where: string, command: FuzzCommand, expected: Reply, actual: Reply): Promise<Verdict> {
    const verdict = await compareReplies(command, expected, actual, this);
    if (verdict.kind === 'different') {
      this.record(where, command.args, `${verdict.why}: Redis ${showReply(expected)}, slotgate ${showReply(actual)}${command.mutation ? ` [${command.mutation}]` : ''}`);
    } else if (verdict.kind === 'allowed') {
      this.allowed.set(verdict.rule, (this.allowed.get(verdict.rule) ?? 0) + 1);
    } else if (errorTextsDiffer(expected, actual)) {
      this.errorTextDifferences.push(`${showCommand(command.args)}: Redis ${showReply(expected)}, slotgate ${showReply(actual)}`);
    }
    return verdict;
  }

  /** Compares `keys` on both sides, reports and resyncs the ones that differ. */
  private async checkKeys(where: string, command: FuzzCommand | undefined, keys: readonly Buffer[]): Promise<void> {
    const differing: Buffer[] = [];
    await Promise.all(
      uniqueKeys(keys).map(async (key) => {
        const [inRedis, inCluster] = await Promise.all([describeKey(this.env.standalone, key), describeKey(this.env.direct, key)]);
        if (inRedis === inCluster) return;
        differing.push(key);
        this.record(where, command?.args ?? [], `key ${showBytes(key)} afterwards: Redis has ${inRedis}, the cluster has ${inCluster}${command?.mutation ? ` [${command.mutation}]` : ''}`);
      }),
    );
    if (differing.length > 0) await this.resync(differing);
  }

  /** Follows SCAN from cursor 0 to the end on each side: the keys seen must be the same. */
  private async compareScanWalks(where: string, command: FuzzCommand): Promise<void> {
    const walk = async (connection: RespConnection): Promise<string[] | string> => {
      const seen: string[] = [];
      let cursor: Buffer = Buffer.from('0');
      for (let steps = 0; steps < 100_000; steps++) {
        const args = [...command.args];
        args[1] = cursor;
        const reply = await connection.call(args, REPLY_TIMEOUT_MS);
        if (reply.type !== '*' || reply.items?.length !== 2) return `step ${steps} answered ${showReply(reply)}`;
        const [next, keys] = reply.items;
        if (next!.type !== '$' || !next!.data || keys!.type !== '*' || !keys!.items) return `step ${steps} answered ${showReply(reply)}`;
        for (const key of keys!.items) seen.push(showReply(key));
        cursor = next!.data;
        if (cursor.toString() === '0') return [...new Set(seen)].sort();
      }
      return 'did not end';
    };
    try {
      const [inRedis, inSlotgate] = [await walk(this.redis), await walk(this.gate)];
      if (JSON.stringify(inRedis) !== JSON.stringify(inSlotgate)) {
        this.record(where, command.args, `a full SCAN walk differs: Redis ${JSON.stringify(inRedis)}, slotgate ${JSON.stringify(inSlotgate)}`);
      }
    } catch (error) {
      await this.lostSlotgate(`${where} (SCAN walk)`, command, error as Error);
    }
  }

  /** slotgate gave no reply: a crash (restart it) or a dropped or stalled connection (reconnect). */
  private async lostSlotgate(where: string, command: FuzzCommand, error: Error): Promise<void> {
    const exit = await this.env.slotgate.exitReport();
    this.record(where, command.args, exit ?? `slotgate gave no reply: ${error.message}${command.mutation ? ` [${command.mutation}]` : ''}`);
    this.gate.close();
    if (exit !== undefined) await this.env.slotgate.restart();
    this.gate = await RespConnection.connect(this.env.slotgate.port);
    await this.resync(await this.touchedKeys(command));
  }

  private record(where: string, args: readonly Buffer[], detail: string): void {
    this.discrepancies.push({ where, command: showCommand(args), detail });
  }
}
