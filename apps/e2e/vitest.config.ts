import { defineConfig } from 'vitest/config';

// End-to-end: one real stack (nats-server, auth, session, two routers, two edges as
// separate processes; edge 1 uses router 1, edge 2 router 2, so traffic between
// users on different edges crosses router replicas) for all files, started in
// global-setup.ts.
export default defineConfig({
  test: {
    include: ['src/**/*.e2e.ts'],
    globalSetup: ['src/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
