// Render a kustomization with kubectl's built-in kustomize (the one
// tools/scripts/kubectl.mjs installs under var/tools, else one on the PATH)
// and parse the documents.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const root = new URL('../../..', import.meta.url).pathname;

/** A rendered Kubernetes object (checked against the API types by checkSchema). */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; generateName?: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

export function kubectl(): string {
  const dir = join(root, 'var/tools');
  const pinned = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => /^kubectl-v[\d.]+$/.test(f))
        .sort()
    : [];
  if (pinned.length) return join(dir, pinned[pinned.length - 1]!);
  return 'kubectl';
}

export function parseManifests(text: string, source: string): Manifest[] {
  return parseAllDocuments(text).flatMap((d) => {
    if (d.errors.length) throw new Error(`${source}: ${d.errors[0]!.message}`);
    const v = d.toJS() as Manifest | null;
    return v ? [v] : [];
  });
}

/** `kubectl kustomize <dir>`: throws with kustomize's message when it cannot render. */
export function render(dir: string): Manifest[] {
  let out: string;
  try {
    out = execFileSync(kubectl(), ['kustomize', join(root, dir)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`kustomize ${dir}: ${e.stderr?.trim() || e.message} (kubectl from \`npm run setup\`)`);
  }
  return parseManifests(out, dir);
}

/** Manifests in one plain YAML file (the admin Job). */
export function load(file: string): Manifest[] {
  return parseManifests(readFileSync(join(root, file), 'utf8'), file);
}

export function nameOf(m: Manifest): string {
  return `${m.kind}/${m.metadata.name ?? m.metadata.generateName ?? '?'}`;
}
