import { defineConfig } from 'vitest/config';

// Unit tests of every library and app (pure logic, no processes). The
// end-to-end suite has its own config in apps/e2e.
export default defineConfig({
  test: {
    include: ['libs/**/src/**/*.spec.ts', 'apps/*/src/**/*.spec.ts', 'tools/*/src/**/*.spec.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
  },
});
