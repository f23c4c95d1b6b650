// TLS (issue #11), with certificates made by openssl at test time: clients on slotgate's tls-port
// (client certificates required, optional or refused, as tls-auth-clients says), certificate
// reload on SIGHUP/POST /v1/reload, and a TLS-only Redis Cluster (port 0, tls-cluster,
// tls-replication) behind slotgate with backend-tls. Redis answers through slotgate are compared
// with what the nodes themselves say.
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis, type Cluster } from 'ioredis';
import { connectClusterClient, sharedClusterSeeds } from '../helpers/cluster-fixture.js';
import { tempConfigFile, type TempConfigFile } from '../helpers/config-file.js';
import { startProxy, type StartedProxy } from '../helpers/slotgate.js';
import { makeTestPki, type CertPair, type TestPki } from '../helpers/tls-certs.js';
import { startLocalCluster, type LocalCluster } from '../../scripts/dev/local-cluster.js';
import { findFreePort } from '../../scripts/dev/redis-server.js';

const run = Date.now().toString(36);

/** ioredis TLS options from PEM files. */
function tlsOptions(ca: string, pair?: CertPair): tls.ConnectionOptions {
  return { ca: readFileSync(ca), ...(pair ? { cert: readFileSync(pair.certFile), key: readFileSync(pair.keyFile) } : {}) };
}

/** A TLS client of slotgate that fails fast instead of retrying. */
function tlsClient(port: number, options: tls.ConnectionOptions): Redis {
  const client = new Redis({ host: '127.0.0.1', port, tls: options, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  client.on('error', () => undefined);
  return client;
}

/** PING over a fresh TLS connection; the error message when the server refuses it. */
async function pingOverTls(port: number, options: tls.ConnectionOptions): Promise<string> {
  const client = tlsClient(port, options);
  try {
    await client.connect();
    return await client.ping();
  } catch (err) {
    return `refused: ${(err as Error).message}`;
  } finally {
    client.disconnect();
  }
}

/** The common name on the certificate a new TLS connection to `port` is shown. */
function servedCertificateName(port: number, ca: string, pair: CertPair): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ...tlsOptions(ca, pair) }, () => {
      const name = socket.getPeerCertificate().subject.CN;
      socket.end();
      resolve(String(name));
    });
    socket.once('error', reject);
  });
}

describe('clients over TLS', () => {
  let pki: TestPki;
  let stranger: TestPki; // a CA slotgate does not trust
  let config: TempConfigFile;
  let proxy: StartedProxy;
  let tlsPort: number;
  let direct: Cluster;
  let serverOne: CertPair;
  let serverTwo: CertPair;
  let client: CertPair;

  const configText = (server: CertPair, authClients = 'yes') =>
    `tls-cert-file: ${server.certFile}\ntls-key-file: ${server.keyFile}\ntls-ca-cert-file: ${pki.caCertFile}\ntls-auth-clients: ${authClients}\n`;

  beforeAll(async () => {
    pki = makeTestPki();
    stranger = makeTestPki();
    serverOne = pki.serverCert('slotgate-one');
    serverTwo = pki.serverCert('slotgate-two');
    client = pki.clientCert('app');
    config = tempConfigFile(configText(serverOne));
    tlsPort = await findFreePort();
    // port 0 next to tls-port: no plain listener, as in Redis.
    proxy = await startProxy(sharedClusterSeeds(), ['--config', config.path, '--tls-port', String(tlsPort)]);
    direct = connectClusterClient(sharedClusterSeeds());
  });
  afterAll(async () => {
    direct?.disconnect();
    await proxy?.close();
    config?.remove();
    pki?.remove();
    stranger?.remove();
  });

  it('serves a client with a certificate on tls-port, and has no plain listener', async () => {
    expect(proxy.handle.port).toBe(0);
    expect(proxy.handle.tlsPort).toBe(tlsPort);
    const c = tlsClient(tlsPort, tlsOptions(pki.caCertFile, client));
    await c.connect();
    const key = `{tls${run}}k`;
    expect(await c.set(key, 'over-tls')).toBe('OK');
    expect(await c.mget(key, `{tls${run}}other`)).toEqual(['over-tls', null]);
    expect(await c.blpop(`{tls${run}}nothing`, 0.1)).toBeNull();
    c.disconnect();
    expect(await direct.get(key)).toBe('over-tls');
  });

  it('refuses clients without a certificate, or with one from another CA (tls-auth-clients yes), and counts them', async () => {
    expect(await pingOverTls(tlsPort, tlsOptions(pki.caCertFile))).toMatch(/^refused/);
    expect(await pingOverTls(tlsPort, tlsOptions(pki.caCertFile, stranger.clientCert('intruder')))).toMatch(/^refused/);
    const failures = await proxy.handle.context.metrics.registry.getSingleMetricAsString('slotgate_client_tls_handshake_failures_total');
    expect(failures).toMatch(/slotgate_client_tls_handshake_failures_total 2/);
    expect(await pingOverTls(tlsPort, tlsOptions(pki.caCertFile, client))).toBe('PONG');
  });

  it('shows new connections the new certificate after a reload; open connections carry on', async () => {
    const open = tlsClient(tlsPort, tlsOptions(pki.caCertFile, client));
    await open.connect();
    expect(await servedCertificateName(tlsPort, pki.caCertFile, client)).toBe('slotgate-one');
    config.write(configText(serverTwo));
    expect(proxy.handle.reload()).toEqual({ ok: true, restartNeededFor: [] });
    expect(await servedCertificateName(tlsPort, pki.caCertFile, client)).toBe('slotgate-two');
    expect(await open.ping()).toBe('PONG');
    open.disconnect();
  });

  it('rejects a reload whose certificate cannot be read, and keeps serving the current one', async () => {
    config.write(configText({ certFile: `${pki.dir}/missing.crt`, keyFile: serverOne.keyFile }));
    const outcome = proxy.handle.reload();
    expect(outcome).toEqual({ ok: false, error: `option tls-cert-file: cannot read ${pki.dir}/missing.crt (ENOENT)` });
    // A key that does not belong to the certificate: OpenSSL's complaint, no key material.
    config.write(configText({ certFile: serverOne.certFile, keyFile: serverTwo.keyFile }));
    const mismatch = proxy.handle.reload();
    expect(mismatch.ok).toBe(false);
    expect(JSON.stringify(mismatch)).not.toContain('PRIVATE KEY');
    expect(await servedCertificateName(tlsPort, pki.caCertFile, client)).toBe('slotgate-two');
  });

  it('tls-auth-clients optional takes clients with or without a certificate, next to a plain port', async () => {
    const optional = tempConfigFile(configText(serverOne, 'optional'));
    const plainPort = await findFreePort();
    const port = await findFreePort();
    const both = await startProxy(sharedClusterSeeds(), ['--config', optional.path, '--port', String(plainPort), '--tls-port', String(port)]);
    try {
      expect(await pingOverTls(port, tlsOptions(pki.caCertFile))).toBe('PONG');
      expect(await pingOverTls(port, tlsOptions(pki.caCertFile, client))).toBe('PONG');
      // A certificate that is sent is still checked.
      expect(await pingOverTls(port, tlsOptions(pki.caCertFile, stranger.clientCert('intruder')))).toMatch(/^refused/);
      expect(both.handle.port).toBe(plainPort);
      expect(await both.client().ping()).toBe('PONG');
    } finally {
      await both.close();
      optional.remove();
    }
  });
});

describe('a TLS-only cluster behind backend-tls', () => {
  let pki: TestPki;
  let cluster: LocalCluster;
  let proxy: StartedProxy;
  let args: string[];
  const nodes: Redis[] = [];

  beforeAll(async () => {
    pki = makeTestPki();
    const node = pki.serverCert('redis-node');
    cluster = await startLocalCluster({ masters: 3, replicasPerMaster: 1, tls: { caCertFile: pki.caCertFile, ...node } });
    // The nodes ask for client certificates (Redis's tls-auth-clients defaults to yes).
    const own = pki.clientCert('slotgate');
    args = [
      '--backend-tls', 'yes',
      '--backend-tls-ca-cert-file', pki.caCertFile,
      '--backend-tls-cert-file', own.certFile,
      '--backend-tls-key-file', own.keyFile,
      '--backend-tls-server-name', 'localhost',
    ];
    proxy = await startProxy(cluster.seeds, [...args, '--replica-read', 'yes', '--topology-refresh-interval', '200']);
    for (const n of cluster.nodes) nodes.push(new Redis({ port: n.port, tls: tlsOptions(pki.caCertFile, node) }));
  }, 120_000);
  afterAll(async () => {
    for (const n of nodes) n.disconnect();
    await proxy?.close();
    await cluster?.stop();
    pki?.remove();
  });

  it('dials the tls-port each node announces in CLUSTER SHARDS', async () => {
    const shards = (await nodes[0]!.call('CLUSTER', 'SHARDS')) as unknown[][];
    const announced = new Set<number>();
    for (const shard of shards) {
      for (const node of shard[3] as unknown[][]) {
        const fields = new Map<string, unknown>();
        for (let i = 0; i < node.length; i += 2) fields.set(String(node[i]), node[i + 1]);
        // TLS only: the nodes have no plain port to announce.
        expect(fields.has('port')).toBe(false);
        announced.add(Number(fields.get('tls-port')));
      }
    }
    const dialled = new Set(proxy.handle.context.topology.current.allNodes().map((n) => n.port));
    expect(dialled).toEqual(announced);
  });

  it('serves reads, writes, fan-out, WATCH and blocking commands', async () => {
    const c = proxy.client();
    for (let i = 0; i < 20; i++) expect(await c.set(`tlsc:${run}:${i}`, String(i))).toBe('OK');
    const keys = Array.from({ length: 20 }, (_, i) => `tlsc:${run}:${i}`);
    expect(await c.mget(...keys)).toEqual(keys.map((_, i) => String(i)));
    const watcher = proxy.client();
    await watcher.watch(`{tlsw${run}}k`);
    expect(await watcher.multi().set(`{tlsw${run}}k`, '1').exec()).toEqual([[null, 'OK']]);
    const popped = proxy.client().blpop(`{tlsb${run}}list`, 10);
    await c.rpush(`{tlsb${run}}list`, 'item');
    expect(await popped).toEqual([`{tlsb${run}}list`, 'item']);
  });

  it('reads from replicas over TLS', async () => {
    // startLocalCluster returns only once every replica is online in every node's CLUSTER SHARDS.
    const online = proxy.handle.context.topology.current.shards.flatMap((s) => s.replicas).filter((r) => r.health === 'online');
    expect(online).toHaveLength(3);
    const c = proxy.client();
    for (let i = 0; i < 10; i++) await c.set(`tlsr:${run}:${i}`, 'x');
    const replicas: Redis[] = [];
    for (const n of nodes) if (/^role:slave/m.test(String(await n.info('replication')))) replicas.push(n);
    for (const r of replicas) await r.config('RESETSTAT');
    for (let i = 0; i < 30; i++) await c.get(`tlsr:${run}:${i}`);
    let gets = 0;
    for (const r of replicas) gets += Number(/cmdstat_get:calls=(\d+)/.exec(String(await r.info('commandstats')))?.[1] ?? 0);
    expect(gets).toBe(30);
  });

  it('does not start when the nodes\' certificates do not match backend-tls-server-name', async () => {
    const named = args.map((a) => (a === 'localhost' ? 'not-this-host.example' : a));
    const failure = await startProxy(cluster.seeds, named).then(
      () => 'started',
      (err: Error) => err.message,
    );
    expect(failure).toMatch(/no usable cluster topology .*connect failed \(ERR_TLS_CERT_ALTNAME_INVALID\)/);
  });
});
