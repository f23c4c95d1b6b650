// The peer bus out of the user's keyspace and behind a trust boundary (issue 18): two in-process
// instances on a cluster of this file's own. Nothing of slotgate is a key; every client command
// naming slotgate's channels or keys is refused, for every account; a peer that does not answer
// is waited for once; with peer-secret, messages forged, altered or replayed directly on the
// cluster are dropped and counted.
import { createHmac } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { backendNodes, type BackendNodes } from '../helpers/backend-nodes.js';
import { useDedicatedCluster } from '../helpers/cluster-fixture.js';
import { tempConfigFile, type TempConfigFile } from '../helpers/config-file.js';
import { RawClient, startProxy, type StartedProxy } from '../helpers/slotgate.js';
import { waitUntil } from '../helpers/wait-until.js';

const PASSWORDS = { reader: 'Reader#Bus1', app: 'App#Bus1', operator: 'Operator#Bus1' } as const;
const ACCOUNTS = `accounts:
  - name: reader
    password: "${PASSWORDS.reader}"
    permission: read-only
  - name: app
    password: "${PASSWORDS.app}"
    permission: read-write
  - name: operator
    password: "${PASSWORDS.operator}"
    permission: admin
`;
const SECRET = 'Peer#Bus-Secret-1';
const REQUESTS = '{slotgate}:bus:requests';
const FORGED_KILL = JSON.stringify({ kind: 'request', id: 1, from: 'evil', body: { op: 'kill', filter: {} } });
const FORGED_LIST = JSON.stringify({ kind: 'request', id: 2, from: 'evil', body: { op: 'list', filter: {} } });
const RESERVED = /^ERR '\{slot[^']*' is reserved: keys, channels and patterns starting with \{slotgate\}: belong to slotgate/;

type Account = keyof typeof PASSWORDS;

async function signedIn(port: number, account: Account, name?: string): Promise<RawClient> {
  const client = await RawClient.connect(port);
  expect(await client.call('AUTH', account, PASSWORDS[account])).toBe('OK');
  if (name) expect(await client.call('CLIENT', 'SETNAME', name)).toBe('OK');
  return client;
}

function message(value: unknown): string {
  return value instanceof Error ? value.message : String((value as { message?: string })?.message ?? value);
}

async function namesListed(client: RawClient): Promise<string[]> {
  const text = String(await client.call('CLIENT', 'LIST'));
  return text.split('\n').filter(Boolean).map((line) => /(?:^| )name=(\S*)/.exec(line)?.[1] ?? '');
}

/** Log lines of one in-process instance, parsed. */
function logCapture(): { stream: Writable; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { stream, lines };
}

/** Instances A and B in front of the cluster, with this config file; A's log goes to `logOfA` (warnings up). */
function useTwoInstances(seeds: () => string[], yaml: string, logOfA?: Writable): { a: () => StartedProxy; b: () => StartedProxy } {
  let config: TempConfigFile;
  let a: StartedProxy;
  let b: StartedProxy;
  beforeAll(async () => {
    config = tempConfigFile(yaml);
    a = await startProxy(seeds(), ['--config', config.path, ...(logOfA ? ['--log-level', 'warn'] : [])], { logDestination: logOfA });
    b = await startProxy(seeds(), ['--config', config.path]);
  }, 30_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    config?.remove();
  });
  return { a: () => a, b: () => b };
}

describe('the peer bus', () => {
  const cluster = useDedicatedCluster({ masters: 3, replicasPerMaster: 0 });
  let nodes: BackendNodes;
  let busMaster: Redis;
  const raw: RawClient[] = [];
  const keep = (client: RawClient): RawClient => (raw.push(client), client);

  beforeAll(async () => {
    nodes = await backendNodes(cluster().seeds);
    busMaster = (await nodes.masterOf('{slotgate}')).client;
  });
  afterAll(() => {
    for (const client of raw) client.close();
    nodes?.close();
  });

  describe('without peer-secret', () => {
    const logOfA = logCapture();
    const instances = useTwoInstances(() => cluster().seeds, ACCOUNTS, logOfA.stream);

    it('keeps nothing in the user\'s keyspace: DBSIZE 0 and KEYS * empty with two instances, before and after FLUSHALL', async () => {
      const operator = keep(await signedIn(instances.a().port, 'operator', 'lister'));
      keep(await signedIn(instances.b().port, 'reader', 'on-b'));
      // The bus works: A lists B's session.
      expect(await namesListed(operator)).toContain('on-b');
      expect(await operator.call('DBSIZE')).toBe(0);
      expect(await operator.call('KEYS', '*')).toEqual([]);
      expect(await operator.call('RANDOMKEY')).toBe(null);
      expect(await operator.call('FLUSHALL')).toBe('OK');
      expect(await namesListed(operator)).toContain('on-b');
      expect(await operator.call('DBSIZE')).toBe(0);
      expect(await operator.call('KEYS', '*')).toEqual([]);
      // Not hidden either: the nodes themselves hold no key.
      for (const master of nodes.masters) expect(await master.client.dbsize()).toBe(0);
    });

    it('refuses every command naming a slotgate channel or key, for every account, and a forged kill kills nothing', async () => {
      const victim = keep(await signedIn(instances.b().port, 'operator', 'victim'));
      const commands: [Account[], string[]][] = [
        [['reader', 'app', 'operator'], ['SPUBLISH', REQUESTS, FORGED_KILL]],
        [['reader', 'app', 'operator'], ['PUBLISH', REQUESTS, FORGED_KILL]],
        [['reader', 'app', 'operator'], ['SPUBLISH', REQUESTS, FORGED_LIST]],
        [['reader', 'app', 'operator'], ['PUBSUB', 'SHARDNUMSUB', REQUESTS]],
        [['reader', 'app', 'operator'], ['GET', '{slotgate}:instances']],
        [['reader', 'app', 'operator'], ['TYPE', '{slotgate}:instance-seq']],
        [['reader', 'app', 'operator'], ['DUMP', '{slotgate}:instances']],
        [['reader', 'app', 'operator'], ['OBJECT', 'ENCODING', '{slotgate}:instances']],
        [['app', 'operator'], ['SET', '{slotgate}:instance-seq', '0']],
        [['app', 'operator'], ['DEL', 'x{slotgate}', '{slotgate}:instances']],
        [['app', 'operator'], ['MIGRATE', '127.0.0.1', '1', '', '0', '100', 'KEYS', '{slotgate}:instances']],
      ];
      for (const [accounts, command] of commands) {
        for (const account of accounts) {
          const client = keep(await signedIn(instances.a().port, account));
          expect(message(await client.call(...command)), `${account}: ${command.join(' ')}`).toMatch(RESERVED);
        }
      }
      // Subscriptions, each on a connection of its own (a refused one leaves it unsubscribed).
      const subscriptions = [['SSUBSCRIBE', '{slotgate}:bus:replies:evil'], ['SUBSCRIBE', REQUESTS], ['PSUBSCRIBE', '{slotgate}:*'], ['PSUBSCRIBE', '{slot*'], ['PSUBSCRIBE', '{slotgate}:bus:re?uests']];
      for (const account of ['reader', 'app', 'operator'] as const) {
        for (const command of subscriptions) {
          const client = keep(await signedIn(instances.a().port, account));
          expect(message(await client.call(...command)), `${account}: ${command.join(' ')}`).toMatch(RESERVED);
        }
      }
      // Inside MULTI the refusal aborts the transaction, as any refused command does.
      const app = keep(await signedIn(instances.a().port, 'app'));
      expect(await app.call('MULTI')).toBe('OK');
      expect(message(await app.call('SPUBLISH', REQUESTS, FORGED_KILL))).toMatch(RESERVED);
      expect(message(await app.call('EXEC'))).toMatch(/^EXECABORT/);
      // The victim lives, and the bus still answers.
      expect(await victim.call('PING')).toBe('PONG');
      const operator = keep(await signedIn(instances.a().port, 'operator'));
      expect(await namesListed(operator)).toContain('victim');
    });

    it('leaves what is not slotgate\'s alone, and lists none of slotgate\'s channels', async () => {
      const app = keep(await signedIn(instances.a().port, 'app'));
      expect(await app.call('SET', '{user}:value', '{slotgate}:bus:requests')).toBe('OK'); // a value, not a name
      expect(String(await app.call('GET', '{user}:value'))).toBe('{slotgate}:bus:requests');
      expect(await app.call('DEL', '{user}:value')).toBe(1);
      expect(await app.call('PUBSUB', 'SHARDCHANNELS')).toEqual([]);
      expect(await app.call('PUBSUB', 'SHARDCHANNELS', '{slotgate}*')).toEqual([]);
      // The nodes do hold the bus's subscriptions (presence): slotgate hides them.
      expect((await busMaster.call('PUBSUB', 'SHARDCHANNELS', '{slotgate}*')) as string[]).toContain(REQUESTS);
      // Broad patterns are not aimed at slotgate's names (and could not hear its shard channels).
      const subscriber = keep(await signedIn(instances.a().port, 'reader'));
      expect(((await subscriber.call('PSUBSCRIBE', '*')) as unknown[]).map(String)).toEqual(['psubscribe', '*', '1']);
    });

    it('waits for a peer that does not answer once, then not until it shows life', async () => {
      const fake = new Redis({ host: busMaster.options.host, port: busMaster.options.port, maxRetriesPerRequest: 1 });
      try {
        await fake.ssubscribe('{slotgate}:bus:replies:10.9.9.9:1/77');
        const operator = keep(await signedIn(instances.a().port, 'operator'));
        const missed = (): number => logOfA.lines.filter((line) => JSON.stringify(line.missing ?? []).includes('10.9.9.9:1/77')).length;
        await namesListed(operator);
        expect(missed()).toBe(1);
        await namesListed(operator);
        await namesListed(operator);
        expect(missed()).toBe(1);
        // It shows life (a message from it): it is waited for again.
        const shower = new Redis({ host: busMaster.options.host, port: busMaster.options.port, maxRetriesPerRequest: 1 });
        try {
          const life = JSON.stringify({ kind: 'reply', id: 0, from: '10.9.9.9:1/77', body: null });
          await shower.call('SPUBLISH', `{slotgate}:bus:replies:${instances.a().handle.context.proxyId}`, life);
        } finally {
          shower.disconnect();
        }
        await namesListed(operator);
        expect(missed()).toBe(2);
      } finally {
        fake.disconnect();
      }
    });
  });

  describe('with peer-secret', () => {
    const instances = useTwoInstances(() => cluster().seeds, `${ACCOUNTS}peer-secret: "${SECRET}"\n`);
    const dropped = async (proxy: StartedProxy, reason: string): Promise<number> =>
      (await proxy.handle.context.metrics.peerBusMessagesDropped.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;
    const seal = (secret: string, channel: string, t: number, m: string): string =>
      JSON.stringify({ t, m, h: createHmac('sha256', secret).update(`${channel}\n${t}\n${m}`).digest('hex') });


    it('drops and counts messages forged, altered or replayed directly on the cluster; genuine ones work', async () => {
      const victim = keep(await signedIn(instances.b().port, 'reader', 'sealed-victim'));
      const operator = keep(await signedIn(instances.a().port, 'operator'));
      const direct = new Redis({ host: busMaster.options.host, port: busMaster.options.port, maxRetriesPerRequest: 1 });
      const tap = new Redis({ host: busMaster.options.host, port: busMaster.options.port, maxRetriesPerRequest: 1 });
      try {
        // A genuine request, heard on the cluster: the listing works across instances.
        const heard: string[] = [];
        tap.on('smessage', (_channel: string, payload: string) => heard.push(payload));
        await tap.ssubscribe(REQUESTS);
        expect(await namesListed(operator)).toContain('sealed-victim');
        await waitUntil(() => heard.length > 0, 5000, 'the tap to hear the request');
        const genuine = JSON.parse(heard[0]!) as { t: number; m: string; h: string };

        const cases: [string, string][] = [
          ['unsigned', FORGED_KILL],
          ['bad_signature', seal('not-the-secret', REQUESTS, Date.now(), FORGED_KILL)],
          ['bad_signature', JSON.stringify({ ...genuine, m: FORGED_KILL })], // altered: a kill under a list's MAC
          ['stale', seal(SECRET, REQUESTS, Date.now() - 120_000, FORGED_KILL)],
          ['replayed', heard[0]!],
          ['malformed', 'not json'],
        ];
        for (const [reason, payload] of cases) {
          const before = await dropped(instances.b(), reason);
          expect(await direct.call('SPUBLISH', REQUESTS, payload)).toBeGreaterThan(0);
          await waitUntil(async () => (await dropped(instances.b(), reason)) > before, 5000, `B to drop a ${reason} message`);
        }
        // Nothing was killed; the bus still answers.
        expect(await victim.call('PING')).toBe('PONG');
        expect(await namesListed(operator)).toContain('sealed-victim');
        // A kill across instances, sealed, works.
        const victimId = String(await victim.call('CLIENT', 'ID'));
        expect(await operator.call('CLIENT', 'KILL', 'ID', victimId)).toBe(1);
        expect(await victim.closedWithin(5000)).toBe(true);
      } finally {
        direct.disconnect();
        tap.disconnect();
      }
    });
  });
});
