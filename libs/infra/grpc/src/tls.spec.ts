// Mutual TLS with certificates from files, over real sockets: a client needs a
// certificate of the server's CA, and a renewed certificate (here: the files
// replaced by ones of a new CA, as a rotated Secret would) is used for new
// connections without a restart.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { healthv1 } from '@cx/proto';
import { makeGrpcCertificates } from '@cx/stack';
import { createClient } from './client';
import { startGrpcServer, type RunningGrpcServer } from './server';
import { loadGrpcTls, type GrpcTls } from './tls';

const dir = mkdtempSync(join(tmpdir(), 'cx-grpc-tls-'));
const live = { ca: join(dir, 'ca.crt'), cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key') };
let first: ReturnType<typeof makeGrpcCertificates>;
let second: ReturnType<typeof makeGrpcCertificates>;
let server: RunningGrpcServer;

/** Put a set of certificates where the server reads them. */
function install(c: typeof first): void {
  copyFileSync(c.GRPC_TLS_CA, live.ca);
  copyFileSync(c.GRPC_TLS_CERT, live.cert);
  copyFileSync(c.GRPC_TLS_KEY, live.key);
}

const fixed = (c: typeof first): GrpcTls => {
  const { ca, cert, key } = loadGrpcTls({ ca: c.GRPC_TLS_CA, cert: c.GRPC_TLS_CERT, key: c.GRPC_TLS_KEY })!;
  return { ca, cert, key };
};

async function check(tls: GrpcTls | undefined): Promise<status> {
  const client = createClient(healthv1.HealthClient, `127.0.0.1:${server.port}`, {}, tls);
  try {
    return await new Promise<status>((resolve) =>
      client.check({ service: '' }, new Metadata(), { deadline: Date.now() + 3000 }, (err) => resolve(err ? (err as ServiceError).code : status.OK)),
    );
  } finally {
    client.close();
  }
}

beforeAll(async () => {
  first = makeGrpcCertificates(join(dir, 'first'));
  second = makeGrpcCertificates(join(dir, 'second'));
  install(first);
  server = await startGrpcServer({ host: '127.0.0.1', port: 0, services: [], tls: loadGrpcTls(live, 200) });
  server.setServing(true);
});

afterAll(async () => {
  await server?.shutdown(1000);
  rmSync(dir, { recursive: true, force: true });
});

describe('gRPC mutual TLS from files', () => {
  it('lets in a client with a certificate of its CA, and no other', async () => {
    expect(await check(fixed(first))).toBe(status.OK);
    expect(await check(undefined)).toBe(status.UNAVAILABLE);
    expect(await check({ ...fixed(first), cert: undefined as unknown as Buffer, key: undefined as unknown as Buffer })).toBe(status.UNAVAILABLE);
    expect(await check({ ...fixed(second), ca: fixed(first).ca })).toBe(status.UNAVAILABLE);
  });

  it('uses renewed files for new connections, without a restart', async () => {
    install(second);
    await expect.poll(() => check(fixed(second)), { timeout: 5000, interval: 250 }).toBe(status.OK);
    expect(await check(fixed(first))).toBe(status.UNAVAILABLE);
    // A client on the watched files follows them too.
    expect(await check(loadGrpcTls(live, 200))).toBe(status.OK);
  });

  it('names what is wrong with the files', () => {
    expect(() => loadGrpcTls({ ca: live.ca, cert: '', key: '' })).toThrow(/all of GRPC_TLS_CA, GRPC_TLS_CERT and GRPC_TLS_KEY/);
    expect(() => loadGrpcTls({ ca: live.ca, cert: join(dir, 'nope.crt'), key: live.key })).toThrow(/GRPC_TLS_CERT .*nope\.crt/);
    expect(() => loadGrpcTls({ ca: live.ca, cert: live.key, key: live.key })).toThrow(/not PEM certificates/);
    expect(loadGrpcTls({ ca: '', cert: '', key: '' })).toBeUndefined();
  });
});
