// slotgate in front of a cluster, together with the oracle: an ioredis Cluster client and direct
// connections to every backend node. Started in beforeAll, closed in afterAll.
import { afterAll, beforeAll } from 'vitest';
import type { Cluster, Redis } from 'ioredis';
import { backendNodes, type BackendNodes } from './backend-nodes.js';
import { connectClusterClient } from './cluster-fixture.js';
import { startProxy, type StartedProxy } from './slotgate.js';

export interface ProxyFixture {
  proxy: StartedProxy;
  /** A plain client of slotgate. */
  client: Redis;
  /** A cluster client of the backend itself. */
  direct: Cluster;
  backend: BackendNodes;
}

export interface ProxyFixtureOptions {
  /** Extra slotgate flags. */
  args?: string[];
  /** Runs before slotgate starts (e.g. wait for the cluster to settle). */
  beforeStart?: () => Promise<void>;
  /** Runs once everything is up. */
  afterStart?: (fixture: ProxyFixture) => Promise<void>;
}

/** The returned object's fields are set in beforeAll: use them inside tests and hooks. */
export function useProxyFixture(seeds: () => string[], options: ProxyFixtureOptions = {}): ProxyFixture {
  const fixture = {} as ProxyFixture;
  beforeAll(async () => {
    await options.beforeStart?.();
    fixture.proxy = await startProxy(seeds(), options.args);
    fixture.client = fixture.proxy.client();
    fixture.direct = connectClusterClient(seeds());
    fixture.backend = await backendNodes(seeds());
    await options.afterStart?.(fixture);
  });
  afterAll(async () => {
    fixture.backend?.close();
    fixture.direct?.disconnect();
    await fixture.proxy?.close();
  });
  return fixture;
}
