// The live command table against a real cluster: module commands (RediSearch, from the Debian
// package redis-redisearch: /usr/lib/redis/modules/redisearch.so) that the generated table does
// not know. The cluster starts WITHOUT the module, so the first answers are the nodes' own
// "unknown command"; then the module is loaded on every node at run time (MODULE LOAD), and
// slotgate must learn the new commands on its next periodic refresh (COMMAND COUNT moved) and
// route them by their key specs. The expected replies are the owning master's own.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { startLocalCluster, type LocalCluster } from '../../scripts/dev/local-cluster.js';
import { FALLBACK_COMMAND_TABLE } from '../../src/commands/command-table.js';
import { backendNodes, type BackendNodes } from '../helpers/backend-nodes.js';
import { startProxy, type StartedProxy } from '../helpers/slotgate.js';
import { waitUntil } from '../helpers/wait-until.js';

const REDISEARCH = '/usr/lib/redis/modules/redisearch.so';

async function errorOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected an error reply');
}

describe('commands the generated table does not know (a Redis module)', () => {
  let cluster: LocalCluster;
  let proxy: StartedProxy;
  let client: Redis;
  let backend: BackendNodes;

  beforeAll(async () => {
    if (!existsSync(REDISEARCH)) throw new Error(`${REDISEARCH} is missing: install the Debian package redis-redisearch (apt-get install redis-redisearch)`);
    cluster = await startLocalCluster({ masters: 3, replicasPerMaster: 0, extraConfig: ['--enable-module-command', 'yes'] });
    proxy = await startProxy(cluster.seeds, ['--topology-refresh-interval', '200']);
    client = proxy.client();
    backend = await backendNodes(cluster.seeds);
  }, 60_000);

  afterAll(async () => {
    backend?.close();
    await proxy?.close();
    await cluster?.stop();
  });

  it('are unknown while the backend does not know them, with the node\'s own error', async () => {
    expect(FALLBACK_COMMAND_TABLE.get('ft.search')).toBeUndefined();
    const owner = await backend.masterOf('idx');
    expect(await errorOf(client.call('FT.SEARCH', 'idx', 'hello'))).toBe(await errorOf(owner.client.call('FT.SEARCH', 'idx', 'hello')));
  });

  it('MODULE LIST answers for the masters: empty like theirs, an error while they differ', async () => {
    expect(await client.call('MODULE', 'LIST')).toEqual([]);
    // One master loads it first (not the one holding 'idx', which the test above asked).
    const owner = await backend.masterOf('idx');
    const first = backend.masters.find((node) => node.address !== owner.address)!;
    await first.client.call('MODULE', 'LOAD', REDISEARCH);
    expect(await errorOf(client.call('MODULE', 'LIST'))).toMatch(/^ERR .*MODULE LIST/);
  });

  it('are learnt once the nodes load the module, and routed to the key\'s master by their key specs', async () => {
    for (const node of backend.masters) {
      const loaded = JSON.stringify(await node.client.call('MODULE', 'LIST')).includes('search');
      if (!loaded) await node.client.call('MODULE', 'LOAD', REDISEARCH);
    }
    await waitUntil(() => proxy.handle.context.commands.get('ft.search') !== undefined, 10_000, 'slotgate to load the command table with FT.SEARCH');

    // Every FT command names the index first: the index's slot's master holds it.
    expect(await client.call('FT.CREATE', 'idx', 'SCHEMA', 'title', 'TEXT')).toBe('OK');
    expect(await client.call('FT.ADD', 'idx', 'doc1', '1.0', 'FIELDS', 'title', 'hello world')).toBe('OK');
    const owner = await backend.masterOf('idx');
    const viaProxy = await client.call('FT.SEARCH', 'idx', 'hello');
    expect(viaProxy).toEqual(await owner.client.call('FT.SEARCH', 'idx', 'hello'));
    expect(await client.call('FT.SEARCH', 'idx', 'hello', 'NOCONTENT')).toEqual([1, 'doc1']);
    // Another index lands on its own slot's master, wherever that is.
    expect(await client.call('FT.CREATE', 'other{b}', 'SCHEMA', 'body', 'TEXT')).toBe('OK');
    expect(await client.call('FT.ADD', 'other{b}', 'doc2', '1.0', 'FIELDS', 'body', 'slotgate routes modules')).toBe('OK');
    const otherOwner = await backend.masterOf('other{b}');
    expect(await client.call('FT.SEARCH', 'other{b}', 'modules')).toEqual(await otherOwner.client.call('FT.SEARCH', 'other{b}', 'modules'));
    expect(await client.call('FT.SEARCH', 'other{b}', 'modules', 'NOCONTENT')).toEqual([1, 'doc2']);
  });

  it('MODULE LIST is the masters\' own list once every master has it', async () => {
    const list = await backend.masters[0]!.client.call('MODULE', 'LIST');
    expect(JSON.stringify(list)).toContain('search');
    expect(await client.call('MODULE', 'LIST')).toEqual(list);
  });

  it('still answers a module command the backend does not have as the backend would', async () => {
    const owner = await backend.masterOf('idx');
    expect(await errorOf(client.call('FT.NOSUCH', 'idx'))).toBe(await errorOf(owner.client.call('FT.NOSUCH', 'idx')));
  });
});
