// The LDAP backend against a real slapd (started here, users loaded with
// slapadd) and, for the SCRAM cache, a real nats-server.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBus, type Bus } from '@cx/bus';
import { createLogger } from '@cx/log';
import { checkScramPassword } from '@cx/sasl';
import { startNats } from '@cx/stack';
import { startSlapd, type Slapd } from '@cx/stack/slapd';
import { LdapAccountStore, LdapScramCache, type LdapOptions } from './index';

const log = createLogger({ service: 'ldap-test', level: 'fatal' });
const users = [
  { uid: 'alice', password: 'alice-pw' },
  { uid: 'bob', password: 'bob-pw' },
  { uid: 'carol', password: 'carol-pw' },
  { uid: 'mallory', password: 'mallory-pw', ou: 'other' },
];

let slapd: Slapd;
const stores: LdapAccountStore[] = [];

function options(o: Partial<LdapOptions> = {}): LdapOptions {
  return {
    url: slapd.url,
    startTls: true,
    bindDn: slapd.serviceDn,
    bindPassword: slapd.servicePassword,
    base: slapd.base,
    filter: '(uid=%u)',
    tlsCa: readFileSync(slapd.caFile!, 'utf8'),
    poolSize: 2,
    timeoutMs: 2000,
    ...o,
  };
}

function store(o: Partial<LdapOptions> = {}, cache?: LdapScramCache): LdapAccountStore {
  const s = new LdapAccountStore(options(o), log, cache);
  stores.push(s);
  return s;
}

beforeAll(async () => {
  slapd = await startSlapd({ users, tls: true });
});

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await slapd?.stop();
  if (slapd) rmSync(slapd.dir, { recursive: true, force: true });
});

describe('PLAIN checked by an LDAP bind (StartTLS)', () => {
  it('accepts the right password and refuses a wrong or empty one', async () => {
    const s = store();
    expect(await s.testPassword('alice', 'alice-pw')).toBe(true);
    expect(await s.testPassword('alice', 'bob-pw')).toBe(false);
    expect(await s.testPassword('alice', '')).toBe(false);
  });

  it('an unknown user, a user outside the search base and a filter injection are unknown', async () => {
    const s = store();
    expect(await s.testPassword('nobody', 'x')).toBe(false);
    expect(await s.testPassword('mallory', 'mallory-pw')).toBe(false);
    expect(await s.testPassword('*', 'alice-pw')).toBe(false);
    expect(await s.testPassword('alice)(uid=*', 'alice-pw')).toBe(false);
  });

  it('many logins at once share the pool', async () => {
    const s = store({ poolSize: 2 });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => s.testPassword(users[i % 3]!.uid, i % 2 ? users[i % 3]!.password : 'wrong')));
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i % 2 === 1));
  });

  it('sees a password changed in LDAP at once', async () => {
    const s = store();
    expect(await s.testPassword('carol', 'carol-pw')).toBe(true);
    slapd.setPassword('carol', 'carol-new');
    expect(await s.testPassword('carol', 'carol-pw')).toBe(false);
    expect(await s.testPassword('carol', 'carol-new')).toBe(true);
  });

  it('works over ldaps:// too', async () => {
    expect(await store({ url: slapd.ldapsUrl!, startTls: false }).testPassword('bob', 'bob-pw')).toBe(true);
  });

  it('an untrusted server certificate, or a wrong service password, is directory trouble (thrown), not a wrong password', async () => {
    await expect(store({ tlsCa: undefined }).testPassword('bob', 'bob-pw')).rejects.toThrow();
    await expect(store({ bindPassword: 'wrong' }).testPassword('bob', 'bob-pw')).rejects.toThrow();
  });

  it('searches need the service account: an anonymous search slapd refuses is directory trouble', async () => {
    await expect(store({ bindDn: '', bindPassword: '' }).exists('alice')).rejects.toMatchObject({ name: 'InsufficientAccessError' });
  });
});

describe('accounts', () => {
  it('exists and list see only users under the base', async () => {
    const s = store();
    expect(await s.exists('bob')).toBe(true);
    expect(await s.exists('mallory')).toBe(false);
    expect(await s.exists('nobody')).toBe(false);
    expect(await s.list()).toEqual(['alice', 'bob', 'carol']);
  });

  it('is read-only: registration, password change and removal are not-allowed', async () => {
    const s = store();
    expect(s.writable).toBe(false);
    expect(s.capabilities).toEqual(new Set(['password:test']));
    for (const r of [await s.create(), await s.setPassword(), await s.remove()]) expect(r).toMatchObject({ ok: false, condition: 'not-allowed' });
    expect(await s.getScram('alice', 'SHA-256')).toBeNull();
  });
});

describe('when slapd stops', () => {
  it('logins fail as directory trouble, and work again when it is back', async () => {
    const s = store({ timeoutMs: 1000 });
    expect(await s.testPassword('bob', 'bob-pw')).toBe(true);
    await slapd.stop();
    try {
      await expect(s.testPassword('bob', 'bob-pw')).rejects.toThrow();
      await expect(s.exists('bob')).rejects.toThrow();
    } finally {
      await slapd.start();
    }
    expect(await s.testPassword('bob', 'bob-pw')).toBe(true);
    expect(await s.testPassword('bob', 'wrong')).toBe(false);
  });
});

describe('the opt-in SCRAM cache', () => {
  let dir = '';
  let bus: Bus;
  let stopNats: () => Promise<void>;
  let now = Date.now();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cx-ldap-scram-'));
    const nats = await startNats({ dataDir: dir });
    stopNats = nats.stop;
    bus = await connectBus({ servers: nats.url, name: 'ldap-test', log });
  });

  afterAll(async () => {
    await bus?.close();
    await stopNats?.();
    rmSync(dir, { recursive: true, force: true });
  });

  const cached = async () => store({}, await LdapScramCache.open(bus, { iterations: 4096, lifetimeMs: 60_000, now: () => now }));

  it('offers SCRAM and keeps keys derived at a PLAIN login over TLS, until the lifetime', async () => {
    const s = await cached();
    expect(s.capabilities).toEqual(new Set(['password:test', 'scram:SHA-1', 'scram:SHA-256']));
    expect(await s.getScram('alice', 'SHA-1')).toBeNull();
    expect(await s.testPassword('alice', 'alice-pw', { secure: true })).toBe(true);
    for (const hash of ['SHA-1', 'SHA-256'] as const) {
      const k = await s.getScram('alice', hash);
      expect(k && (await checkScramPassword('alice-pw', hash, k))).toBe(true);
    }
    now += 61_000;
    expect(await s.getScram('alice', 'SHA-256')).toBeNull();
  });

  it('derives nothing from a login on an unencrypted stream or with a wrong password', async () => {
    const s = await cached();
    expect(await s.testPassword('bob', 'bob-pw', { secure: false })).toBe(true);
    expect(await s.testPassword('bob', 'wrong', { secure: true })).toBe(false);
    expect(await s.getScram('bob', 'SHA-1')).toBeNull();
  });
});
