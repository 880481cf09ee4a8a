// The session registry lives in JetStream KV: it survives a restart of the
// session service, and the sessions of an edge that died (SIGKILL) end and are
// announced over NATS. This file runs its own stack so it can kill parts of it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { eventsv1, sessionv1 } from '@cx/proto';
import { call, createClient } from '@cx/grpc';
import { login, register, uniqueName } from '@cx/testing';
import { freePort, startApp, startStack, waitForPort, type Proc, type Stack } from '@cx/stack';

let stack: Stack;
let nc: NatsConnection;
const exec = promisify(execFile);
const dataDir = mkdtempSync(join(tmpdir(), 'cx-resilience-'));

beforeAll(async () => {
  stack = await startStack({
    dataDir,
    edges: 2,
    onLine: (name: string, line: string) => process.env.E2E_VERBOSE && console.log(name, line),
    env: {
      REGISTRATION_OPEN: 'true',
      ALLOW_PLAINTEXT_AUTH: 'true',
      LOG_LEVEL: 'warn',
      EDGE_TTL_MS: '2000',
      HEARTBEAT_INTERVAL_MS: '500',
      EDGE_SWEEP_INTERVAL_MS: '500',
    },
  });
  nc = await connect({ servers: stack.nats.url });
});

afterAll(async () => {
  await nc?.close();
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('account changes across auth replicas', () => {
  it('a password changed through one auth replica stops the old one working through another at once', async () => {
    const [a] = stack.edgePorts;
    const erin = uniqueName('erin');
    await register(a, erin, 'old');
    (await login(a, erin, 'old')).c.close(); // the edge's auth replica now has erin cached
    const auth = stack.procs.find((p) => p.name === 'auth') as Proc;
    const [port, adminPort] = [await freePort(), await freePort()];
    const second = startApp('auth', { ...auth.env, AUTH_GRPC_PORT: String(port), AUTH_ADMIN_PORT: String(adminPort) });
    try {
      await waitForPort(port);
      await waitForPort(adminPort);
      const ctl = (...args: string[]) =>
        exec(process.execPath, [join(__dirname, '../../../dist/apps/xmppctl/main.cjs'), ...args], {
          env: { ...process.env, ...stack.adminAddrs, AUTH_ADDR: `127.0.0.1:${adminPort}` },
        });
      await ctl('passwd', erin, 'new');
      await expect(login(a, erin, 'old')).rejects.toThrow(/not-authorized/);
      (await login(a, erin, 'new')).c.close();
      await ctl('unregister', erin);
      await expect(login(a, erin, 'new')).rejects.toThrow(/not-authorized/);
    } finally {
      await second.stop();
    }
  });
});

describe('session registry', () => {
  it('survives a restart of the session service', async () => {
    const [a, b] = stack.edgePorts;
    const alice = uniqueName('alice');
    const bob = uniqueName('bob');
    await register(a, alice, 'pw');
    await register(a, bob, 'pw');
    const al = await login(a, alice, 'pw', { presence: true });
    const session = stack.procs.find((p) => p.name === 'session') as Proc;
    await session.stop();
    stack.restart(session);
    const bo = await login(b, bob, 'pw', { presence: true });
    // The restarted service rebuilt its view from the bucket: alice is still online.
    const { stdout } = await exec(process.execPath, [join(__dirname, '../../../dist/apps/xmppctl/main.cjs'), 'connected'], {
      env: { ...process.env, ...stack.adminAddrs },
    });
    expect(stdout).toContain(al.jid);
    bo.c.send(`<message to='${al.jid}' id='after-restart'><body>still there?</body></message>`);
    expect((await al.c.until((el) => el.name === 'message')).attrs.id).toBe('after-restart');
    al.c.close();
    bo.c.close();
  });

  it('sessions keep chatting and new logins work across restarts of router and auth', async () => {
    const [a, b] = stack.edgePorts;
    const fay = uniqueName('fay');
    const gus = uniqueName('gus');
    await register(a, fay, 'pw');
    await register(a, gus, 'pw');
    const f = await login(a, fay, 'pw', { presence: true });
    const g = await login(b, gus, 'pw', { presence: true });
    for (const name of ['router', 'auth']) {
      const p = stack.procs.find((x) => x.name === name) as Proc;
      const t0 = Date.now();
      await p.stop();
      expect(Date.now() - t0).toBeLessThan(5000); // the long-lived streams end at once, not at the shutdown timeout
      stack.restart(p);
    }
    f.c.send(`<message to='${g.jid}' id='after-restarts'><body>still here</body></message>`);
    expect((await g.c.until((el) => el.name === 'message', 10_000)).attrs.id).toBe('after-restarts');
    (await login(b, fay, 'pw', { resource: 'second' })).c.close();
    f.c.close();
    g.c.close();
  }, 30_000);

  it('ends the sessions of an edge killed with SIGKILL, and says so on NATS', async () => {
    const [a, b] = stack.edgePorts;
    const carol = uniqueName('carol');
    const dave = uniqueName('dave');
    await register(a, carol, 'pw');
    await register(a, dave, 'pw');
    const ca = await login(b, carol, 'pw', { presence: true });
    const da = await login(a, dave, 'pw', { presence: true });
    const ended = new Promise<eventsv1.SessionEnded>((resolve) => {
      const sub = nc.subscribe('xmpp.session.ended', {
        callback: (_e, m) => {
          const ev = eventsv1.SessionEnded.decode(m.data);
          if (ev.fullJid === ca.jid) {
            sub.unsubscribe();
            resolve(ev);
          }
        },
      });
    });
    await nc.flush();
    const edgeB = stack.edges[1];
    edgeB.child.kill('SIGKILL');
    const ev = await ended;
    expect(ev.reason).toBe('edge-lost');
    // Now carol's session is gone: an iq to it bounces.
    da.c.send(`<iq to='${ca.jid}' type='get' id='gone'><ping xmlns='urn:xmpp:ping'/></iq>`);
    const err = await da.c.until((el) => el.name === 'iq' && el.attrs.id === 'gone');
    expect(err.attrs.type).toBe('error');
    expect(err.getChild('error')?.getChild('service-unavailable')).toBeDefined();
    da.c.close();
    const fresh = stack.restart(edgeB);
    await waitForPort(stack.edgePorts[1]);
    expect(fresh.name).toBe('edge');
  }, 30_000);
});

describe('an edge that stalls longer than EDGE_TTL_MS (issue 9 #10)', () => {
  const endedEvent = (jid: string) =>
    new Promise<eventsv1.SessionEnded>((resolve) => {
      const sub = nc.subscribe('xmpp.session.ended', {
        callback: (_e, m) => {
          const ev = eventsv1.SessionEnded.decode(m.data);
          if (ev.fullJid !== jid) return;
          sub.unsubscribe();
          resolve(ev);
        },
      });
    });

  it('leaves no socket without a session: a swept session is closed with connection-timeout, a detached SM one is attached again', async () => {
    const [a, b] = stack.edgePorts;
    await waitForPort(b);
    const [pat, sam, obi] = [uniqueName('pat'), uniqueName('sam'), uniqueName('obi')];
    for (const u of [pat, sam, obi]) await register(b, u, 'pw');
    // Listen before pat logs in: under load the edge may lapse (and be swept) before the SIGSTOP too.
    const ended = endedEvent(`${pat}@localhost/stall`);
    await nc.flush();
    const p = await login(a, pat, 'pw', { presence: true, resource: 'stall' });
    const s = await login(a, sam, 'pw', { presence: true });
    s.c.send(`<enable xmlns='urn:xmpp:sm:3' resume='true'/>`);
    await s.c.until((el) => el.name === 'enabled');
    const o = await login(b, obi, 'pw', { presence: true });
    const edgeA = stack.edges[0];
    edgeA.child.kill('SIGSTOP');
    try {
      // The session service sweeps the silent edge: pat's session ends, sam's (stream-managed) is detached.
      const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error("pat's session was not swept in 15 s")), 15_000));
      expect((await Promise.race([ended, timeout])).reason).toBe('edge-lost');
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      edgeA.child.kill('SIGCONT');
    }
    // Stanzas routed to it before the edge noticed (its own unavailable, say) may come first.
    const err = await p.c.until((el) => el.name === 'stream:error', 10_000);
    expect(err.getChild('connection-timeout', 'urn:ietf:params:xml:ns:xmpp-streams')).toBeDefined();
    // sam's socket stays open and its session is attached to it again: not waiting for a resumption any more.
    const client = createClient(sessionv1.SessionServiceClient, stack.adminAddrs.SESSION_ADDR);
    const entry = async () => (await call(client.getSessions.bind(client), { bareJid: s.jid.split('/')[0] })).users[0]?.sessions[0];
    const deadline = Date.now() + 10_000;
    while ((await entry())?.detachedUntilMs !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(await entry()).toMatchObject({ detachedUntilMs: 0, resource: s.jid.split('/')[1] });
    client.close();
    o.c.send(`<message to='${s.jid}' id='after-stall' type='chat'><body>still with us?</body></message>`);
    expect((await s.c.until((el) => el.name === 'message', 10_000)).attrs.id).toBe('after-stall');
    s.c.close();
    o.c.close();
  }, 60_000);
});
