import { defineConfig } from 'vitest/config';

// The Kubernetes manifests, checked without a cluster (a step of `npm test`):
// every overlay renders with kustomize and passes the API schema, Service
// ports, environment variables and the Dockerfile are consistent.
export default defineConfig({
  test: {
    include: ['src/**/*.k8s.ts'],
    testTimeout: 60_000,
  },
});
