import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedClusterSeeds } from '../helpers/cluster-fixture.js';
import { startProxy, type StartedProxy } from '../helpers/slotgate.js';

describe('smoke', () => {
  let proxy: StartedProxy;
  beforeAll(async () => {
    proxy = await startProxy(sharedClusterSeeds());
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it('sets and gets keys in many slots', async () => {
    const c = proxy.client();
    for (let i = 0; i < 100; i++) await c.set(`smoke:${i}`, `v${i}`);
    for (let i = 0; i < 100; i++) expect(await c.get(`smoke:${i}`)).toBe(`v${i}`);
    expect(await c.ping()).toBe('PONG');
  });
});
