// The committed lock file must be complete for every platform, so that
// `npm ci` (what set-up runs) installs the same tree on Linux, macOS and
// Windows and never rewrites it: a fresh clone stays clean after `npm start`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));

interface LockEntry {
  version?: string;
  optionalDependencies?: Record<string, string>;
}

const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
  lockfileVersion: number;
  packages: Record<string, LockEntry>;
};

describe('package-lock.json', () => {
  it('is a v3 lock file', () => {
    expect(lock.lockfileVersion).toBe(3);
  });

  it('lists every optional (per-platform) dependency of every package', () => {
    const missing: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      for (const dep of Object.keys(entry.optionalDependencies ?? {})) {
        // npm resolves a dependency in the nearest node_modules up the tree.
        const candidates = [`${path}/node_modules/${dep}`, `node_modules/${dep}`];
        if (!candidates.some((c) => c in lock.packages)) missing.push(`${dep} (of ${path || 'the root'})`);
      }
    }
    expect(missing).toEqual([]);
  });
});
