// A NATS outage is survived: while nats-server is down the services say they
// are not ready (gRPC health NOT_SERVING, /readyz 503) but stay up, clients
// get errors for what could not be done and nothing already accepted is lost;
// once it is back (same port, same data) they reconnect and everything works
// again. This file runs its own stack so it can stop nats-server.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createClient } from '@cx/grpc';
import { healthv1 } from '@cx/proto';
import { login, register, uniqueName, type RawClient } from '@cx/testing';
import { startNats, startStack, type Stack } from '@cx/stack';
import { scrapePort } from './prometheus';

let stack: Stack;
const dataDir = mkdtempSync(join(tmpdir(), 'cx-outage-'));
const logs: string[] = [];
const { SERVING, NOT_SERVING } = healthv1.HealthCheckResponse_ServingStatus;

beforeAll(async () => {
  stack = await startStack({
    dataDir,
    metrics: true,
    onLine: (name: string, line: string) => {
      logs.push(`${name} ${line}`);
      if (process.env.E2E_VERBOSE) console.log(name, line);
    },
    env: { REGISTRATION_OPEN: 'true', LOG_LEVEL: 'warn', ALLOW_PLAINTEXT_AUTH: 'true', ACCOUNT_CACHE_SIZE: '0' },
  });
});

afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function health(addr: string): Promise<number | undefined> {
  const client = createClient(healthv1.HealthClient, addr);
  try {
    return (await call(client.check.bind(client), { service: '' }, 2000)).status;
  } catch {
    return undefined;
  } finally {
    client.close();
  }
}

async function ready(name: string): Promise<number> {
  const p = stack.procs.find((x) => x.name === name)!;
  return (await fetch(`http://127.0.0.1:${p.metricsPort}/readyz`)).status;
}

async function eventually(fn: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}

const grpcAddrs = () => [stack.addrs.AUTH_ADDR, stack.addrs.SESSION_ADDR, stack.addrs.ROUTER_ADDR];

async function chat(from: RawClient, to: string, to$: RawClient, id: string): Promise<void> {
  from.send(`<message to='${to}' type='chat' id='${id}'><body>${id}</body></message>`);
  await to$.until((el) => el.name === 'message' && el.attrs.id === id);
}

describe('NATS outage', () => {
  it('is survived', async () => {
    const [port] = stack.edgePorts;
    const [alice, bob, carol, dave, erin] = ['alice', 'bob', 'carol', 'dave', 'erin'].map((n) => uniqueName(n));
    for (const u of [alice, bob, carol, dave, erin]) await register(port!, u!, 'pw');
    const a = await login(port!, alice!, 'pw', { presence: true });
    const b = await login(port!, bob!, 'pw', { presence: true });
    const e = await login(port!, erin!, 'pw', { presence: true }); // with stream management (XEP-0198)
    e.c.send(`<enable xmlns='urn:xmpp:sm:3' resume='true'/>`);
    await e.c.until((el) => el.name === 'enabled');
    await chat(a.c, b.jid, b.c, 'before');

    await stack.nats.stop();
    await eventually(async () => (await Promise.all(grpcAddrs().map(health))).every((s) => s === NOT_SERVING));
    await eventually(async () => (await ready('edge')) === 503);
    for (const name of ['auth', 'session', 'router', 'edge'])
      expect((await scrapePort(stack.procs.find((p) => p.name === name)!.metricsPort)).get('xmpp_nats_connected'), name).toBe(0);

    // During the outage: every message gets an error of type wait, to try again; presence is dropped quietly.
    a.c.send(`<presence><show>away</show></presence>`);
    for (const [to, id] of [
      [b.jid, 'to-online'],
      [`${carol}@localhost`, 'to-offline'],
    ] as const) {
      a.c.send(`<message to='${to}' type='chat' id='${id}'><body>${id}</body></message>`);
      const err = await a.c.until((el) => el.attrs.id === id);
      expect(err.attrs.type).toBe('error');
      expect(err.getChild('error')?.attrs.type).toBe('wait');
      expect(err.getChild('error')?.getChild('internal-server-error', 'urn:ietf:params:xml:ns:xmpp-stanzas')).toBeDefined();
    }
    // A stream-managed session's error goes through JetStream like all it receives: it arrives once NATS is back.
    e.c.send(`<message to='${b.jid}' type='chat' id='sm-during'><body>sm-during</body></message>`);
    // A login cannot finish (no session registry): it fails at once, temporarily.
    await expect(login(port!, dave!, 'pw')).rejects.toThrow(/temporary-auth-failure/);

    const nats = await startNats({ dataDir, port: stack.nats.port, onLine: (l) => logs.push(`nats ${l}`) });
    stack.nats.stop = nats.stop;
    await eventually(async () => (await Promise.all(grpcAddrs().map(health))).every((s) => s === SERVING), 30_000);
    await eventually(async () => (await ready('edge')) === 200, 30_000);
    for (const name of ['auth', 'session', 'router', 'edge']) {
      const m = await scrapePort(stack.procs.find((p) => p.name === name)!.metricsPort);
      expect(m.get('xmpp_nats_connected'), name).toBe(1);
      expect(m.get('xmpp_nats_disconnects_total'), name).toBeGreaterThanOrEqual(1);
      expect(m.get('xmpp_nats_reconnects_total'), name).toBeGreaterThanOrEqual(1);
    }

    const smErr = await e.c.until((el) => el.attrs.id === 'sm-during', 10_000);
    expect(smErr.getChild('error')?.attrs.type).toBe('wait');
    await chat(e.c, b.jid, b.c, 'sm-after');

    // Afterwards: the sessions from before still chat both ways, new logins work, offline storage works.
    await chat(a.c, b.jid, b.c, 'after-1');
    await chat(b.c, a.jid, a.c, 'after-2');
    const d = await login(port!, dave!, 'pw', { presence: true });
    await chat(d.c, b.jid, b.c, 'after-3');
    a.c.send(`<message to='${carol}@localhost' type='chat' id='stored'><body>stored</body></message>`);
    await a.c.quiet(500, (el) => el.attrs.id === 'stored'); // no error: stored
    const c = await login(port!, carol!, 'pw', { presence: true });
    await c.c.until((el) => el.name === 'message' && el.attrs.id === 'stored');
    expect(logs.filter((l) => /"level":"(fatal)"|Uncaught|TypeError/.test(l))).toEqual([]);
    for (const x of [a, b, c, d, e]) x.c.close();
  }, 120_000);
});
