// Internal trust (issue 9 #14): a stack whose services talk gRPC over mutual
// TLS (a CA and certificates made with openssl in a temporary directory) and
// whose admin ports want a token. It works end to end (login, a message both
// ways, xmppctl), while a client without a certificate signed by the CA, or
// without TLS, is refused by every service.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, loadGrpcTls, Metadata, status, type GrpcTls, type ServiceError } from '@cx/grpc';
import { healthv1 } from '@cx/proto';
import { login, register, uniqueName } from '@cx/testing';
import { makeGrpcCertificates, startStack, type Stack } from '@cx/stack';

const exec = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'cx-trust-'));
const ADMIN_TOKEN = 'trust-e2e-token';
let stack: Stack;
let certs: ReturnType<typeof makeGrpcCertificates>;
let rogue: ReturnType<typeof makeGrpcCertificates>;

beforeAll(async () => {
  certs = makeGrpcCertificates(join(dir, 'grpc'));
  rogue = makeGrpcCertificates(join(dir, 'rogue')); // a CA of its own: not trusted by the stack
  stack = await startStack({
    dataDir: join(dir, 'nats'),
    onLine: (name: string, line: string) => process.env.E2E_VERBOSE && console.log(name, line),
    env: { REGISTRATION_OPEN: 'true', ALLOW_PLAINTEXT_AUTH: 'true', LOG_LEVEL: 'warn', ADMIN_TOKEN, ...certs },
  });
});

afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The files' contents, not watched (so a test can leave some out). */
const tlsOf = (c: typeof certs): GrpcTls => {
  const { ca, cert, key } = loadGrpcTls({ ca: c.GRPC_TLS_CA, cert: c.GRPC_TLS_CERT, key: c.GRPC_TLS_KEY })!;
  return { ca, cert, key };
};

/** A health check on addr with these credentials (failing at once when refused): the gRPC status it ends with. */
async function health(addr: string, tls: GrpcTls | undefined): Promise<status> {
  const client = createClient(healthv1.HealthClient, addr, {}, tls);
  try {
    return await new Promise<status>((resolve) =>
      client.check({ service: '' }, new Metadata(), { deadline: Date.now() + 5000 }, (err) => resolve(err ? (err as ServiceError).code : status.OK)),
    );
  } finally {
    client.close();
  }
}

async function xmppctl(env: Record<string, string>, ...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await exec(process.execPath, [join(__dirname, '../../../dist/apps/xmppctl/main.cjs'), ...args], {
      env: { ...process.env, ...stack.adminAddrs, ...env },
    });
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

describe('services on mutual TLS', () => {
  it('work end to end: register, log in, a message both ways', async () => {
    const [port] = stack.edgePorts;
    const [alice, bob] = [uniqueName('alice'), uniqueName('bob')];
    await register(port!, alice, 'pw');
    await register(port!, bob, 'pw');
    const a = await login(port!, alice, 'pw', { presence: true });
    const b = await login(port!, bob, 'pw', { presence: true });
    a.c.send(`<message to='${b.jid}' id='m1' type='chat'><body>over mTLS</body></message>`);
    expect((await b.c.until((el) => el.name === 'message' && el.attrs.id === 'm1')).getChildText('body')).toBe('over mTLS');
    b.c.send(`<message to='${a.jid}' id='m2' type='chat'><body>back</body></message>`);
    expect((await a.c.until((el) => el.name === 'message' && el.attrs.id === 'm2')).getChildText('body')).toBe('back');
    a.c.close();
    b.c.close();
  });

  it('xmppctl works with the certificate and the token', async () => {
    const user = uniqueName('ctl');
    expect(await xmppctl({ ...certs, ADMIN_TOKEN }, 'register', user, 'pw')).toEqual({ code: 0, out: `registered ${user}@localhost\n` });
    expect((await xmppctl({ ...certs, ADMIN_TOKEN }, 'registered')).out.split('\n')).toContain(user);
    // Without a certificate it is not even let in.
    expect((await xmppctl({ ADMIN_TOKEN }, 'registered')).code).not.toBe(0);
  });

  it('refuse clients without TLS, without a certificate, or with one from another CA', async () => {
    const addrs = [...Object.values(stack.addrs), ...Object.values(stack.adminAddrs)];
    const noClientCert = { ...tlsOf(certs), cert: undefined as unknown as Buffer, key: undefined as unknown as Buffer };
    for (const addr of addrs) {
      expect(await health(addr, tlsOf(certs)), addr).toBe(status.OK);
      expect(await health(addr, undefined), addr).toBe(status.UNAVAILABLE);
      expect(await health(addr, noClientCert), addr).toBe(status.UNAVAILABLE);
      expect(await health(addr, { ...tlsOf(rogue), ca: tlsOf(certs).ca }), addr).toBe(status.UNAVAILABLE);
    }
  });
});
