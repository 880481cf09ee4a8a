// Every Service port reaches a container port of the pods it selects, and
// every probe names a port its container has.
import type { Container, Probe, Service } from 'kubernetes-types/core/v1';
import { nameOf, type Manifest } from './render';
import { containers, selects, workloads } from './workloads';

function hasPort(cs: Container[], target: number | string): boolean {
  return cs.some((c) => (c.ports ?? []).some((p) => (typeof target === 'number' ? p.containerPort === target : p.name === target)));
}

export function checkServicePorts(docs: Manifest[]): string[] {
  const ws = workloads(docs);
  const problems: string[] = [];
  for (const m of docs.filter((d) => d.kind === 'Service')) {
    const spec = (m as unknown as Service).spec ?? {};
    const selected = ws.filter((w) => selects(spec.selector, w.labels));
    if (!selected.length) problems.push(`${nameOf(m)}: its selector matches no pods`);
    for (const w of selected) {
      for (const p of spec.ports ?? []) {
        const target = p.targetPort ?? p.port;
        if (!hasPort(containers(w), target)) problems.push(`${nameOf(m)} port ${p.name ?? p.port}: ${w.name} has no container port ${target}`);
      }
    }
  }
  return problems;
}

function probePort(p: Probe | undefined): number | string | undefined {
  return p?.grpc?.port ?? p?.httpGet?.port ?? p?.tcpSocket?.port;
}

export function checkProbePorts(docs: Manifest[]): string[] {
  const problems: string[] = [];
  for (const w of workloads(docs)) {
    for (const c of w.pod.containers) {
      for (const kind of ['startupProbe', 'readinessProbe', 'livenessProbe'] as const) {
        const port = probePort(c[kind]);
        if (port !== undefined && !hasPort([c], port)) problems.push(`${w.name} container ${c.name} ${kind}: no container port ${port}`);
      }
      const longRunning = ['Deployment', 'StatefulSet', 'DaemonSet'].includes(w.kind);
      if (longRunning && (!c.readinessProbe || !c.livenessProbe)) problems.push(`${w.name} container ${c.name}: needs a readiness and a liveness probe`);
    }
  }
  return problems;
}
