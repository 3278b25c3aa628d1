import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      {
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 30_000 },
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
          testTimeout: 60_000,
          hookTimeout: 60 * 60_000,
        },
      },
    ],
  },
});
