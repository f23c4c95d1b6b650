// Helpers for integration tests that talk to a real Redis Cluster.
// - sharedClusterSeeds(): the run-wide cluster from test/global-setup.ts. Do not kill or reshard it.
// - useDedicatedCluster(): a private cluster for this test file (failover, resharding, restarts).
import { afterAll, beforeAll, inject } from 'vitest';
import { Cluster } from 'ioredis';
import { startLocalCluster, type LocalCluster, type LocalClusterOptions } from '../../scripts/dev/local-cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** "host:port" of every node of the shared cluster. */
    clusterSeeds: string[];
  }
}

export interface HostPort {
  host: string;
  port: number;
}

export function parseSeed(seed: string): HostPort {
  const colon = seed.lastIndexOf(':');
  const port = Number(seed.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port)) throw new Error(`not a host:port seed: ${seed}`);
  return { host: seed.slice(0, colon), port };
}

/** Seeds of the cluster that test/global-setup.ts started for the whole run. */
export function sharedClusterSeeds(): string[] {
  const seeds = inject('clusterSeeds');
  if (!seeds || seeds.length === 0) throw new Error('no shared cluster: is test/global-setup.ts registered in vitest.config.ts?');
  return seeds;
}

/**
 * Starts a cluster of this file's own in beforeAll and stops it in afterAll. Returns a getter because
 * the cluster only exists once beforeAll has run.
 */
export function useDedicatedCluster(opts: LocalClusterOptions = {}): () => LocalCluster {
  let cluster: LocalCluster | undefined;
  beforeAll(async () => {
    cluster = await startLocalCluster(opts);
  });
  afterAll(async () => {
    await cluster?.stop();
  });
  return () => {
    if (!cluster) throw new Error('dedicated cluster not started yet (use it inside tests or hooks)');
    return cluster;
  };
}

/** An ioredis cluster client (a reference client, for checking what slotgate does). Remember quit(). */
export function connectClusterClient(seeds: string[]): Cluster {
  return new Cluster(seeds.map(parseSeed), {
    // Slot map reloads are what a failover test expects; keep retries short so failures show quickly.
    clusterRetryStrategy: (attempt) => (attempt > 20 ? null : 100),
    redisOptions: { connectTimeout: 2000 },
  });
}
