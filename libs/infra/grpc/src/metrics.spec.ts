// gRPC error counters over a real server and client on loopback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register } from 'prom-client';
import { createLogger } from '@cx/log';
import { healthv1 } from '@cx/proto';
import { call, unary } from './calls';
import { createClient } from './client';
import { startGrpcServer, type RunningGrpcServer } from './server';

const log = createLogger({ service: 'grpc-metrics-test', level: 'fatal' });
let server: RunningGrpcServer;
let client: healthv1.HealthClient;

/** The value of one series of a counter, 0 when absent. */
async function value(name: string, labels: Record<string, string>): Promise<number> {
  const m = (await register.getSingleMetric(name)?.get())?.values ?? [];
  const v = m.find((x) => Object.entries(labels).every(([k, l]) => x.labels[k] === l));
  return v?.value ?? 0;
}

beforeAll(async () => {
  // A second Health service whose Check handler fails, served beside the real one under another name.
  const failing = { ...healthv1.HealthService, check: { ...healthv1.HealthService.check, path: '/test.Failing/Check' } };
  server = await startGrpcServer({
    host: '127.0.0.1',
    port: 0,
    services: [[{ check: failing.check } as never, { check: unary(log, async () => Promise.reject(new Error('boom'))) } as never]],
  });
  server.setServing(true);
  client = createClient(healthv1.HealthClient, `127.0.0.1:${server.port}`);
});

afterAll(async () => {
  client.close();
  await server.shutdown(1000);
});

describe('gRPC error metrics', () => {
  it('counts client calls that end with an error status, by service, method and code', async () => {
    const labels = { service: 'grpc.health.v1.Health', method: 'Check', code: 'NOT_FOUND' };
    const before = await value('xmpp_grpc_client_errors_total', labels);
    await expect(call(client.check.bind(client), { service: 'no.such.Service' })).rejects.toThrow(/NOT_FOUND|unknown service/);
    expect(await value('xmpp_grpc_client_errors_total', labels)).toBe(before + 1);
    await call(client.check.bind(client), { service: '' }); // OK: not counted
    expect(await value('xmpp_grpc_client_errors_total', labels)).toBe(before + 1);
  });

  it('counts failed unary handlers on the server', async () => {
    const path = '/test.Failing/Check';
    const raw = (cb: (err: Error | null) => void) =>
      client.makeUnaryRequest(
        path,
        (x: healthv1.HealthCheckRequest) => Buffer.from(healthv1.HealthCheckRequest.encode(x).finish()),
        (b: Buffer) => healthv1.HealthCheckResponse.decode(b),
        { service: '' },
        (err) => cb(err),
      );
    await expect(new Promise((resolve, reject) => raw((err) => (err ? reject(err) : resolve(undefined))))).rejects.toThrow(/UNAVAILABLE|boom/);
    expect(await value('xmpp_grpc_server_errors_total', { service: 'test.Failing', method: 'Check' })).toBe(1);
    expect(await value('xmpp_grpc_client_errors_total', { service: 'test.Failing', method: 'Check', code: 'UNAVAILABLE' })).toBe(1);
  });
});
