#!/usr/bin/env node
// Bundle one app (apps/<name>/src/main.ts) into dist/apps/<name>/main.cjs with
// esbuild: a single file with its libraries, the form the container images run.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('../..', import.meta.url));

export async function buildApp(name) {
  await build({
    entryPoints: [join(root, `apps/${name}/src/main.ts`)],
    outfile: join(root, `dist/apps/${name}/main.cjs`),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: true,
    logLevel: 'warning',
    tsconfig: join(root, 'tsconfig.json'),
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const name = process.argv[2];
  if (!name) {
    console.error('usage: build-app.mjs <app>');
    process.exit(2);
  }
  await buildApp(name);
  console.log(`built dist/apps/${name}/main.cjs`);
}
