import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One shared 3-master/3-replica cluster for the whole run; see test/helpers/cluster-fixture.ts.
    globalSetup: ['test/global-setup.ts'],
    // Integration tests wait for failovers (cluster-node-timeout 2 s plus election) and start clusters.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Child processes (redis-server) are tracked per process; forks keep each test file's in its own.
    pool: 'forks',
    benchmark: {
      include: ['bench/**/*.bench.ts'],
    },
  },
});
