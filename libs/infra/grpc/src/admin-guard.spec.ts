// The admin guards over real gRPC sockets: the data port refuses admin
// methods (wholly, or the requests a predicate picks) with PERMISSION_DENIED
// and lets everything else through; the admin port wants the token; each
// refusal is counted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { register } from 'prom-client';
import { authv1 } from '@cx/proto';
import { adminInterceptors, refuseAdminMethods, tokenMatches, withAdminToken } from './admin-guard';
import { createClient } from './client';
import { startGrpcServer, type RunningGrpcServer } from './server';

const impl = {
  listUsers: (_c: unknown, cb: (e: null, r: authv1.ListUsersResponse) => void) => cb(null, { usernames: ['alice'] }),
  register: (c: { request: authv1.RegisterRequest }, cb: (e: null, r: authv1.AccountResult) => void) =>
    cb(null, { ok: true, condition: '', text: '', username: c.request.username }),
};
const services: Array<[typeof authv1.AuthServiceService, never]> = [[authv1.AuthServiceService, impl as never]];
let data: RunningGrpcServer;
let admin: RunningGrpcServer;

beforeAll(async () => {
  data = await startGrpcServer({
    host: '127.0.0.1',
    port: 0,
    services,
    interceptors: [
      refuseAdminMethods([
        { path: '/xmpp.auth.v1.AuthService/ListUsers' },
        { path: '/xmpp.auth.v1.AuthService/Register', when: (r) => (r as authv1.RegisterRequest).admin },
      ]),
    ],
  });
  admin = await startGrpcServer({ host: '127.0.0.1', port: 0, services, interceptors: adminInterceptors('s3cret') });
});

afterAll(async () => {
  await data?.shutdown(1000);
  await admin?.shutdown(1000);
});

function client(port: number, token?: string): authv1.AuthServiceClient {
  return createClient(authv1.AuthServiceClient, `127.0.0.1:${port}`, { interceptors: token === undefined ? [] : [withAdminToken(token)] });
}

/** The status a unary call ends with. */
function code<Req>(method: (req: Req, md: Metadata, o: object, cb: (e: ServiceError | null) => void) => unknown, req: Req): Promise<status> {
  return new Promise((resolve) => method(req, new Metadata(), { deadline: Date.now() + 5000 }, (e) => resolve(e ? e.code : status.OK)));
}

async function refused(reason: string): Promise<number> {
  const m = await register.getSingleMetric('xmpp_grpc_admin_refused_total')!.get();
  return m.values.filter((v) => v.labels.reason === reason).reduce((n, v) => n + v.value, 0);
}

describe('admin guards', () => {
  it('the data port refuses admin methods and admin requests, and serves the rest', async () => {
    const c = client(data.port, 's3cret');
    const before = await refused('data-port');
    expect(await code(c.listUsers.bind(c), { domain: 'd' })).toBe(status.PERMISSION_DENIED);
    expect(await code(c.register.bind(c), { domain: 'd', username: 'u', password: 'p', admin: true })).toBe(status.PERMISSION_DENIED);
    expect(await code(c.register.bind(c), { domain: 'd', username: 'u', password: 'p', admin: false })).toBe(status.OK);
    expect(await refused('data-port')).toBe(before + 2);
    c.close();
  });

  it('the admin port serves everything, with the token only', async () => {
    const before = await refused('token');
    for (const token of [undefined, '', 's3cre', 's3cret!']) {
      const c = client(admin.port, token);
      expect(await code(c.listUsers.bind(c), { domain: 'd' }), String(token)).toBe(status.UNAUTHENTICATED);
      c.close();
    }
    expect(await refused('token')).toBe(before + 4);
    const c = client(admin.port, 's3cret');
    expect(await code(c.listUsers.bind(c), { domain: 'd' })).toBe(status.OK);
    expect(await code(c.register.bind(c), { domain: 'd', username: 'u', password: 'p', admin: true })).toBe(status.OK);
    c.close();
  });

  it('compares tokens whatever their length', () => {
    expect(tokenMatches('abc', 'abc')).toBe(true);
    expect(tokenMatches('abd', 'abc')).toBe(false);
    expect(tokenMatches('', 'abc')).toBe(false);
    expect(tokenMatches('abcd', 'abc')).toBe(false);
  });
});
