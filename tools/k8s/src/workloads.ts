// Pod templates of the workloads in a set of manifests.
import type { Container, PodSpec, PodTemplateSpec } from 'kubernetes-types/core/v1';
import { nameOf, type Manifest } from './render';

export interface Workload {
  kind: string;
  name: string;
  labels: Record<string, string>;
  pod: PodSpec;
}

function template(m: Manifest): PodTemplateSpec | undefined {
  const spec = m.spec as { template?: PodTemplateSpec; jobTemplate?: { spec?: { template?: PodTemplateSpec } } } | undefined;
  if (['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'].includes(m.kind)) return spec?.template;
  if (m.kind === 'CronJob') return spec?.jobTemplate?.spec?.template;
  return undefined;
}

export function workloads(docs: Manifest[]): Workload[] {
  return docs.flatMap((m) => {
    if (m.kind === 'Pod') return [{ kind: m.kind, name: nameOf(m), labels: m.metadata.labels ?? {}, pod: m.spec as PodSpec }];
    const t = template(m);
    return t?.spec ? [{ kind: m.kind, name: nameOf(m), labels: t.metadata?.labels ?? {}, pod: t.spec }] : [];
  });
}

export function containers(w: Workload): Container[] {
  return [...(w.pod.initContainers ?? []), ...w.pod.containers];
}

export function selects(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  return !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
}
