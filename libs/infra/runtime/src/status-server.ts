// The HTTP port every service may open (METRICS_PORT): Prometheus /metrics,
// and the probes Kubernetes uses where there is no gRPC health service (the
// edge): /healthz (the process answers) and /readyz (started, connected to
// NATS and not shutting down; 503 otherwise).
import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, register } from 'prom-client';
import type { Logger } from '@cx/log';

/** Readiness: false until started, then it follows NATS, and false for good once stopping. */
export class Readiness {
  private started = false;
  private connected = true;
  private stopping = false;

  markStarted(): void {
    this.started = true;
  }

  setConnected(up: boolean): void {
    this.connected = up;
  }

  markStopping(): void {
    this.stopping = true;
  }

  get ready(): boolean {
    return this.started && this.connected && !this.stopping;
  }
}

function answer(status: number, body: string) {
  return { status, body };
}

function route(url: string | undefined, readiness: Readiness): { status: number; body: string } | 'metrics' {
  const path = (url ?? '').split('?')[0];
  if (path === '/metrics') return 'metrics';
  if (path === '/healthz') return answer(200, 'ok\n');
  if (path === '/readyz') return readiness.ready ? answer(200, 'ready\n') : answer(503, 'not ready\n');
  return answer(404, 'not found\n');
}

/** Listen on `port` (0: not at all) with /metrics, /healthz and /readyz. */
export function startStatusServer(port: number, service: string, readiness: Readiness, log: Logger): Server | undefined {
  if (!port) return undefined;
  collectDefaultMetrics({ labels: { service } });
  const server = createServer((req, res) => {
    const r = route(req.url, readiness);
    if (r !== 'metrics') return void res.writeHead(r.status, { 'content-type': 'text/plain' }).end(r.body);
    register.metrics().then((body) => res.writeHead(200, { 'content-type': register.contentType }).end(body));
  });
  server.listen(port, () => log.info({ port }, 'metrics on /metrics, probes on /healthz and /readyz'));
  return server;
}
