import { defineConfig } from 'vitest/config';

// End-to-end: one real stack (nats-server, auth, session, router, two edges as
// separate processes) for all files, started in global-setup.ts.
export default defineConfig({
  test: {
    include: ['src/**/*.e2e.ts'],
    globalSetup: ['src/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
