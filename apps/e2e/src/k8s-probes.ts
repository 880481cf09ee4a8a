// Kubernetes probes carried out by hand against local processes: grpc
// (grpc.health.v1 Check), httpGet and tcpSocket, on the loopback port that
// stands for the container port.
import { connect } from 'node:net';
import type { Container, Probe } from 'kubernetes-types/core/v1';
import { call, createClient } from '@cx/grpc';
import { healthv1 } from '@cx/proto';

function portOf(c: Container, port: number | string): number {
  const p = (c.ports ?? []).find((x) => x.containerPort === port || x.name === port);
  if (!p) throw new Error(`container ${c.name} has no port ${port}`);
  return p.containerPort;
}

async function grpcServing(port: number, service = ''): Promise<boolean> {
  const client = createClient(healthv1.HealthClient, `127.0.0.1:${port}`);
  try {
    const r = await call(client.check.bind(client), { service });
    return r.status === healthv1.HealthCheckResponse_ServingStatus.SERVING;
  } catch {
    return false;
  } finally {
    client.close();
  }
}

async function httpOk(port: number, path: string): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    return res.status >= 200 && res.status < 400;
  } catch {
    return false;
  }
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/** One run of the probe; `local` maps container ports to loopback ports. */
export function probe(p: Probe, c: Container, local: Map<number, number>): Promise<boolean> {
  const at = (port: number | string) => local.get(portOf(c, port))!;
  if (p.grpc) return grpcServing(at(p.grpc.port), p.grpc.service);
  if (p.httpGet) return httpOk(at(p.httpGet.port), p.httpGet.path ?? '/');
  if (p.tcpSocket) return tcpOpen(at(p.tcpSocket.port));
  throw new Error(`container ${c.name}: a probe kind this test does not run`);
}

/** Probe until it passes (Kubernetes would mark the pod ready then). */
export async function untilPasses(p: Probe, c: Container, local: Map<number, number>, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await probe(p, c, local))) {
    if (Date.now() > until) throw new Error(`container ${c.name}: probe ${JSON.stringify(p)} did not pass in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
