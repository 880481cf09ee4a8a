// The environment a manifest gives each container of our images: every name
// must be a setting the app's configuration (defineConfig) reads, and the
// values can be resolved (ConfigMaps, Secrets, the downward API) to run the
// apps with exactly that environment.
import type { ConfigMap, Container, EnvVar, Secret } from 'kubernetes-types/core/v1';
import type { Manifest } from './render';
import { workloads, type Workload } from './workloads';

/** 'registry.example.com/cloud-xmpp/edge:1.2' → 'edge'. */
export function appOf(image: string | undefined): string {
  const last = (image ?? '').split('@')[0]!.split('/').pop() ?? '';
  return last.split(':')[0]!;
}

function find<T>(docs: Manifest[], kind: string, name: string): T | undefined {
  return docs.find((d) => d.kind === kind && d.metadata.name === name) as T | undefined;
}

function secretData(s: Secret): Record<string, string> {
  const out: Record<string, string> = { ...(s.stringData ?? {}) };
  for (const [k, v] of Object.entries(s.data ?? {})) out[k] = Buffer.from(v, 'base64').toString('utf8');
  return out;
}

export interface Resolvers {
  /** The value of a downward-API field (metadata.name…). */
  field(path: string): string;
  /** A Secret the manifests refer to but do not contain (created by hand). */
  secret?(name: string, key: string): string | undefined;
}

function fromSource(docs: Manifest[], kind: 'ConfigMap' | 'Secret', name: string): Record<string, string> | undefined {
  if (kind === 'ConfigMap') return find<ConfigMap>(docs, kind, name)?.data;
  const s = find<Secret>(docs, kind, name);
  return s && secretData(s);
}

function valueOf(docs: Manifest[], e: EnvVar, r: Resolvers): string | undefined {
  if (e.value !== undefined) return e.value;
  const from = e.valueFrom;
  if (from?.fieldRef) return r.field(from.fieldRef.fieldPath);
  if (from?.configMapKeyRef) return fromSource(docs, 'ConfigMap', from.configMapKeyRef.name!)?.[from.configMapKeyRef.key];
  if (from?.secretKeyRef) {
    const { name, key } = from.secretKeyRef;
    return fromSource(docs, 'Secret', name!)?.[key] ?? r.secret?.(name!, key);
  }
  return undefined;
}

/** The environment of a container, in Kubernetes' order (envFrom, then env); throws on what it cannot resolve. */
export function resolveEnv(docs: Manifest[], c: Container, r: Resolvers): Record<string, string> {
  const env: Record<string, string> = {};
  for (const f of c.envFrom ?? []) {
    const kind = f.configMapRef ? 'ConfigMap' : 'Secret';
    const name = (f.configMapRef ?? f.secretRef)!.name!;
    const data = fromSource(docs, kind, name);
    if (!data) throw new Error(`container ${c.name}: envFrom ${kind} ${name} is not in the manifests`);
    for (const [k, v] of Object.entries(data)) env[`${f.prefix ?? ''}${k}`] = v;
  }
  for (const e of c.env ?? []) {
    const v = valueOf(docs, e, r);
    const optional = e.valueFrom?.configMapKeyRef?.optional ?? e.valueFrom?.secretKeyRef?.optional ?? false;
    if (v === undefined && optional) continue; // Kubernetes leaves it unset
    if (v === undefined) throw new Error(`container ${c.name}: cannot resolve ${e.name}`);
    env[e.name] = v;
  }
  return env;
}

/** Names a container's environment sets (envFrom keys need their ConfigMap or Secret in the manifests). */
export function envNames(docs: Manifest[], c: Container): string[] {
  return Object.keys(resolveEnv(docs, c, { field: () => '', secret: () => '' }));
}

/** Each container of one of our images sets only names its app's configuration reads. */
export function checkEnv(docs: Manifest[], schemas: Record<string, Record<string, unknown>>): string[] {
  const problems: string[] = [];
  const ours = (w: Workload) => w.pod.containers.filter((c) => appOf(c.image) in schemas);
  for (const w of workloads(docs)) {
    for (const c of ours(w)) {
      const app = appOf(c.image);
      try {
        for (const name of envNames(docs, c)) {
          if (!(name in schemas[app]!)) problems.push(`${w.name} container ${c.name}: ${name} is not a setting of ${app}`);
        }
      } catch (err) {
        problems.push(`${w.name}: ${(err as Error).message}`);
      }
    }
  }
  return problems;
}
