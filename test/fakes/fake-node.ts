// A programmable fake Redis Cluster node, for tests of the logic that handles what a node might
// answer (garbage, unexpected types, stalls). Never a stand-in for Redis in behaviour tests.
//
// It owns every slot, answers the commands slotgate needs to start (CLUSTER SHARDS, INFO), refuses
// the peer bus's (commands naming its {slotgate} channels; slotgate then runs alone), and
// hands every other request to `answer`, which returns the reply bytes, or null to hold the
// request back until `release()` (so a test can line several clients' requests up on one
// backend connection and answer them together, in order).
import { asRequest } from '../helpers/as-request.js';
import net from 'node:net';
import { afterEach } from 'vitest';
import { NodePool } from '../../src/backend/node-pool.js';
import type { AddressInfo } from 'node:net';
import { encodeBulk } from '../../src/protocol/encoder.js';
import { RequestDecoder } from '../../src/protocol/request-decoder.js';

/** Reply bytes; null to hold the request back until release(); CLOSE to drop the connection. */
export type FakeAnswer = (args: string[]) => Buffer | null | typeof CLOSE;

/** What `answer` returns to make the node close the connection instead of answering. */
export const CLOSE = Symbol('close');

export interface FakeNode {
  readonly port: number;
  readonly seed: string;
  /** Requests (other than the start-up ones) seen so far, in arrival order. */
  readonly received: string[][];
  /** Answers every held request in order (`answer` is asked again for each) and stops holding. */
  release(): void;
  close(): Promise<void>;
}

const NODE_ID = 'f'.repeat(40);

function encodeArray(items: Buffer[]): Buffer {
  return Buffer.concat([Buffer.from(`*${items.length}\r\n`), ...items]);
}

function clusterShards(port: number): Buffer {
  const node = encodeArray([
    ...['id', NODE_ID, 'port'].map((s) => encodeBulk(s)),
    Buffer.from(`:${port}\r\n`),
    ...['ip', '127.0.0.1', 'endpoint', '127.0.0.1', 'role', 'master', 'replication-offset'].map((s) => encodeBulk(s)),
    Buffer.from(':0\r\n'),
    ...['health', 'online'].map((s) => encodeBulk(s)),
  ]);
  const shard = encodeArray([encodeBulk('slots'), encodeArray([Buffer.from(':0\r\n'), Buffer.from(':16383\r\n')]), encodeBulk('nodes'), encodeArray([node])]);
  return encodeArray([shard]);
}

export async function startFakeNode(answer: FakeAnswer): Promise<FakeNode> {
  const received: string[][] = [];
  const held: { socket: net.Socket; args: string[] }[] = [];
  let holding = true;
  const sockets = new Set<net.Socket>();
  let port = 0;

  /** The reply to a request; null when the test's `answer` holds it back. */
  const replyTo = (args: string[]): Buffer | null | typeof CLOSE => {
    const name = args[0]!.toLowerCase();
    if (name === 'cluster' && args[1]?.toLowerCase() === 'shards') return clusterShards(port);
    if (name === 'info') return encodeBulk('# Server\r\nredis_version:7.0.15\r\n');
    if (name === 'readonly' || name === 'asking') return Buffer.from('+OK\r\n');
    // slotgate reads the command table at start and checks COMMAND COUNT on refreshes: a node
    // without COMMAND (renamed away) leaves it on its generated table, which the tests expect.
    if (name === 'command') return Buffer.from("-ERR unknown command 'COMMAND'\r\n");
    if (isPeerBus(args)) return Buffer.from('-ERR the fake node has no peer bus\r\n');
    return answer(args);
  };
  const isPeerBus = (args: string[]): boolean => args.slice(1).some((arg) => arg.startsWith('{slotgate}'));
  const isStartup = (args: string[]): boolean => ['cluster', 'info', 'command'].includes(args[0]!.toLowerCase()) || isPeerBus(args);

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const decoder = new RequestDecoder(asRequest((req) => {
      const args = req.args.map((a) => a.toString('latin1'));
      if (!isStartup(args)) received.push(args);
      // Once something is held, everything after it waits too, so replies keep their order.
      const bytes = held.length > 0 ? null : replyTo(args);
      if (bytes === CLOSE) socket.destroy();
      else if (bytes === null && holding) held.push({ socket, args });
      else socket.write(bytes ?? NO_ANSWER);
    }));
    socket.on('data', (chunk: Buffer) => decoder.write(chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;

  return {
    port,
    seed: `127.0.0.1:${port}`,
    received,
    release() {
      holding = false;
      for (const { socket, args } of held.splice(0)) {
        const bytes = replyTo(args);
        if (bytes === CLOSE) socket.destroy();
        else socket.write(bytes ?? NO_ANSWER);
      }
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const NO_ANSWER = Buffer.from('-ERR the fake node has no answer for this\r\n');

/**
 * For a test file: `node(answer)` starts a fake node and `pool(commandTimeoutMs)` makes a NodePool
 * (one connection per node); both are closed after each test.
 */
export function useFakeNodes(): { node(answer: FakeAnswer): Promise<FakeNode>; pool(commandTimeoutMs?: number): NodePool } {
  const nodes: FakeNode[] = [];
  const pools: NodePool[] = [];
  afterEach(async () => {
    for (const pool of pools.splice(0)) pool.close();
    for (const node of nodes.splice(0)) await node.close();
  });
  return {
    async node(answer) {
      const started = await startFakeNode(answer);
      nodes.push(started);
      return started;
    },
    pool(commandTimeoutMs = 2000) {
      const pool = new NodePool({ connectionsPerNode: 1, connectTimeoutMs: 500, commandTimeoutMs });
      pools.push(pool);
      return pool;
    },
  };
}
