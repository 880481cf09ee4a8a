#!/usr/bin/env node
// `npm test`: every check, in order of cost. Set-up (packages, nats-server,
// build) has already run (see package.json).
import { spawnSync } from 'node:child_process';
import { root } from './stack.mjs';

const steps = [
  ['proto lint', 'node_modules/.bin/buf', ['lint']],
  ['generated code is current', 'node', ['tools/scripts/proto-check.mjs']],
  ['formatting (Prettier; npm run format fixes it)', 'node_modules/.bin/prettier', ['--check', '--log-level', 'warn', '**/*.{ts,mts,mjs,cjs,js}']],
  ['typecheck', 'node_modules/.bin/tsc', ['-p', 'tsconfig.json']],
  ['lint and module boundaries', 'node_modules/.bin/eslint', ['.']],
  ['unit tests', 'node_modules/.bin/vitest', ['run']],
  ['kubernetes manifests (kustomize, API schema, ports, settings, Dockerfile)', 'node_modules/.bin/vitest', ['run', '--root', 'tools/k8s']],
  ['end-to-end tests (real nats-server, four services as processes)', 'node_modules/.bin/vitest', ['run', '--root', 'apps/e2e']],
];

const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' };
for (const [name, cmd, args] of steps) {
  const t0 = Date.now();
  console.log(`\n=== ${name}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env });
  if (r.status !== 0) {
    console.error(`\n=== FAILED: ${name}`);
    process.exit(r.status ?? 1);
  }
  console.log(`=== ok: ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}
console.log('\nall checks passed');
