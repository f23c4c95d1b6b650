// Sentinel over TLS (issue 18): with sentinel-tls, slotgate asks the Sentinels and holds its
// +switch-master subscription on their TLS port, showing a client certificate they require, on
// the same subscribed backend connection type as every other subscription.
import { SENTINEL_CHANNELS } from '../../src/cluster/sentinel-watch.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startLocalReplication, type LocalReplication } from '../../scripts/dev/local-replication.js';
import { tempConfigFile, type TempConfigFile } from '../helpers/config-file.js';
import { startProxyFor, type StartedProxy } from '../helpers/slotgate.js';
import { makeTestPki, type TestPki } from '../helpers/tls-certs.js';
import { waitUntil } from '../helpers/wait-until.js';

describe('backend sentinel over TLS', () => {
  let pki: TestPki;
  let group: LocalReplication;
  let config: TempConfigFile;
  let proxy: StartedProxy;

  beforeAll(async () => {
    pki = makeTestPki();
    group = await startLocalReplication({ replicas: 1, sentinels: 1, sentinelTls: { ...pki.serverCert('sentinel'), caCertFile: pki.caCertFile } });
    const client = pki.clientCert('slotgate');
    config = tempConfigFile(
      [
        'backend: sentinel',
        `sentinels: "${group.sentinelTlsAddresses.join(',')}"`,
        `sentinel-master-name: ${group.masterName}`,
        'sentinel-tls: yes',
        `sentinel-tls-ca-cert-file: "${pki.caCertFile}"`,
        `sentinel-tls-cert-file: "${client.certFile}"`,
        `sentinel-tls-key-file: "${client.keyFile}"`,
        '',
      ].join('\n'),
    );
    proxy = await startProxyFor(['--config', config.path]);
  }, 60_000);

  afterAll(async () => {
    await proxy?.close();
    await group?.stop();
    config?.remove();
    pki?.remove();
  });

  it('finds the master through the Sentinel\'s TLS port and watches it there', async () => {
    const client = proxy.client();
    expect(await client.set('sentinel-tls:hello', 'world')).toBe('OK');
    expect(await client.get('sentinel-tls:hello')).toBe('world');
    // The watch: a subscriber to the Sentinel's event channels, connected over TLS (slotgate knows no other port).
    const sentinel = new Redis({ host: '127.0.0.1', port: Number(group.sentinels[0]!.split(':')[1]), maxRetriesPerRequest: 1 });
    try {
      const watching = async (): Promise<boolean> => String(await sentinel.call('CLIENT', 'LIST')).split('\n').some((line) => /flags=P/.test(line) && line.includes(` sub=${SENTINEL_CHANNELS.length} `));
      await waitUntil(watching, 10_000, 'the +switch-master subscription on the Sentinel');
    } finally {
      sentinel.disconnect();
    }
  });

  it('refuses sentinel-tls-* files without sentinel-tls, and names the option', async () => {
    const bad = tempConfigFile(`backend: sentinel\nsentinels: "127.0.0.1:1"\nsentinel-master-name: m\nsentinel-tls-ca-cert-file: "${pki.caCertFile}"\n`);
    try {
      await expect(startProxyFor(['--config', bad.path])).rejects.toThrow('option sentinel-tls: the sentinel-tls-* options are set but sentinel-tls is no');
    } finally {
      bad.remove();
    }
  });
});
