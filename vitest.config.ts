import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      {
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 60_000 },
      },
      {
        // The rawsock addon against the real kernel, on loopback (needs root).
        test: { name: 'native', include: ['test/native/**/*.test.ts'] },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/apiserver/globalSetup.ts'],
          // One API server for all files; controllers under test watch the whole cluster, so files take turns.
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        // qemu with a stock Debian kernel (test/lab): IPVS, namespaces, one VM per test file.
        test: {
          name: 'lab',
          include: ['test/lab/**/*.test.ts'],
          globalSetup: ['test/lab/globalSetup.ts'],
          // One emulated VM at a time: on a 2-core machine two TCG guests starve each other's
          // VRRP timers, and the failover tests measure those.
          fileParallelism: false,
          testTimeout: 10 * 60_000, // tests that boot their own VM (runInLab.test.ts)
          hookTimeout: 15 * 60_000,
        },
      },
    ],
  },
});
