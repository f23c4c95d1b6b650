// Starts ONE Redis Cluster (3 masters, 3 replicas) shared by every test file of the run and hands its
// seeds to the tests via provide/inject. Tests that kill nodes or reshard must start their own cluster
// (useDedicatedCluster in test/helpers/cluster-fixture.ts) so they cannot break their neighbours.
import type { TestProject } from 'vitest/node';
import type {} from './helpers/cluster-fixture.js'; // for the ProvidedContext augmentation (types only)
import { startLocalCluster, type LocalCluster } from '../scripts/dev/local-cluster.js';

let shared: LocalCluster | undefined;

export async function setup(project: TestProject): Promise<void> {
  shared = await startLocalCluster({ masters: 3, replicasPerMaster: 1 });
  project.provide('clusterSeeds', shared.seeds);
}

export async function teardown(): Promise<void> {
  await shared?.stop();
  shared = undefined;
}
