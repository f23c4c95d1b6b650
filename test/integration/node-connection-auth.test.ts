// AUTH on every backend socket, against a real redis-server with requirepass: requests queued
// before the node accepted the credentials are written only after its +OK, and when it refuses
// them they fail unsent. The node's own statistics (INFO commandstats/errorstats) are the oracle:
// a request sent unauthenticated would show up there as a NOAUTH error.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { BackendSecurityState } from '../../src/backend/backend-security.js';
import { NodeConnection, type NodeConnectionOptions } from '../../src/backend/node-connection.js';
import type { BackendFailure } from '../../src/backend/backend-request.js';
import { encodeCommand } from '../../src/protocol/encoder.js';
import { startStandaloneRedis, type StandaloneRedis } from '../../scripts/dev/redis-server.js';

const PASSWORD = 'Node#Secret1';
const WRONG = 'Wrong#Secret2';

type Outcome = { reply: string } | { failure: BackendFailure };

function request(conn: NodeConnection, ...args: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    const payload = encodeCommand(args);
    conn.send({
      payload,
      payloadStart: 0,
      payloadEnd: payload.length,
      replyCount: 1,
      onReply: (frame) => resolve({ reply: frame.toString('utf8').trimEnd() }),
      onFailure: (failure) => resolve({ failure }),
    });
  });
}

function connection(port: number, security: BackendSecurityState, extra: Partial<NodeConnectionOptions> = {}): NodeConnection {
  return new NodeConnection('127.0.0.1', port, { connectTimeoutMs: 2000, commandTimeoutMs: 5000, security, ...extra });
}

const auth = (password: string, user: string | null = null) => new BackendSecurityState({ backendAuth: { user, password }, backendTls: null });

describe('NodeConnection with backend credentials', () => {
  let server: StandaloneRedis;
  let port: number;
  let admin: Redis;

  beforeAll(async () => {
    // Started by the harness, which returns once the server has accepted the password (PING).
    server = await startStandaloneRedis({ access: { auth: { password: PASSWORD } } });
    port = server.port;
    admin = new Redis({ port, password: PASSWORD, lazyConnect: true });
    await admin.connect();
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.stop();
  });
  beforeEach(async () => {
    await admin.config('SET', 'requirepass', PASSWORD);
    await admin.config('RESETSTAT');
  });

  const errorstats = async () => String(await admin.info('errorstats'));
  const commandstats = async () => String(await admin.info('commandstats'));

  it('sends requests queued before the AUTH reply once the node has accepted it', async () => {
    const conn = connection(port, auth(PASSWORD));
    const outcomes = await Promise.all([request(conn, 'SET', 'auth-unit:k', 'v'), request(conn, 'GET', 'auth-unit:k'), request(conn, 'PING')]);
    expect(outcomes).toEqual([{ reply: '+OK' }, { reply: '$1\r\nv' }, { reply: '+PONG' }]);
    expect(await errorstats()).not.toMatch(/NOAUTH|WRONGPASS/);
    conn.close();
  });

  it('fails queued requests unsent, with the node\'s reason and no secret, when the node refuses the credentials', async () => {
    const conn = connection(port, auth(WRONG));
    const broken: BackendFailure[] = [];
    const withHook = connection(port, auth(WRONG), { onBroken: (_address, failure) => broken.push(failure) });
    const outcomes = await Promise.all([request(conn, 'SET', 'auth-unit:k2', 'v'), request(conn, 'GET', 'auth-unit:k2'), request(withHook, 'PING')]);
    for (const outcome of outcomes) {
      expect(outcome).toHaveProperty('failure');
      const failure = (outcome as { failure: BackendFailure }).failure;
      expect(failure).toMatchObject({ kind: 'auth', neverSent: true });
      expect(failure.message).toMatch(/rejected slotgate's credentials \(WRONGPASS/);
      expect(failure.message).not.toContain(WRONG);
    }
    expect(broken).toHaveLength(1);
    // The node saw two refused AUTHs and nothing else: no command reached it unauthenticated.
    const errors = await errorstats();
    expect(errors).toMatch(/errorstat_WRONGPASS:count=2/);
    expect(errors).not.toMatch(/NOAUTH/);
    expect(await commandstats()).not.toMatch(/cmdstat_(set|get|ping):/);
    expect(await admin.exists('auth-unit:k2')).toBe(0);
    conn.close();
    withHook.close();
  });

  it('authenticates again on every reconnect, before the handshake and the requests', async () => {
    const conn = connection(port, auth(PASSWORD), { handshake: [encodeCommand(['CLIENT', 'SETNAME', 'slotgate-auth-unit'])] });
    expect(await request(conn, 'CLIENT', 'GETNAME')).toEqual({ reply: '$18\r\nslotgate-auth-unit' });
    await admin.client('KILL', 'SKIPME', 'yes');
    // The killed socket fails whatever is queued on it; the next request reconnects.
    for (let attempt = 0; attempt < 50; attempt++) {
      const outcome = await request(conn, 'CLIENT', 'GETNAME');
      if ('reply' in outcome) {
        expect(outcome).toEqual({ reply: '$18\r\nslotgate-auth-unit' });
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await errorstats()).not.toMatch(/NOAUTH|WRONGPASS/);
    conn.close();
  });

  it('uses a new password for connections opened after an update, and open ones stay signed in', async () => {
    const security = auth(PASSWORD);
    const open = connection(port, security);
    expect(await request(open, 'PING')).toEqual({ reply: '+PONG' });
    await admin.config('SET', 'requirepass', 'Rotated#3');
    const beforeUpdate = connection(port, security);
    expect(await request(beforeUpdate, 'PING')).toMatchObject({ failure: { kind: 'auth' } });
    security.prepareUpdate({ backendAuth: { user: null, password: 'Rotated#3' }, backendTls: null })();
    const afterUpdate = connection(port, security);
    expect(await request(afterUpdate, 'PING')).toEqual({ reply: '+PONG' });
    expect(await request(open, 'PING')).toEqual({ reply: '+PONG' });
    for (const c of [open, beforeUpdate, afterUpdate]) c.close();
  });
});
