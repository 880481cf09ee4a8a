// What the outside world reaches: every port of a LoadBalancer or NodePort
// Service must carry only encrypted traffic. For the edge that is direct TLS
// (C2S_TLS_PORT), and the STARTTLS port when TLS is required before
// authentication (a certificate and REQUIRE_ENCRYPTION not `never`, the
// listener not loopback); the WebSocket port is plaintext (TLS for it is
// terminated in front, by a TLS Ingress), and so is anything else.
import type { Container, Service } from 'kubernetes-types/core/v1';
import { resolveEnv } from './env';
import { appOf } from './env';
import { nameOf, type Manifest } from './render';
import { selects, workloads } from './workloads';

function containerPort(c: Container, target: number | string): number | undefined {
  return (c.ports ?? []).find((p) => p.containerPort === target || p.name === target)?.containerPort;
}

/** Container ports of an edge container that are encrypted from the first byte or before authentication. */
function encryptedPorts(docs: Manifest[], c: Container): Set<number> {
  const env = resolveEnv(docs, c, { field: () => '', secret: () => '' });
  const tls = !!env.TLS_CERT_FILE && !!env.TLS_KEY_FILE;
  const loopback = ['127.0.0.1', '::1', 'localhost'].includes(env.C2S_HOST ?? '127.0.0.1');
  const required = tls && (env.REQUIRE_ENCRYPTION === 'always' || ((env.REQUIRE_ENCRYPTION ?? 'auto') === 'auto' && !loopback));
  const out = new Set<number>();
  if (tls && env.C2S_TLS_PORT !== '0') out.add(Number(env.C2S_TLS_PORT ?? 5223));
  if (required) out.add(Number(env.C2S_PORT ?? 5222));
  return out;
}

/** Problems: each externally exposed Service port that reaches a plaintext container port. */
export function checkExposure(docs: Manifest[]): string[] {
  const problems: string[] = [];
  const ws = workloads(docs);
  for (const m of docs.filter((d) => d.kind === 'Service')) {
    const spec = (m as unknown as Service).spec ?? {};
    if (spec.type !== 'LoadBalancer' && spec.type !== 'NodePort') continue;
    for (const w of ws.filter((x) => selects(spec.selector, x.labels))) {
      for (const c of w.pod.containers) {
        const safe = appOf(c.image) === 'edge' ? encryptedPorts(docs, c) : new Set<number>();
        for (const p of spec.ports ?? []) {
          const port = containerPort(c, p.targetPort ?? p.port);
          if (port !== undefined && !safe.has(port))
            problems.push(`${nameOf(m)} (${spec.type}) port ${p.name ?? p.port}: ${w.name} serves plaintext on ${port}`);
        }
      }
    }
  }
  return problems;
}
