#!/usr/bin/env node
// Fails when libs/proto/src/gen differs from what `buf generate` makes from proto/:
// generated code is committed, so a stale or hand-edited file must not land.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const committed = join(root, 'libs/proto/src/gen');
const tmp = mkdtempSync(join(tmpdir(), 'proto-check-'));

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

try {
  const buf = join(root, 'node_modules/.bin/buf');
  execFileSync(buf, ['generate', '-o', tmp], { cwd: root, stdio: 'inherit' });
  const fresh = join(tmp, 'libs/proto/src/gen');
  const a = files(committed)
    .map((f) => relative(committed, f))
    .sort();
  const b = files(fresh)
    .map((f) => relative(fresh, f))
    .sort();
  const problems = [];
  for (const f of new Set([...a, ...b])) {
    if (!a.includes(f)) problems.push(`missing (run nx run proto:generate): ${f}`);
    else if (!b.includes(f)) problems.push(`not generated from any .proto: ${f}`);
    else if (readFileSync(join(committed, f), 'utf8') !== readFileSync(join(fresh, f), 'utf8')) problems.push(`stale or hand-edited: ${f}`);
  }
  if (problems.length) {
    console.error(`Generated protobuf code is out of date:\n  ${problems.join('\n  ')}\nRun: npx nx run proto:generate`);
    process.exit(1);
  }
  console.log(`proto-check: ${a.length} generated files match proto/`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
