// Run what a rendered overlay describes on one machine: every container port
// gets a free loopback port, Service DNS names (auth:50051, nats://nats:4222)
// become 127.0.0.1 and the port of the pod behind them, mounted volumes become
// local directories. Everything else in the environment is the manifests' own.
import type { Container } from 'kubernetes-types/core/v1';
import type { Service } from 'kubernetes-types/core/v1';
import type { Manifest } from './render';
import { resolveEnv } from './env';
import { selects, workloads, type Workload } from './workloads';

export interface PortPlan {
  /** Per workload name: container port → loopback port. */
  pods: Map<string, Map<number, number>>;
  /** Per Service name: service port → loopback port of the pod behind it. */
  services: Map<string, Map<number, number>>;
}

function containerPort(w: Workload, target: number | string): number | undefined {
  for (const c of w.pod.containers) {
    for (const p of c.ports ?? []) if (p.containerPort === target || p.name === target) return p.containerPort;
  }
  return undefined;
}

export async function planPorts(docs: Manifest[], freePort: () => Promise<number>): Promise<PortPlan> {
  const pods = new Map<string, Map<number, number>>();
  const ws = workloads(docs);
  for (const w of ws) {
    const m = new Map<number, number>();
    for (const c of w.pod.containers) for (const p of c.ports ?? []) m.set(p.containerPort, await freePort());
    pods.set(w.name, m);
  }
  const services = new Map<string, Map<number, number>>();
  for (const s of docs.filter((d) => d.kind === 'Service') as unknown as Service[]) {
    const w = ws.find((x) => selects(s.spec?.selector, x.labels));
    const m = new Map<number, number>();
    for (const p of s.spec?.ports ?? []) {
      const cp = w && containerPort(w, p.targetPort ?? p.port);
      if (cp !== undefined) m.set(p.port, pods.get(w!.name)!.get(cp)!);
    }
    services.set(s.metadata!.name!, m);
  }
  return { pods, services };
}

export interface LocalEnv {
  env: Record<string, string>;
  /** The variables changed from the manifests' values, with why. */
  remapped: Record<string, string>;
}

/**
 * The environment of container c of workload w as the manifests give it,
 * with only addresses, listening ports and mount paths moved to this machine.
 */
export function localEnv(
  docs: Manifest[],
  w: Workload,
  c: Container,
  plan: PortPlan,
  o: { podName: string; mounts: Record<string, string>; secret?: (name: string, key: string) => string | undefined },
): LocalEnv {
  const manifestEnv = resolveEnv(docs, c, { field: (p) => (p === 'metadata.name' ? o.podName : ''), secret: o.secret });
  const own = plan.pods.get(w.name) ?? new Map<number, number>();
  const names = [...plan.services.keys()].map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  const address = new RegExp(`\\b(${names}):(\\d+)\\b`, 'g');
  // The deepest mount first: a file under /etc/xmpp/tls is not under /tmp's directory afterwards.
  const mounts = (c.volumeMounts ?? []).filter((m) => o.mounts[m.name] !== undefined).sort((a, b) => b.mountPath.length - a.mountPath.length);
  const env: Record<string, string> = {};
  const remapped: Record<string, string> = {};
  for (const [k, v] of Object.entries(manifestEnv)) {
    let local = v.replace(address, (m, svc: string, port: string) => {
      const p = plan.services.get(svc)?.get(Number(port));
      return p === undefined ? m : `127.0.0.1:${p}`;
    });
    if (/_PORT$/.test(k) && own.has(Number(v))) local = String(own.get(Number(v)));
    const mount = mounts.find((m) => v.startsWith(`${m.mountPath}/`));
    if (mount) local = o.mounts[mount.name] + v.slice(mount.mountPath.length);
    env[k] = local;
    if (local !== v) remapped[k] = `${v} → ${local}`;
  }
  return { env, remapped };
}
