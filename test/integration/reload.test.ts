// Reloading the configuration of a running slotgate (README: *Accounts, read/write splitting, disabled commands, reload*): the config file is edited and
// the reload triggered through POST /v1/reload on the admin port and through handle.reload(), the
// function SIGHUP calls. Sessions opened before a reload keep their account; the disable list
// applies at once; a config with errors is rejected as a whole. Every log line of the run is
// captured, and none may contain a secret.
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from 'ioredis';
import { connectClusterClient, sharedClusterSeeds } from '../helpers/cluster-fixture.js';
import { tempConfigFile, type TempConfigFile } from '../helpers/config-file.js';
import { converse, plain, type Command } from '../helpers/conversation.js';
import { RawClient, startProxy, type StartedProxy } from '../helpers/slotgate.js';
import { findFreePort } from '../../scripts/dev/redis-server.js';

const SECRETS = {
  oldDefault: 'Old#Default1',
  newDefault: 'New#Default2',
  alice: 'Alice#Pass1',
  bob: 'Bob#Pass1',
  carol: 'Carol#Pass1',
  dave: 'Dave#Pass1',
  wrongGuess: 'Guess#Wrong7',
  inBrokenYaml: 'Leaky#Secret9',
  badHash: '#NotAHash-Leaky8',
};
const sha256hex = (text: string) => createHash('sha256').update(text).digest('hex');

const FIRST_CONFIG = `
requirepass: "${SECRETS.oldDefault}"
disable-command-list: keys
accounts:
  - name: alice
    password: "${SECRETS.alice}"
    permission: read-write
  - name: bob
    password: "${SECRETS.bob}"
    permission: read-only
`;

// alice deleted, bob made read-write, carol added, new default password, another disabled command.
const SECOND_CONFIG = `
requirepass: "${SECRETS.newDefault}"
disable-command-list: [flushdb]
accounts:
  - name: bob
    password: "${SECRETS.bob}"
    permission: read-write
  - name: carol
    password: "#${sha256hex(SECRETS.carol)}"
    permission: read-only
`;

/** A signed-in connection that stays open across reloads. */
async function openSession(port: number, ...auth: string[]): Promise<RawClient & { ask(...args: string[]): Promise<unknown> }> {
  const c = await RawClient.connect(port);
  expect(plain(await c.call('AUTH', ...auth))).toBe('OK');
  return Object.assign(c, { ask: async (...args: string[]) => plain(await c.call(...args)) });
}

describe('configuration reload', () => {
  const logLines: string[] = [];
  const capture = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString());
      done();
    },
  });
  let config: TempConfigFile;
  let proxy: StartedProxy;
  let adminPort: number;
  let direct: Cluster;
  const run = Date.now().toString(36);
  const key = `{reload${run}}k`;
  const WRONG = 'WRONGPASS invalid username-password pair or user is disabled.';

  async function postReload(): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`http://127.0.0.1:${adminPort}/v1/reload`, { method: 'POST' });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  beforeAll(async () => {
    config = tempConfigFile(FIRST_CONFIG);
    adminPort = await findFreePort();
    proxy = await startProxy(sharedClusterSeeds(), ['--config', config.path, '--admin-port', String(adminPort), '--log-level', 'trace'], {
      logDestination: capture,
    });
    direct = connectClusterClient(sharedClusterSeeds());
    await direct.set(key, 'v');
  });
  afterAll(async () => {
    direct?.disconnect();
    await proxy?.close();
    config?.remove();
  });

  it('applies account changes to new connections only, and the disable list at once (POST /v1/reload)', async () => {
    const alice = await openSession(proxy.port, 'alice', SECRETS.alice);
    const bob = await openSession(proxy.port, `bob@${SECRETS.bob}`);
    const admin = await openSession(proxy.port, SECRETS.oldDefault);
    expect(await alice.ask('KEYS', `${key}*`)).toBe("ERR command 'keys' is disabled");
    expect(await bob.ask('SET', key, 'x')).toBe("NOPERM this user has no permissions to run the 'set' command");

    config.write(SECOND_CONFIG);
    expect(await postReload()).toEqual({ status: 200, body: { status: 'reloaded', restart_needed_for: [] } });

    // Open sessions keep their account: alice (now deleted) still writes, bob is still read-only.
    expect(await alice.ask('SET', key, 'from-alice')).toBe('OK');
    expect(await bob.ask('SET', key, 'x')).toBe("NOPERM this user has no permissions to run the 'set' command");
    expect(await admin.ask('GET', key)).toBe('from-alice');
    // The disable list changed for everyone at once.
    expect(await alice.ask('KEYS', `${key}*`)).toEqual([key]);
    expect(await admin.ask('FLUSHDB')).toBe("ERR command 'flushdb' is disabled");
    // New connections see the new accounts.
    expect(await converse(proxy.port, [['AUTH', 'alice', SECRETS.alice], ['AUTH', SECRETS.oldDefault], ['GET', key]])).toEqual([WRONG, WRONG, 'NOAUTH Authentication required.']);
    expect(await converse(proxy.port, [['AUTH', 'bob', SECRETS.bob], ['SET', key, 'from-bob']])).toEqual(['OK', 'OK']);
    expect(await converse(proxy.port, [['AUTH', `carol@${SECRETS.carol}`], ['GET', key], ['SET', key, 'x']])).toEqual([
      'OK', 'from-bob', "NOPERM this user has no permissions to run the 'set' command",
    ]);
    expect(await converse(proxy.port, [['AUTH', SECRETS.newDefault], ['GET', key]])).toEqual(['OK', 'from-bob']);
    for (const c of [alice, bob, admin]) c.close();
    const reloads = await proxy.handle.context.metrics.registry.getSingleMetricAsString('slotgate_config_reloads_total');
    expect(reloads).toMatch(/outcome="applied"} 1/);
  });

  it('rejects a config with any error as a whole and keeps the running one (POST and the SIGHUP function)', async () => {
    // A valid new account next to an invalid one: nothing of it may apply.
    config.write(`${SECOND_CONFIG}  - name: dave\n    password: "${SECRETS.dave}"\n    permission: read-write\n  - name: eve\n    password: "${SECRETS.dave}"\n    permission: root\n`);
    const posted = await postReload();
    expect(posted.status).toBe(400);
    expect(posted.body).toEqual({ error_code: 'InvalidConfig', error_msg: "option accounts[3] (eve): permission: 'root' is not one of read-only, read-write, admin" });
    const broken = [
      `requirepass: "${SECRETS.inBrokenYaml}\nreplica-read: no\n`, // unterminated quote: a YAML error at the password's line
      `requirepass: "${SECRETS.badHash}"\n`, // "#" but not a SHA-256
      `accounts:\n  - name: frank\n    password: "${SECRETS.dave}"\n    permission: read-only\n    read-policy: replica\n`, // replica without replica-read
      'disable-command-list: "keys,flushal"\n', // a typo must not leave flushall enabled
      'unknown-option: 1\n',
    ];
    const errors: string[] = [];
    for (const text of broken) {
      config.write(text);
      const outcome = proxy.handle.reload(); // what SIGHUP runs
      expect(outcome.ok, text).toBe(false);
      if (!outcome.ok) errors.push(outcome.error);
    }
    expect(errors).toEqual([
      expect.stringMatching(/is not valid YAML: Missing closing "quote at line \d+, column \d+$/),
      'option requirepass: starts with "#" but is not "#" followed by 64 hex digits (a SHA-256)',
      'option accounts[0] (frank): read-policy replica needs replica-read on',
      "option disable-command-list: 'flushal' is not a Redis command (sub-commands are written container|sub, e.g. config|set)",
      expect.stringMatching(/unknown option 'unknown-option'/),
    ]);
    // The running configuration is still the second one.
    expect(await converse(proxy.port, [['AUTH', 'dave', SECRETS.dave], ['AUTH', SECRETS.newDefault], ['FLUSHDB'], ['GET', key]])).toEqual([
      WRONG, 'OK', "ERR command 'flushdb' is disabled", 'from-bob',
    ]);
    const reloads = await proxy.handle.context.metrics.registry.getSingleMetricAsString('slotgate_config_reloads_total');
    expect(reloads).toMatch(/outcome="rejected"} 6/);
    const rejections = logLines.filter((line) => line.includes('configuration reload rejected'));
    expect(rejections).toHaveLength(6);
    expect(JSON.parse(rejections[0]!)).toMatchObject({ level: 'error', error: posted.body.error_msg });
    // And a good file applies again through the same function.
    config.write(FIRST_CONFIG);
    expect(proxy.handle.reload()).toEqual({ ok: true, restartNeededFor: [] });
    expect(await converse(proxy.port, [['AUTH', 'alice', SECRETS.alice]])).toEqual(['OK']);
  });

  it('never writes a secret to the logs or the metrics, whatever clients send', async () => {
    const attempts: Command[] = [
      ['AUTH', SECRETS.wrongGuess], ['AUTH', 'alice', SECRETS.wrongGuess], ['AUTH', `alice@${SECRETS.wrongGuess}`],
      ['HELLO', '2', 'AUTH', 'bob', SECRETS.wrongGuess], ['AUTH', `ghost@${SECRETS.wrongGuess}`],
      ['AUTH', 'alice', SECRETS.alice], ['HELLO', '2', 'AUTH', 'default', SECRETS.oldDefault, 'SETNAME', 'logtest'], ['AUTH', `bob@${SECRETS.bob}`],
    ];
    expect((await converse(proxy.port, attempts)).filter((r) => r === WRONG)).toHaveLength(5);
    // A protocol error before sign-in (a 20 KB "password"), and an inline AUTH.
    const c = await RawClient.connect(proxy.port);
    c.write(`*2\r\n$4\r\nAUTH\r\n$20000\r\n${SECRETS.wrongGuess}`);
    expect(plain(await c.next())).toBe('ERR Protocol error: unauthenticated bulk length');
    c.close();
    expect(await converse(proxy.port, [['PING']])).toEqual(['PONG']);
    const inline = await RawClient.connect(proxy.port);
    inline.write(`AUTH ${SECRETS.wrongGuess}\r\n`);
    expect(plain(await inline.next())).toBe(WRONG);
    inline.close();

    await new Promise((resolve) => setTimeout(resolve, 200)); // let the logger flush
    const logs = logLines.join('');
    expect(logs).toContain('configuration reloaded'); // the capture works
    expect(logs).toContain('protocol error from client');
    const metrics = await proxy.handle.context.metrics.registry.metrics();
    for (const secret of Object.values(SECRETS)) {
      for (const form of [secret, sha256hex(secret), secret.slice(1)]) {
        expect(logs.includes(form), `log contains ${form}`).toBe(false);
        expect(metrics.includes(form), `metrics contain ${form}`).toBe(false);
      }
    }
  });
});
