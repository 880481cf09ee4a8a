#!/usr/bin/env node
// Bundle one app (apps/<name>/src/main.ts) into dist/apps/<name>/main.cjs with
// esbuild: a single file with its libraries, the form the container images run.
import { build } from 'esbuild';

const name = process.argv[2];
if (!name) {
  console.error('usage: build-app.mjs <app>');
  process.exit(2);
}
await build({
  entryPoints: [`apps/${name}/src/main.ts`],
  outfile: `dist/apps/${name}/main.cjs`,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  tsconfig: 'tsconfig.json',
});
console.log(`built dist/apps/${name}/main.cjs`);
