import { defineConfig } from 'vitest/config';

// Two projects: `unit` needs no Redis at all and runs in seconds (`npm run test:unit`);
// `integration` starts real redis-servers and clusters (`npm run test:integration`). `npm test` runs both.
export default defineConfig({
  test: {
    // Child processes (redis-server) are tracked per process; forks keep each test file's in its own.
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // One shared 3-master/3-replica cluster for the project's run; see test/helpers/cluster-fixture.ts.
          globalSetup: ['test/global-setup.ts'],
          // Integration tests wait for failovers (cluster-node-timeout 2 s plus election) and start clusters.
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
    // Micro-benchmarks of pure code: `npm run bench` runs them in the unit project only.
    benchmark: {
      include: ['bench/**/*.bench.ts'],
    },
  },
});
