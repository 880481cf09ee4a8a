// xmppctl's operator commands against the running stack, as ejabberdctl's are
// used: kick a session (even a stream-managed one, for good), send a message
// as an account or as the server (delivered, or stored offline), registered
// users and stats.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { authenticate, login, RawClient, register, uniqueName } from '@cx/testing';
import { call, createClient, status, withAdminToken, type ServiceError } from '@cx/grpc';
import { authv1, routeradminv1, sessionv1 } from '@cx/proto';

const exec = promisify(execFile);
const [port] = inject('edgePorts');
const adminEnv = inject('adminEnv');
const SM = "xmlns='urn:xmpp:sm:3'";

/** Run xmppctl; its exit code and output. */
async function ctl(...args: string[]): Promise<{ code: number; out: string }> {
  return ctlWith(adminEnv, ...args);
}

async function ctlWith(env: Record<string, string>, ...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await exec(process.execPath, [join(__dirname, '../../../dist/apps/xmppctl/main.cjs'), ...args], { env: { ...process.env, ...env } });
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

async function users(n: number): Promise<string[]> {
  const names = Array.from({ length: n }, () => uniqueName('ctl'));
  for (const u of names) await register(port!, u, 'pw');
  return names;
}

describe('xmppctl kick', () => {
  it('closes the stream with policy-violation carrying the reason, and the session is gone', async () => {
    const [alice] = await users(1);
    const a = await login(port!, alice!, 'pw', { presence: true });
    const r = await ctl('kick', alice!, 'spamming', 'the room');
    expect(r).toEqual({ code: 0, out: `kicked ${a.jid}\n` });
    const err = await a.c.until((el) => el.name === 'stream:error');
    expect(err.getChild('policy-violation', 'urn:ietf:params:xml:ns:xmpp-streams')).toBeDefined();
    expect(err.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-streams')).toBe('spamming the room');
    await a.c.closed;
    expect((await ctl('connected')).out).not.toContain(a.jid);
    expect(await ctl('kick', `${alice}@localhost/nope`)).toMatchObject({ code: 1, out: expect.stringContaining('item-not-found') });
  });

  it('ends a stream-managed session for real: it cannot be resumed', async () => {
    const [alice] = await users(1);
    const a = await login(port!, alice!, 'pw', { presence: true });
    a.c.send(`<enable ${SM} resume='true'/>`);
    const id = (await a.c.until((el) => el.name === 'enabled')).attrs.id;
    expect((await ctl('kick', a.jid)).code).toBe(0);
    await a.c.until((el) => el.name === 'stream:error');
    const c = await RawClient.connect(port!);
    await c.open();
    expect((await authenticate(c, alice!, 'pw', 'SCRAM-SHA-1')).name).toBe('success');
    await c.open();
    c.send(`<resume ${SM} previd='${id}' h='0'/>`);
    const answer = await c.until((el) => el.name === 'resumed' || el.name === 'failed');
    expect(answer.name).toBe('failed');
    c.close();
  });

  it('refuses a malformed JID', async () => {
    expect(await ctl('kick', '@@')).toMatchObject({ code: 1, out: expect.stringContaining('jid-malformed') });
  });
});

describe('xmppctl send', () => {
  it('delivers to an online user as if from an account, and from the server', async () => {
    const [alice, bob] = await users(2);
    const b = await login(port!, bob!, 'pw', { presence: true });
    expect((await ctl('send', alice!, bob!, 'hello', 'there')).code).toBe(0);
    const m = await b.c.until((el) => el.name === 'message');
    expect(m.attrs).toMatchObject({ from: `${alice}@localhost`, to: `${bob}@localhost`, type: 'chat' });
    expect(m.getChildText('body')).toBe('hello there');
    expect((await ctl('send-message', 'localhost', `${bob}@localhost`, 'maintenance at noon')).code).toBe(0);
    const s = await b.c.until((el) => el.name === 'message');
    expect(s.attrs.from).toBe('localhost');
    expect(s.getChildText('body')).toBe('maintenance at noon');
    b.c.close();
  });

  it('stores for an offline user, who gets it at the next login', async () => {
    const [alice, carol] = await users(2);
    expect((await ctl('send', alice!, carol!, 'while you were out')).code).toBe(0);
    const c = await login(port!, carol!, 'pw', { presence: true });
    const m = await c.c.until((el) => el.name === 'message');
    expect(m.getChildText('body')).toBe('while you were out');
    expect(m.getChild('delay', 'urn:xmpp:delay')).toBeDefined();
    c.c.close();
  });

  it('names what is wrong: no such account, a foreign domain', async () => {
    const [alice] = await users(1);
    expect(await ctl('send', alice!, uniqueName('nobody'), 'x')).toMatchObject({ code: 1, out: expect.stringContaining('item-not-found') });
    expect(await ctl('send', alice!, 'bob@elsewhere.example', 'x')).toMatchObject({ code: 1, out: expect.stringContaining('jid-malformed') });
    expect((await ctl('send', alice!)).code).toBe(2); // usage
  });
});

describe('xmppctl registered and stats', () => {
  it('lists accounts and counts users and sessions per edge', async () => {
    const [alice] = await users(1);
    expect((await ctl('registered')).out.split('\n')).toContain(alice);
    const a = await login(port!, alice!, 'pw');
    const { code, out } = await ctl('stats');
    expect(code).toBe(0);
    const lines = Object.fromEntries(
      out
        .trim()
        .split('\n')
        .map((l) => l.split('\t') as [string, string]),
    );
    expect(Number(lines['registered users'])).toBeGreaterThanOrEqual(1);
    expect(Number(lines['online users'])).toBeGreaterThanOrEqual(1);
    expect(Number(lines['sessions'])).toBeGreaterThanOrEqual(1);
    expect(Object.keys(lines).some((k) => k.startsWith('sessions on edge-1-'))).toBe(true);
    a.c.close();
  });
});

describe('the admin calls (issue 9 #14)', () => {
  const addrs = inject('addrs');
  const token = { interceptors: [withAdminToken(adminEnv.ADMIN_TOKEN)] };
  /** The gRPC status a call ended with (0: it succeeded). */
  const code = (p: Promise<unknown>) =>
    p.then(
      () => status.OK,
      (e: ServiceError) => e.code,
    );

  it('are refused on the data ports the edge reaches, even with the token', async () => {
    const session = createClient(sessionv1.SessionServiceClient, addrs.SESSION_ADDR, token);
    const auth = createClient(authv1.AuthServiceClient, addrs.AUTH_ADDR, token);
    const router = createClient(routeradminv1.RouterAdminServiceClient, addrs.ROUTER_ADDR, token);
    try {
      expect(await code(call(session.kick.bind(session), { jid: 'anyone@localhost', condition: '', text: '' }))).toBe(status.PERMISSION_DENIED);
      expect(await code(call(session.getSessions.bind(session), { bareJid: '' }))).toBe(status.PERMISSION_DENIED);
      expect(await code(call(auth.listUsers.bind(auth), { domain: 'localhost' }))).toBe(status.PERMISSION_DENIED);
      const name = uniqueName('sneaky');
      expect(await code(call(auth.register.bind(auth), { domain: 'localhost', username: name, password: 'pw', admin: true }))).toBe(status.PERMISSION_DENIED);
      expect(await code(call(router.sendMessage.bind(router), { from: 'localhost', to: `${name}@localhost`, body: 'x', type: 'chat', subject: '' }))).toBe(
        status.UNIMPLEMENTED,
      );
      // What the edge does on the data port still works: in-band registration (open here), existence checks.
      expect((await call(auth.register.bind(auth), { domain: 'localhost', username: name, password: 'pw', admin: false })).ok).toBe(true);
      expect((await call(auth.userExists.bind(auth), { domain: 'localhost', username: name })).exists).toBe(true);
    } finally {
      for (const c of [session, auth, router]) c.close();
    }
  });

  it('need the token on the admin ports: none or a wrong one is UNAUTHENTICATED', async () => {
    const wrong = { interceptors: [withAdminToken(`${adminEnv.ADMIN_TOKEN}x`)] };
    for (const options of [{}, wrong]) {
      const session = createClient(sessionv1.SessionServiceClient, adminEnv.SESSION_ADDR, options);
      const auth = createClient(authv1.AuthServiceClient, adminEnv.AUTH_ADDR, options);
      const router = createClient(routeradminv1.RouterAdminServiceClient, adminEnv.ROUTER_ADDR, options);
      try {
        expect(await code(call(session.kick.bind(session), { jid: 'anyone@localhost', condition: '', text: '' }))).toBe(status.UNAUTHENTICATED);
        expect(await code(call(auth.changePassword.bind(auth), { domain: 'localhost', username: 'anyone', password: 'x' }))).toBe(status.UNAUTHENTICATED);
        expect(await code(call(router.sendMessage.bind(router), { from: 'localhost', to: 'anyone@localhost', body: 'x', type: 'chat', subject: '' }))).toBe(
          status.UNAUTHENTICATED,
        );
      } finally {
        for (const c of [session, auth, router]) c.close();
      }
    }
    const refused = await ctlWith({ ...adminEnv, ADMIN_TOKEN: '' }, 'registered');
    expect(refused.code).not.toBe(0);
    expect(refused.out).toMatch(/UNAUTHENTICATED|admin token/);
    expect((await ctl('registered')).code).toBe(0);
  });
});
