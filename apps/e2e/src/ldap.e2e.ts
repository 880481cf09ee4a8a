// AUTH_BACKEND=ldap through the whole server: a real slapd started here
// (users loaded with slapadd, StartTLS to it), its own stack, clients that
// STARTTLS and log in with PLAIN. A second auth + edge pair runs with the
// opt-in SCRAM cache (LDAP_SCRAM_CACHE) and a lifetime of a few seconds.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate, RawClient, type Mechanism } from '@cx/testing';
import { freePort, makeCertificate, startApp, startStack, waitForPort, type Proc, type Stack } from '@cx/stack';
import { startSlapd, type Slapd } from '@cx/stack/slapd';

const LIFETIME_S = 3;
const users = ['alice', 'bob', 'carol', 'dave', 'erin'].map((uid) => ({ uid, password: `${uid}-pw` }));
const dataDir = mkdtempSync(join(tmpdir(), 'cx-ldap-e2e-'));
const verbose = (name: string, line: string) => process.env.E2E_VERBOSE && console.log(name, line);

let slapd: Slapd;
let stack: Stack;
let ca: Buffer;
let port = 0;
let cachedPort = 0;
const extra: Proc[] = [];

/** A second auth (with the SCRAM cache) and an edge that uses it, on the same NATS, session and router. */
async function startCachedPair(): Promise<number> {
  const auth = stack.procs.find((p) => p.name === 'auth')!;
  const edge = stack.edges[0]!;
  const authPort = await freePort();
  extra.push(
    startApp(
      'auth',
      {
        ...auth.env,
        AUTH_GRPC_PORT: String(authPort),
        AUTH_ADMIN_PORT: String(await freePort()),
        LDAP_SCRAM_CACHE: 'true',
        LDAP_SCRAM_LIFETIME_S: String(LIFETIME_S),
      },
      { onLine: (l) => verbose('auth2', l) },
    ),
  );
  const [c2s, c2sTls, ws] = [await freePort(), await freePort(), await freePort()];
  const env = {
    ...edge.env,
    AUTH_ADDR: `127.0.0.1:${authPort}`,
    C2S_PORT: String(c2s),
    C2S_TLS_PORT: String(c2sTls),
    WS_PORT: String(ws),
    EDGE_ID: `edge-ldap-cache-${c2s}`,
  };
  extra.push(startApp('edge', env, { onLine: (l) => verbose('edge2', l) }));
  await waitForPort(c2s, 30000);
  return c2s;
}

beforeAll(async () => {
  slapd = await startSlapd({ dir: join(dataDir, 'slapd'), tls: true, users: [...users, { uid: 'mallory', password: 'mallory-pw', ou: 'other' }] });
  const cert = makeCertificate(join(dataDir, 'tls'));
  if (!cert) throw new Error('openssl is needed for the test certificate');
  ca = readFileSync(cert.certFile);
  stack = await startStack({
    dataDir: join(dataDir, 'nats'),
    tls: cert,
    onLine: verbose,
    env: {
      LOG_LEVEL: 'warn',
      REGISTRATION_OPEN: 'true',
      MAX_AUTH_FAILURES_PER_IP: '0',
      MAX_AUTH_FAILURES_PER_ACCOUNT: '0',
      AUTH_BACKEND: 'ldap',
      LDAP_URL: slapd.url,
      LDAP_STARTTLS: 'true',
      LDAP_TLS_CA_FILE: slapd.caFile!,
      LDAP_BIND_DN: slapd.serviceDn,
      LDAP_BIND_PASSWORD: slapd.servicePassword,
      LDAP_BASE: slapd.base,
      LDAP_TIMEOUT_MS: '1000',
      LDAP_POOL_SIZE: '2',
    },
  });
  port = stack.edgePorts[0]!;
  cachedPort = await startCachedPair();
}, 90_000);

afterAll(async () => {
  await Promise.all(extra.map((p) => p.stop()));
  await stack?.stop();
  await slapd?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A stream over STARTTLS; returns the client and the features after TLS. */
async function secureStream(p = port) {
  const c = await RawClient.connect(p);
  await c.open();
  await c.starttls(ca);
  const { features } = await c.open();
  return { c, features };
}

const mechanismsOf = (features: { getChild(n: string): { getChildren(n: string): { getText(): string }[] } | undefined }) =>
  (features.getChild('mechanisms')?.getChildren('mechanism') ?? []).map((m) => m.getText());

/** One SASL attempt over STARTTLS: 'success' or the failure condition. */
async function attempt(user: string, password: string, mechanism: Mechanism = 'PLAIN', p = port): Promise<string> {
  const { c } = await secureStream(p);
  try {
    const r = await authenticate(c, user, password, mechanism);
    return r.name === 'success' ? 'success' : ((r.children[0] as { name: string } | undefined)?.name ?? r.toString());
  } finally {
    c.close();
  }
}

describe('LDAP accounts through the edge', () => {
  it('offers only PLAIN, only after TLS, and no registration', async () => {
    const plain = await RawClient.connect(port);
    const before = await plain.open();
    expect(mechanismsOf(before.features)).not.toContain('PLAIN');
    plain.close();
    const { c, features } = await secureStream();
    expect(mechanismsOf(features)).toEqual(['PLAIN']);
    expect(features.getChild('register')).toBeUndefined();
    c.close();
  });

  it('logs in with the LDAP password and binds a resource', async () => {
    const { c } = await secureStream();
    expect((await authenticate(c, 'alice', 'alice-pw', 'PLAIN')).name).toBe('success');
    await c.open();
    c.send(`<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>`);
    expect((await c.element()).getChild('bind')?.getChildText('jid')).toMatch(/^alice@localhost\//);
    c.close();
  });

  it('refuses a wrong password, an unknown user and a user outside the search base with not-authorized', async () => {
    expect(await attempt('alice', 'wrong')).toBe('not-authorized');
    expect(await attempt('nobody', 'x')).toBe('not-authorized');
    expect(await attempt('mallory', 'mallory-pw')).toBe('not-authorized');
  });

  it('refuses registration (service-unavailable) and, logged in, password change and cancellation (not-allowed)', async () => {
    const { c } = await secureStream();
    c.send(`<iq type='set' id='r'><query xmlns='jabber:iq:register'><username>newbie</username><password>pw</password></query></iq>`);
    expect((await c.element()).getChild('error')?.getChild('service-unavailable')).toBeDefined();
    expect((await authenticate(c, 'bob', 'bob-pw', 'PLAIN')).name).toBe('success');
    await c.open();
    c.send(`<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>`);
    await c.element();
    c.send(`<iq type='set' id='p'><query xmlns='jabber:iq:register'><username>bob</username><password>new</password></query></iq>`);
    expect((await c.element()).getChild('error')?.getChild('not-allowed')).toBeDefined();
    c.send(`<iq type='set' id='x'><query xmlns='jabber:iq:register'><remove/></query></iq>`);
    expect((await c.element()).getChild('error')?.getChild('not-allowed')).toBeDefined();
    c.close();
    expect(await attempt('bob', 'bob-pw')).toBe('success');
  });

  it('the router asks LDAP whether an account exists (RFC 6121 §8.5.1)', async () => {
    const { c } = await secureStream();
    await authenticate(c, 'alice', 'alice-pw', 'PLAIN');
    await c.open();
    c.send(`<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>`);
    await c.element();
    c.send(`<iq type='get' id='v1' to='nobody@localhost'><query xmlns='jabber:iq:version'/></iq>`);
    expect((await c.until((el) => el.attrs.id === 'v1')).getChild('error')?.getChild('service-unavailable')).toBeDefined();
    c.send(`<message to='mallory@localhost' id='m1' type='chat'><body>hi</body></message>`);
    expect((await c.until((el) => el.attrs.id === 'm1')).attrs.type).toBe('error');
    c.close();
  });

  it('a password changed in LDAP works at once, and the old one stops', async () => {
    slapd.setPassword('carol', 'carol-new');
    expect(await attempt('carol', 'carol-pw')).toBe('not-authorized');
    expect(await attempt('carol', 'carol-new')).toBe('success');
  });

  it('while slapd is down logins get temporary-auth-failure; they work again when it is back', async () => {
    await slapd.stop();
    try {
      expect(await attempt('alice', 'alice-pw')).toBe('temporary-auth-failure');
      expect(await attempt('alice', 'alice-pw')).toBe('temporary-auth-failure');
    } finally {
      await slapd.start();
    }
    expect(await attempt('alice', 'alice-pw')).toBe('success');
    expect(await attempt('alice', 'wrong')).toBe('not-authorized');
  });
});

describe('the opt-in SCRAM cache (LDAP_SCRAM_CACHE)', () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('offers SCRAM too; SCRAM works only after a PLAIN login, until the lifetime', async () => {
    const { c, features } = await secureStream(cachedPort);
    expect(mechanismsOf(features)).toEqual(expect.arrayContaining(['SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN']));
    expect(mechanismsOf(features)).not.toContain('DIGEST-MD5');
    c.close();
    expect(await attempt('dave', 'dave-pw', 'SCRAM-SHA-1', cachedPort)).toBe('not-authorized');
    expect(await attempt('dave', 'dave-pw', 'PLAIN', cachedPort)).toBe('success');
    expect(await attempt('dave', 'dave-pw', 'SCRAM-SHA-1', cachedPort)).toBe('success');
    expect(await attempt('dave', 'dave-pw', 'SCRAM-SHA-256', cachedPort)).toBe('success');
    expect(await attempt('dave', 'wrong', 'SCRAM-SHA-1', cachedPort)).toBe('not-authorized');
    await sleep(LIFETIME_S * 1000 + 500);
    expect(await attempt('dave', 'dave-pw', 'SCRAM-SHA-1', cachedPort)).toBe('not-authorized');
    expect(await attempt('dave', 'dave-pw', 'PLAIN', cachedPort)).toBe('success');
    expect(await attempt('dave', 'dave-pw', 'SCRAM-SHA-1', cachedPort)).toBe('success');
  });

  it('a password changed in LDAP: the old one works through SCRAM at most for the lifetime, then not at all', async () => {
    expect(await attempt('erin', 'erin-pw', 'PLAIN', cachedPort)).toBe('success');
    slapd.setPassword('erin', 'erin-new');
    expect(await attempt('erin', 'erin-pw', 'PLAIN', cachedPort)).toBe('not-authorized');
    expect(await attempt('erin', 'erin-pw', 'SCRAM-SHA-1', cachedPort)).toBe('success'); // the documented window
    await sleep(LIFETIME_S * 1000 + 500);
    expect(await attempt('erin', 'erin-pw', 'SCRAM-SHA-1', cachedPort)).toBe('not-authorized');
    expect(await attempt('erin', 'erin-pw', 'PLAIN', cachedPort)).toBe('not-authorized');
    expect(await attempt('erin', 'erin-new', 'PLAIN', cachedPort)).toBe('success');
    expect(await attempt('erin', 'erin-new', 'SCRAM-SHA-256', cachedPort)).toBe('success');
  });

  it('keys are derived only from PLAIN over TLS: the edge offers no PLAIN without it', async () => {
    const c = await RawClient.connect(cachedPort);
    const { features } = await c.open();
    expect(mechanismsOf(features)).not.toContain('PLAIN');
    c.close();
  });
});
