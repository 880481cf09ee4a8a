// Every gRPC service answers the standard health check (what Kubernetes
// `grpc:` probes call) for the server and for its own service name.
import { describe, expect, inject, it } from 'vitest';
import { call, createClient } from '@cx/grpc';
import { healthv1 } from '@cx/proto';

const addrs = inject('addrs');

describe('grpc.health.v1', () => {
  it.each([
    ['auth', addrs.AUTH_ADDR, 'xmpp.auth.v1.AuthService'],
    ['session', addrs.SESSION_ADDR, 'xmpp.session.v1.SessionService'],
    ['router', addrs.ROUTER_ADDR, 'xmpp.router.v1.RouterService'],
  ])('%s is SERVING', async (_name, addr, service) => {
    const client = createClient(healthv1.HealthClient, addr);
    try {
      for (const s of ['', service])
        expect((await call(client.check.bind(client), { service: s })).status).toBe(healthv1.HealthCheckResponse_ServingStatus.SERVING);
      await expect(call(client.check.bind(client), { service: 'no.such.Service' })).rejects.toThrow(/NOT_FOUND|unknown service/);
    } finally {
      client.close();
    }
  });
});
