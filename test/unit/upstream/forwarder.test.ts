// ForwardedCommand, and a session's Call that sends a plain command itself, against scripted fake nodes
// (test/fakes/fake-node.ts): what slotgate does with each thing a node might answer — MOVED, ASK, TRYAGAIN, CLUSTERDOWN, garbage, a stall, a close.
// Real Redis behaviour is covered by the integration tests (resharding, failover); these pin the
// logic that handles the answers, including ones real Redis rarely gives.
import { describe, expect, it } from 'vitest';
import { TopologySnapshot } from '../../../src/cluster/topology-snapshot.js';
import { WriteHold } from '../../../src/cluster/write-hold.js';
import { Metrics } from '../../../src/observability/metrics.js';
import { encodeCommand } from '../../../src/protocol/encoder.js';
import { ForwardedCommand, type ForwardContext } from '../../../src/upstream/forwarder.js';
import { FALLBACK_COMMAND_TABLE } from '../../../src/commands/command-table.js';
import { Call, type CallHost } from '../../../src/session/call.js';
import { FakeConnection, fakeProxy } from '../../fakes/fake-call.js';
import { CLOSE, useFakeNodes, type FakeNode } from '../../fakes/fake-node.js';

const { node, pool: newPool } = useFakeNodes();

/** A forwarding context whose slot map says every slot is on `owner`; records MOVED patches and refreshes. */
function context(owner: FakeNode, commandTimeoutMs = 2000) {
  const pool = newPool(commandTimeoutMs);
  const moved: [number, string][] = [];
  const refreshes: string[] = [];
  const hold = new WriteHold(commandTimeoutMs, { started: () => {}, ended: () => {} });
  const snapshot = new TopologySnapshot([{ master: { id: 'f'.repeat(40), host: '127.0.0.1', port: owner.port, health: 'online' }, replicas: [], ranges: [[0, 16383]] }], 1);
  const ctx: ForwardContext = {
    topology: {
      current: snapshot,
      applyMoved: (slot: number, address: string) => moved.push([slot, address]),
      requestRefresh: (reason: string) => refreshes.push(reason),
      hold,
      holdMaster: (address: string, reason: string) => (hold.hold(address, reason), true),
    } as unknown as ForwardContext['topology'],
    metrics: new Metrics(false),
    maxRedirects: 3,
    commandTimeoutMs,
    connectionFor: (address) => pool.connectionFor(address, 0),
    recentlyFailed: () => false,
  };
  return { ctx, moved, refreshes };
}

type Reply = { frame: string; isError: boolean };

function sendForwarded(ctx: ForwardContext, ...words: string[]): Promise<Reply> {
  return new Promise((resolve) => {
    new ForwardedCommand(ctx, [encodeCommand(words)], false, { slot: 5 }, null, {
      complete: (frame, isError) => resolve({ frame: frame.toString('latin1'), isError }),
    }).start();
  });
}

/**
 * The same command sent by a session's Call (session/call.ts): a plain command for a slot's master
 * is its own backend request (the direct attempt), and anything but a plain answer is taken over
 * by a ForwardedCommand. `firstSent` gets what the master's connection was first handed.
 */
function sendThroughCall(ctx: ForwardContext, words: string[], firstSent: unknown[], calls: Call[] = [], answers: string[] = [], faultAfterAnswer = false): Promise<Reply> {
  const proxy = fakeProxy();
  const connection = new FakeConnection(proxy);
  const recording: ForwardContext = {
    ...ctx,
    connectionFor: (address) => {
      const conn = ctx.connectionFor(address);
      const send = conn.send.bind(conn);
      conn.send = (request) => {
        firstSent.push(request);
        conn.send = send;
        send(request);
      };
      return conn;
    },
  };
  return new Promise((resolve, reject) => {
    const answer = (_slot: unknown, frame: Buffer): void => {
      answers.push(frame.toString('latin1'));
      resolve({ frame: frame.toString('latin1'), isError: frame[0] === 0x2d });
    };
    const answerIn = (_slot: unknown, bytes: Buffer, start: number, end: number): void => {
      answer(_slot, bytes.subarray(start, end));
      if (faultAfterAnswer) throw new Error('a bug after the answer');
    };
    const host: CallHost = {
      proxy,
      connection,
      sharedForward: recording,
      blockingForward: recording,
      answer,
      answerIn,
      answerAndClose: answer,
      internalError: (_call, err) => reject(err),
      runBlocking: () => reject(new Error('not a blocking command')),
      startStreaming: () => undefined,
      streamFrame: () => undefined,
    };
    const args = words.map((word) => Buffer.from(word));
    const lookup = FALLBACK_COMMAND_TABLE.lookup(args);
    if (!lookup.ok) throw new Error(`no command ${words[0]}`);
    const call = new Call(host);
    calls.push(call);
    // As the decoder hands it: a range of the client's read chunk, between other requests' bytes
    // (which must not reach the node).
    const before = encodeCommand(['ECHO', 'not-this']);
    const bytes = Buffer.concat([before, encodeCommand(words), encodeCommand(['ECHO', 'nor-this'])]);
    call.bindRequest(lookup.spec, { bytes, base: before.length, end: before.length + encodeCommand(words).length }, 5);
    call.forward({ slot: 5 }, { access: lookup.spec.isWrite ? 'write' : 'read' });
  });
}

describe('a Call sends a plain single-slot command itself, and hands anything unusual to a ForwardedCommand', () => {
  it('is the request its master\'s connection is handed (no ForwardedCommand on the hot path)', async () => {
    const owner = await node(() => Buffer.from('$1\r\nv\r\n'));
    const firstSent: unknown[] = [];
    expect(await sendThroughCall(context(owner).ctx, ['GET', 'k'], firstSent)).toEqual({ frame: '$1\r\nv\r\n', isError: false });
    expect(firstSent).toHaveLength(1);
    expect(firstSent[0]).toBeInstanceOf(Call);
  });

  // The session reuses a call once its reply is written (session/call.ts, Call.recycle): only a call
  // nothing else can still hold, which is one its master answered plainly.
  it('may be reused once answered plainly, never once a ForwardedCommand took it over', async () => {
    const plain = await node(() => Buffer.from('$1\r\nv\r\n'));
    const calls: Call[] = [];
    await sendThroughCall(context(plain).ctx, ['GET', 'k'], [], calls);
    expect(calls[0]!.recyclable).toBe(true);

    const moved = await node(() => Buffer.from(`-MOVED 5 127.0.0.1:${plain.port}\r\n`));
    await sendThroughCall(context(moved).ctx, ['GET', 'k'], [], calls);
    expect(calls[1]!.recyclable).toBe(false);

    const errorReply = await node(() => Buffer.from('-WRONGTYPE Operation against a key holding the wrong kind of value\r\n'));
    expect((await sendThroughCall(context(errorReply).ctx, ['GET', 'k'], [], calls)).isError).toBe(true);
    expect(calls[2]!.recyclable).toBe(false);

    const closing = await node(() => CLOSE);
    await sendThroughCall(context(closing, 300).ctx, ['GET', 'k'], [], calls);
    expect(calls[3]!.recyclable).toBe(false);
  });

  it('is answered once when slotgate faults after its answer: nothing is retried or answered again', async () => {
    const plain = await node(() => Buffer.from('$1\r\nv\r\n'));
    const answers: string[] = [];
    await sendThroughCall(context(plain).ctx, ['GET', 'k'], [], [], answers, true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(answers).toEqual(['$1\r\nv\r\n']);
    expect(plain.received).toEqual([['GET', 'k']]);
  });
});

describe('ForwardedCommand answers once', () => {
  // The node connection reports a fault in an answer handler as a failure of that request
  // (node-connection.ts, requestFaulted); for a command already answered there is nothing left to
  // fail: a second answer would reach a reply slot already written (and count it twice).
  it('is not answered again when its completion faults after the answer', async () => {
    const plain = await node(() => Buffer.from('$1\r\nv\r\n'));
    expect(await answersWhenCompletionFaults(plain)).toEqual(['$1\r\nv\r\n']);
    expect(plain.received).toEqual([['GET', 'k']]);
  });

  it('is not answered again after a fault following a redirection it followed', async () => {
    const target = await node(() => Buffer.from('$3\r\nnew\r\n'));
    const source = await node(() => Buffer.from(`-MOVED 5 127.0.0.1:${target.port}\r\n`));
    expect(await answersWhenCompletionFaults(source)).toEqual(['$3\r\nnew\r\n']);
    expect(target.received).toEqual([['GET', 'k']]);
  });
});

/** Every answer a ForwardedCommand (GET k, slot 5's master being `owner`) gives a completion that throws after its first. */
async function answersWhenCompletionFaults(owner: FakeNode): Promise<string[]> {
  const answers: string[] = [];
  new ForwardedCommand(context(owner).ctx, [encodeCommand(['GET', 'k'])], false, { slot: 5 }, null, {
    complete: (frame) => {
      answers.push(frame.toString('latin1'));
      if (answers.length === 1) throw new Error('a bug after the answer');
    },
  }).start();
  await until(() => answers.length > 0);
  await new Promise((resolve) => setTimeout(resolve, 50)); // time for a second answer, if one were coming
  return answers;
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
}

for (const [sender, send] of [
  ['ForwardedCommand', sendForwarded],
  ["a Call's direct attempt, taken over", (ctx: ForwardContext, ...words: string[]) => sendThroughCall(ctx, words, [])],
] as const) describe(`${sender} against scripted nodes`, () => {
  it('follows MOVED to the new owner, patches the slot map and asks for a refresh', async () => {
    const target = await node(() => Buffer.from('$3\r\nnew\r\n'));
    const source = await node(() => Buffer.from(`-MOVED 5 127.0.0.1:${target.port}\r\n`));
    const { ctx, moved, refreshes } = context(source);
    expect(await send(ctx, 'GET', 'k')).toEqual({ frame: '$3\r\nnew\r\n', isError: false });
    expect(moved).toEqual([[5, `127.0.0.1:${target.port}`]]);
    expect(refreshes).toContain('MOVED');
  });

  it('follows ASK with ASKING in the same write, and does not patch the slot map', async () => {
    const target = await node((args) => Buffer.from(args[0] === 'ASKING' ? '+OK\r\n' : '$8\r\nimported\r\n'));
    const source = await node(() => Buffer.from(`-ASK 5 127.0.0.1:${target.port}\r\n`));
    const { ctx, moved } = context(source);
    expect(await send(ctx, 'GET', 'k')).toEqual({ frame: '$8\r\nimported\r\n', isError: false });
    expect(target.received).toEqual([['ASKING'], ['GET', 'k']]);
    expect(moved).toEqual([]);
  });

  it('gives up after max-redirects with TRYAGAIN, never looping', async () => {
    let self = 0;
    const loop = await node(() => Buffer.from(`-MOVED 5 127.0.0.1:${self}\r\n`));
    self = loop.port;
    const { ctx } = context(loop);
    const reply = await send(ctx, 'GET', 'k');
    expect(reply.frame).toMatch(/^-TRYAGAIN slotgate gave up after too many MOVED\/ASK redirections/);
    expect(loop.received).toHaveLength(4); // the first try and three redirections
  });

  it('retries TRYAGAIN and CLUSTERDOWN until the node answers (nothing ran)', async () => {
    let calls = 0;
    const busy = await node(() => Buffer.from(++calls === 1 ? '-TRYAGAIN Multiple keys request during rehashing of slot\r\n' : calls === 2 ? '-CLUSTERDOWN The cluster is down\r\n' : '+OK\r\n'));
    const { ctx, refreshes } = context(busy);
    expect(await send(ctx, 'SET', 'k', 'v')).toEqual({ frame: '+OK\r\n', isError: false });
    expect(calls).toBe(3);
    expect(refreshes).toContain('CLUSTERDOWN');
  });

  it('answers with the last error once retries run past the command timeout', async () => {
    const down = await node(() => Buffer.from('-CLUSTERDOWN The cluster is down\r\n'));
    const { ctx } = context(down, 200);
    expect(await send(ctx, 'GET', 'k')).toEqual({ frame: '-CLUSTERDOWN The cluster is down\r\n', isError: true });
  });

  it('fails a command whose connection closed after it was sent, without sending it again', async () => {
    const closing = await node(() => CLOSE);
    const { ctx } = context(closing);
    const reply = await send(ctx, 'INCR', 'k');
    expect(reply.frame).toMatch(/^-ERR slotgate backend error: connection lost/);
    expect(closing.received).toEqual([['INCR', 'k']]);
  });

  it('fails the connection on a reply that is not RESP, with a clear error', async () => {
    const garbage = await node(() => Buffer.from('!not resp\r\n'));
    const { ctx } = context(garbage);
    const reply = await send(ctx, 'GET', 'k');
    expect(reply.isError).toBe(true);
    expect(reply.frame).toMatch(/^-ERR slotgate backend error: bad reply from backend/);
  });

  /** `words` sent as a replica read: to `replica` first, the master being `master`. */
  async function replicaRead(master: FakeNode, replica: FakeNode, words: string[]): Promise<string> {
    const { ctx } = context(master);
    const replicaPool = newPool();
    const readCtx: ForwardContext = { ...ctx, replicaReadConnection: () => replicaPool.connectionFor(`127.0.0.1:${replica.port}`, 0) };
    return new Promise<string>((resolve) => {
      new ForwardedCommand(readCtx, [encodeCommand(words)], false, { slot: 5, replicaRead: true }, null, {
        complete: (frame) => resolve(frame.toString('latin1')),
      }).start();
    });
  }

  it('sends a replica read again to the master, once, when the replica drops the connection after receiving it', async () => {
    const master = await node(() => Buffer.from('$6\r\nmaster\r\n'));
    const replica = await node(() => CLOSE);
    expect(await replicaRead(master, replica, ['GET', 'k'])).toBe('$6\r\nmaster\r\n');
    expect(replica.received).toEqual([['GET', 'k']]);
    expect(master.received).toEqual([['GET', 'k']]);
  });

  it('does not send a read again when the master drops it too: one retry, then the error', async () => {
    const master = await node(() => CLOSE);
    const replica = await node(() => CLOSE);
    expect(await replicaRead(master, replica, ['GET', 'k'])).toMatch(/^-ERR slotgate backend error: connection lost/);
    expect(master.received).toEqual([['GET', 'k']]);
  });

  it('answers a replica read from the master when the replica is still loading its data', async () => {
    const master = await node(() => Buffer.from('$6\r\nmaster\r\n'));
    const replica = await node(() => Buffer.from('-LOADING Redis is loading the dataset in memory\r\n'));
    const { ctx } = context(master);
    const replicaPool = newPool();
    const readCtx: ForwardContext = { ...ctx, replicaReadConnection: () => replicaPool.connectionFor(`127.0.0.1:${replica.port}`, 0) };
    const reply = await new Promise<string>((resolve) => {
      new ForwardedCommand(readCtx, [encodeCommand(['GET', 'k'])], false, { slot: 5, replicaRead: true }, null, {
        complete: (frame) => resolve(frame.toString('latin1')),
      }).start();
    });
    expect(reply).toBe('$6\r\nmaster\r\n');
    expect(replica.received).toEqual([['GET', 'k']]);
    expect(master.received).toEqual([['GET', 'k']]);
  });

  it('parks a command for a master in failover and sends it to the new master once confirmed', async () => {
    const oldMaster = await node(() => Buffer.from('+OK\r\n'));
    const newMaster = await node(() => Buffer.from('+OK\r\n'));
    const { ctx } = context(oldMaster);
    const topology = ctx.topology as unknown as { current: TopologySnapshot; hold: WriteHold };
    topology.hold.hold(`127.0.0.1:${oldMaster.port}`, 'sentinel +selected-slave');
    const replies = [send(ctx, 'SET', 'a', '1'), send(ctx, 'SET', 'b', '2')];
    await new Promise((r) => setTimeout(r, 20));
    expect(oldMaster.received).toEqual([]);
    topology.current = new TopologySnapshot([{ master: { id: 'e'.repeat(40), host: '127.0.0.1', port: newMaster.port, health: 'online' }, replicas: [], ranges: [[0, 16383]] }], 2);
    topology.hold.releaseAllBut(new Set([`127.0.0.1:${newMaster.port}`]));
    expect(await Promise.all(replies)).toEqual([{ frame: '+OK\r\n', isError: false }, { frame: '+OK\r\n', isError: false }]);
    expect(newMaster.received).toEqual([['SET', 'a', '1'], ['SET', 'b', '2']]);
    expect(oldMaster.received).toEqual([]);
  });

  it('times out a stalled node after command-timeout rather than waiting forever', async () => {
    const stalled = await node(() => null);
    const { ctx } = context(stalled, 150);
    const reply = await send(ctx, 'GET', 'k');
    expect(reply.frame).toMatch(/^-ERR slotgate backend error: backend timeout after 150 ms/);
  });
});
