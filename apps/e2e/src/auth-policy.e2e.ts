// Authentication policy, on an extra auth and edge of the shared stack started with the
// production defaults: PLAIN and DIGEST-MD5 only over TLS (ALLOW_PLAINTEXT_AUTH off), and so
// in-band registration and password change; the per-account back-off
// (MAX_AUTH_FAILURES_PER_ACCOUNT) with its metric, which counts failed passwords only.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort, makeCertificate, startApp, waitForPort, type Proc } from '@cx/stack';
import { authenticate, authenticateScram, login, RawClient, register, uniqueName } from '@cx/testing';
import type { Element } from '@cx/xmpp-core';

const [sharedPort] = inject('edgePorts');
const dir = mkdtempSync(join(tmpdir(), 'cx-auth-policy-'));
const procs: Proc[] = [];
let port = 0;
let metricsPort = 0;
let ca: Buffer;

beforeAll(async () => {
  const cert = makeCertificate(join(dir, 'tls'));
  if (!cert) throw new Error('openssl is needed');
  ca = readFileSync(cert.certFile);
  const [authPort, tlsPort, wsPort] = [await freePort(), await freePort(), await freePort()];
  [port, metricsPort] = [await freePort(), await freePort()];
  const common = { NATS_URL: inject('natsUrl'), XMPP_DOMAIN: 'localhost', LOG_LEVEL: 'warn' };
  const onLine = (l: string) => process.env.E2E_VERBOSE && console.log(l);
  procs.push(
    startApp(
      'auth',
      {
        ...common,
        AUTH_GRPC_PORT: String(authPort),
        AUTH_ADMIN_PORT: String(await freePort()),
        REGISTRATION_OPEN: 'true',
        MAX_AUTH_FAILURES_PER_ACCOUNT: '3',
        AUTH_FAILURE_WINDOW_MS: '60000',
        METRICS_PORT: String(metricsPort),
      },
      { onLine },
    ),
  );
  procs.push(
    startApp(
      'edge',
      {
        ...common,
        ...inject('addrs'),
        AUTH_ADDR: `127.0.0.1:${authPort}`,
        C2S_PORT: String(port),
        C2S_TLS_PORT: String(tlsPort),
        WS_PORT: String(wsPort),
        TLS_CERT_FILE: cert.certFile,
        TLS_KEY_FILE: cert.keyFile,
        MAX_AUTH_FAILURES_PER_IP: '0',
        EDGE_ID: `edge-policy-${port}`,
      },
      { onLine },
    ),
  );
  await Promise.all([waitForPort(metricsPort, 30000), waitForPort(port, 30000)]);
});

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  rmSync(dir, { recursive: true, force: true });
});

const mechanisms = (f: Element) =>
  f
    .getChild('mechanisms')
    ?.getChildren('mechanism')
    .map((m) => m.getText()) ?? [];

describe('PLAIN and DIGEST-MD5 need TLS by default (ALLOW_PLAINTEXT_AUTH=false)', () => {
  it('are not offered on a plain stream, and are refused with encryption-required', async () => {
    const name = uniqueName('weak');
    await register(sharedPort, name, 'pw');
    const c = await RawClient.connect(port);
    const { features } = await c.open();
    expect(mechanisms(features)).toEqual(['SCRAM-SHA-256', 'SCRAM-SHA-1']);
    for (const m of ['PLAIN', 'DIGEST-MD5'] as const) {
      const r = await authenticate(c, name, 'pw', m).catch((e: Error) => e);
      expect(r instanceof Error ? r.message : r.toString()).toContain('encryption-required');
    }
    expect((await authenticate(c, name, 'pw', 'SCRAM-SHA-256')).name).toBe('success');
    c.close();
  });

  it('are offered and work after STARTTLS', async () => {
    const name = uniqueName('weak');
    await register(sharedPort, name, 'pw');
    const c = await RawClient.connect(port);
    await c.open();
    await c.starttls(ca);
    const { features } = await c.open();
    expect(mechanisms(features)).toEqual(['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-1-PLUS', 'SCRAM-SHA-256', 'SCRAM-SHA-1', 'DIGEST-MD5', 'PLAIN']);
    expect((await authenticate(c, name, 'pw', 'PLAIN')).name).toBe('success');
    c.close();
  });
});

describe('per-account back-off (MAX_AUTH_FAILURES_PER_ACCOUNT=3)', () => {
  async function attempt(name: string, password: string): Promise<Element> {
    const c = await RawClient.connect(port);
    await c.open();
    const r = await authenticateScram(c, 'SCRAM-SHA-256', name, password);
    c.close();
    return r;
  }

  it('after 3 failures even the right password gets temporary-auth-failure; other accounts are not affected; the metric counts it', async () => {
    const [target, bystander] = [uniqueName('target'), uniqueName('bystander')];
    await register(sharedPort, target, 'right');
    await register(sharedPort, bystander, 'right');
    for (let i = 0; i < 3; i++) expect((await attempt(target, 'wrong')).getChild('not-authorized')).toBeDefined();
    const blocked = await attempt(target, 'right');
    expect(blocked.getChild('temporary-auth-failure')).toBeDefined();
    expect(blocked.getChildText('text')).toMatch(/too many failed attempts for this account; try again in \d+ s/);
    expect((await attempt(bystander, 'right')).name).toBe('success');
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/xmpp_auth_limits_total\{limit="auth-failures-per-account"\} 1\b/);
  });

  it('a success before the limit clears the count', async () => {
    const name = uniqueName('forgetful');
    await register(sharedPort, name, 'right');
    for (let i = 0; i < 2; i++) expect((await attempt(name, 'wrong')).getChild('not-authorized')).toBeDefined();
    expect((await attempt(name, 'right')).name).toBe('success');
    for (let i = 0; i < 2; i++) expect((await attempt(name, 'wrong')).getChild('not-authorized')).toBeDefined();
    expect((await attempt(name, 'right')).name).toBe('success');
  });
});

describe('registration and password change need TLS too (issue 9 #4)', () => {
  const REG = 'jabber:iq:register';
  const registerIq = (name: string, pw: string) =>
    `<iq type='set' id='r'><query xmlns='${REG}'><username>${name}</username><password>${pw}</password></query></iq>`;
  const condition = (iq: Element) => (iq.getChild('error')?.children[0] as Element | undefined)?.name;

  it('before STARTTLS: not advertised, the form and a registration get policy-violation; after it, registration works', async () => {
    const name = uniqueName('clear');
    const c = await RawClient.connect(port);
    const { features } = await c.open();
    expect(features.getChild('register', 'http://jabber.org/features/iq-register')).toBeUndefined();
    c.send(`<iq type='get' id='f'><query xmlns='${REG}'/></iq>`);
    expect(condition(await c.element())).toBe('policy-violation');
    c.send(registerIq(name, 'pw'));
    const refused = await c.element();
    expect(condition(refused)).toBe('policy-violation');
    expect(refused.getChild('error')?.getChildText('text')).toMatch(/STARTTLS/);
    await c.starttls(ca);
    const secure = await c.open();
    expect(secure.features.getChild('register', 'http://jabber.org/features/iq-register')).toBeDefined();
    c.send(registerIq(name, 'pw'));
    // Not "conflict": the refused registration created nothing.
    expect((await c.element()).attrs.type).toBe('result');
    c.close();
  });

  it('a password change on a stream without TLS gets policy-violation and changes nothing', async () => {
    const name = uniqueName('clearpw');
    await register(sharedPort, name, 'old');
    const { c } = await login(port, name, 'old', { mechanism: 'SCRAM-SHA-256' });
    c.send(registerIq(name, 'new'));
    expect(condition(await c.element())).toBe('policy-violation');
    c.close();
    const again = await RawClient.connect(port);
    await again.open();
    expect((await authenticateScram(again, 'SCRAM-SHA-256', name, 'old')).name).toBe('success');
    again.close();
  });
});

describe('what counts per account (issue 9 #1) and usernames (#6)', () => {
  it('refused -PLUS attempts (a binding type TLS 1.3 lacks) do not count as failed passwords', async () => {
    const name = uniqueName('plus');
    await register(sharedPort, name, 'right');
    const c = await RawClient.connect(port);
    await c.open();
    await c.starttls(ca);
    await c.open();
    for (let i = 0; i < 4; i++) {
      const r = await authenticateScram(c, 'SCRAM-SHA-256-PLUS', name, 'right', { channelBinding: { type: 'tls-unique', data: Buffer.alloc(12) } });
      expect(r.getChild('not-authorized')).toBeDefined();
    }
    expect((await authenticateScram(c, 'SCRAM-SHA-256', name, 'right')).name).toBe('success');
    c.close();
  });

  it('an over-long username is refused before any lookup, and counted', async () => {
    const c = await RawClient.connect(port);
    await c.open();
    expect((await authenticateScram(c, 'SCRAM-SHA-256', 'x'.repeat(4100), 'pw')).getChild('not-authorized')).toBeDefined();
    c.close();
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/xmpp_auth_invalid_usernames_total\{path="sasl"\} [1-9]/);
  });
});
