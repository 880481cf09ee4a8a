// XEP-0198 stream management across separate processes: acknowledgements,
// resumption on the same edge and on another edge after the first one was
// killed with SIGKILL (every message sent meanwhile arrives exactly once), and
// what happens to unacknowledged messages when nobody resumes. This file runs
// its own stack so it can kill an edge.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate, login, RawClient, register, uniqueName } from '@cx/testing';
import type { Element } from '@cx/xmpp-core';
import { startStack, waitForPort, type Stack } from '@cx/stack';
import { call, createClient } from '@cx/grpc';
import { sessionv1 } from '@cx/proto';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager, type MsgRequest } from '@nats-io/jetstream';

const SM = "xmlns='urn:xmpp:sm:3'";
let stack: Stack;
const dataDir = mkdtempSync(join(tmpdir(), 'cx-sm-'));

beforeAll(async () => {
  stack = await startStack({
    dataDir,
    edges: 2,
    onLine: (name: string, line: string) => process.env.E2E_VERBOSE && console.log(name, line),
    env: {
      REGISTRATION_OPEN: 'true',
      LOG_LEVEL: 'warn',
      ALLOW_PLAINTEXT_AUTH: 'true',
      EDGE_TTL_MS: '2000',
      HEARTBEAT_INTERVAL_MS: '500',
      EDGE_SWEEP_INTERVAL_MS: '500',
      SM_RESUME_TIMEOUT_S: '6',
      SM_HANDOVER_GRACE_MS: '1500',
    },
  });
});

afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function users(n: number): Promise<string[]> {
  const names = Array.from({ length: n }, () => uniqueName('sm'));
  for (const u of names) await register(stack.edgePorts[0], u, 'pw');
  return names;
}

/** <enable resume='true'/> on a bound stream; returns the sm id. */
async function enable(c: RawClient): Promise<string> {
  c.send(`<enable ${SM} resume='true'/>`);
  const e = await c.until((el) => el.name === 'enabled');
  expect(e.attrs.resume).toBe('true');
  expect(Number(e.attrs.max)).toBe(6);
  return e.attrs.id;
}

const bodies = (els: Element[]) => els.filter((e) => e.name === 'message').map((e) => e.getChildText('body'));

/** Everything that arrives until nothing has for `quietMs`. */
async function drain(c: RawClient, quietMs = 700): Promise<Element[]> {
  const out: Element[] = [];
  for (;;) {
    const r = await c.next(quietMs).catch(() => undefined);
    if (!r || r.kind !== 'element') return out;
    out.push(r.el);
  }
}

/** A new stream up to SASL success and the restart, without binding. */
async function authOnly(port: number, user: string): Promise<RawClient> {
  const c = await RawClient.connect(port);
  await c.open();
  const done = await authenticate(c, user, 'pw', 'SCRAM-SHA-1');
  expect(done.name).toBe('success');
  const { features } = await c.open();
  expect(features.getChild('sm', 'urn:xmpp:sm:3')).toBeDefined();
  return c;
}

describe('XEP-0198 stream management', () => {
  it('keeps deliveries in the stream only until they are acknowledged', async () => {
    const [alice, bob] = await users(2);
    const a = await login(stack.edgePorts[0], alice, 'pw', { presence: true });
    const b = await login(stack.edgePorts[0], bob, 'pw');
    await enable(a.c);
    for (const n of ['1', '2', '3']) b.c.send(`<message to='${a.jid}' type='chat'><body>${n}</body></message>`);
    expect(bodies(await drain(a.c))).toEqual(['1', '2', '3']);
    const nc = await connect({ servers: stack.nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      const subject = `xmpp.sm.${stack.edges[0].env.EDGE_ID}`;
      const first = () => jsm.streams.getMessage('xmpp_sm', { seq: 1, next_by_subj: subject } as unknown as MsgRequest).then((m) => m?.seq ?? 0);
      expect(await first()).toBeGreaterThan(0);
      a.c.send(`<a ${SM} h='3'/>`);
      // The edge purges its subject every 5 s below the first unacknowledged delivery.
      await new Promise((r) => setTimeout(r, 6000));
      expect(await first()).toBe(0);
    } finally {
      await nc.close();
    }
    a.c.close();
    b.c.close();
  }, 20_000);

  it('is offered after authentication, counts both ways and answers <r/>', async () => {
    const [alice, bob] = await users(2);
    const a = await login(stack.edgePorts[0], alice, 'pw', { presence: true });
    const b = await login(stack.edgePorts[1], bob, 'pw');
    await enable(a.c);
    a.c.send(`<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>`);
    await a.c.until((el) => el.name === 'iq' && el.attrs.id === 'p1');
    a.c.send(`<r ${SM}/>`);
    expect((await a.c.until((el) => el.name === 'a')).attrs.h).toBe('1');
    const numbers = Array.from({ length: 10 }, (_, i) => String(i + 1));
    for (const n of numbers) b.c.send(`<message to='${a.jid}' type='chat' id='m${n}'><body>${n}</body></message>`);
    // The server asks for an acknowledgement after ten stanzas (the ping result counted too).
    const got = await drain(a.c);
    expect(bodies(got)).toEqual(numbers);
    expect(got.some((e) => e.name === 'r')).toBe(true);
    a.c.send(`<a ${SM} h='11'/>`);
    // Acknowledging more than was sent is a stream error.
    a.c.send(`<a ${SM} h='99'/>`);
    await a.c.expectStreamError('undefined-condition');
    expect(a.c.raw).toMatch(/<handled-count-too-high xmlns='urn:xmpp:sm:3' h='99' send-count='11'\/>/);
    b.c.close();
  });

  it('resumes on the same edge: unacknowledged and meanwhile messages arrive once, nothing acknowledged again', async () => {
    const [alice, bob] = await users(2);
    const port = stack.edgePorts[0];
    const a = await login(port, alice, 'pw', { presence: true });
    const b = await login(port, bob, 'pw');
    const id = await enable(a.c);
    b.c.send(['1', '2', '3'].map((n) => `<message to='${a.jid}' type='chat'><body>${n}</body></message>`).join(''));
    expect(bodies(await drain(a.c))).toEqual(['1', '2', '3']);
    a.c.send(`<a ${SM} h='1'/>`);
    await new Promise((r) => setTimeout(r, 300));
    a.c.destroy();
    await new Promise((r) => setTimeout(r, 300));
    b.c.send(`<message to='${a.jid}' type='chat'><body>4</body></message>`);
    const c = await authOnly(port, alice);
    c.send(`<resume ${SM} previd='${id}' h='1'/>`);
    const resumed = await c.until((el) => el.name === 'resumed' || el.name === 'failed');
    expect(resumed.name).toBe('resumed');
    expect(resumed.attrs.previd).toBe(id);
    expect(bodies(await drain(c))).toEqual(['2', '3', '4']);
    // The session goes on: both ways.
    b.c.send(`<message to='${a.jid}' type='chat'><body>5</body></message>`);
    expect(bodies(await drain(c))).toEqual(['5']);
    c.send(`<message to='${b.jid}' type='chat' id='back'><body>hi</body></message>`);
    expect((await b.c.until((el) => el.name === 'message')).getChildText('body')).toBe('hi');
    c.close();
    b.c.close();
  });

  it('resumes while the old connection is still open (a network switch): the old one gets conflict, nothing is lost', async () => {
    const [alice, bob] = await users(2);
    const [portA, portB] = stack.edgePorts;
    const a = await login(portA, alice, 'pw', { presence: true });
    const b = await login(portB, bob, 'pw');
    const id = await enable(a.c);
    b.c.send(`<message to='${a.jid}' type='chat'><body>first</body></message>`);
    expect(bodies(await drain(a.c))).toEqual(['first']);
    // The client moved networks: a new connection to the other edge, the old one not yet noticed dead.
    const c = await authOnly(portB, alice);
    c.send(`<resume ${SM} previd='${id}' h='0'/>`);
    expect((await c.until((el) => el.name === 'resumed' || el.name === 'failed', 10_000)).name).toBe('resumed');
    const old = await a.c.until((el) => el.name === 'stream:error', 10_000);
    expect(old.getChild('conflict')).toBeDefined();
    b.c.send(`<message to='${a.jid}' type='chat'><body>second</body></message>`);
    expect(bodies(await drain(c, 2000))).toEqual(['first', 'second']);
    c.close();
    b.c.close();
  }, 30_000);

  it('resumes on another edge after the first was killed with SIGKILL, with every message sent meanwhile delivered exactly once', async () => {
    const [alice, bob] = await users(2);
    const [portA, portB] = stack.edgePorts;
    const a = await login(portB, alice, 'pw', { presence: true });
    const b = await login(portA, bob, 'pw', { presence: true });
    const id = await enable(a.c);
    // One write: both messages travel in one router batch, one stream message (the ack point falls inside it).
    b.c.send(['1', '2'].map((n) => `<message to='${a.jid}' type='chat'><body>${n}</body></message>`).join(''));
    expect(bodies(await drain(a.c))).toEqual(['1', '2']);
    a.c.send(`<a ${SM} h='1'/>`);
    // alice's own stanzas before the kill: the server's h must say which it handled.
    a.c.send(`<message to='${b.jid}' type='chat'><body>from alice</body></message>`);
    expect((await b.c.until((el) => el.name === 'message')).getChildText('body')).toBe('from alice');
    await new Promise((r) => setTimeout(r, 400));
    const edgeB = stack.edges[1];
    edgeB.child.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    for (const n of ['3', '4', '5']) b.c.send(`<message to='${a.jid}' type='chat'><body>${n}</body></message>`);
    await new Promise((r) => setTimeout(r, 500));
    const c = await authOnly(portA, alice);
    c.send(`<resume ${SM} previd='${id}' h='1'/>`);
    const resumed = await c.until((el) => el.name === 'resumed' || el.name === 'failed', 10_000);
    expect(resumed.name).toBe('resumed');
    // The server handled alice's one message: she must not send it again.
    expect(resumed.attrs.h).toBe('1');
    expect(bodies(await drain(c, 2500))).toEqual(['2', '3', '4', '5']);
    b.c.send(`<message to='${a.jid}' type='chat'><body>6</body></message>`);
    expect(bodies(await drain(c))).toEqual(['6']);
    // Still available to bob: no unavailable presence went out for alice.
    expect(b.c.raw).not.toMatch(new RegExp(`from=['"]${a.jid.replace(/[.]/g, '\\.')}['"][^>]*type=['"]unavailable`));
    c.close();
    b.c.close();
    stack.restart(edgeB);
    await waitForPort(stack.edgePorts[1]);
  }, 40_000);

  it('a resumption claiming more than was sent fails with handled-count-too-high, and the session ends', async () => {
    const [alice, bob] = await users(2);
    const port = stack.edgePorts[0];
    const a = await login(port, alice, 'pw', { presence: true });
    const b = await login(port, bob, 'pw');
    const id = await enable(a.c);
    b.c.send(`<message to='${a.jid}' type='chat'><body>only one</body></message>`);
    expect(bodies(await drain(a.c))).toEqual(['only one']);
    a.c.destroy();
    await new Promise((r) => setTimeout(r, 300));
    const c = await authOnly(port, alice);
    c.send(`<resume ${SM} previd='${id}' h='5'/>`);
    const f = await c.until((el) => el.name === 'failed');
    expect(f.getChild('undefined-condition')).toBeDefined();
    expect(f.getChild('handled-count-too-high', 'urn:xmpp:sm:3')?.attrs).toMatchObject({ h: '5', 'send-count': '1' });
    // The stream goes on without the old session: a new one can be bound, and the unacknowledged message went offline.
    c.send(`<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>`);
    expect((await c.until((el) => el.name === 'iq')).attrs.type).toBe('result');
    c.close();
    await new Promise((r) => setTimeout(r, 2000));
    const again = await login(port, alice, 'pw', { presence: true });
    // From offline storage, or live if the router's rescue (1 s after the session ended) comes later on a busy machine.
    expect((await again.c.until((el) => el.name === 'message', 8000)).getChildText('body')).toBe('only one');
    expect(bodies(await drain(again.c, 1000))).toEqual([]);
    again.c.close();
    b.c.close();
  }, 45_000);

  it('an edge stopped with SIGTERM says system-shutdown and keeps the session resumable on another edge', async () => {
    const [alice, bob] = await users(2);
    const [portA, portB] = stack.edgePorts;
    const a = await login(portB, alice, 'pw', { presence: true });
    const b = await login(portA, bob, 'pw', { presence: true });
    const id = await enable(a.c);
    b.c.send(`<message to='${a.jid}' type='chat'><body>1</body></message>`);
    expect(bodies(await drain(a.c))).toEqual(['1']);
    const edgeB = stack.edges[1];
    const stopped = edgeB.stop('SIGTERM');
    const bye = await a.c.until((el) => el.name === 'stream:error', 10_000);
    expect(bye.getChild('system-shutdown')).toBeDefined();
    await stopped;
    b.c.send(`<message to='${a.jid}' type='chat'><body>2</body></message>`);
    const c = await authOnly(portA, alice);
    c.send(`<resume ${SM} previd='${id}' h='0'/>`);
    expect((await c.until((el) => el.name === 'resumed' || el.name === 'failed', 10_000)).name).toBe('resumed');
    expect(bodies(await drain(c, 2000))).toEqual(['1', '2']);
    c.close();
    b.c.close();
    stack.restart(edgeB);
    await waitForPort(stack.edgePorts[1]);
  }, 40_000);

  it('refuses an unknown or another user’s previd, and binding still works after', async () => {
    const [alice, mallory] = await users(2);
    const a = await login(stack.edgePorts[0], alice, 'pw');
    const id = await enable(a.c);
    const m = await authOnly(stack.edgePorts[0], mallory);
    m.send(`<resume ${SM} previd='${id}' h='0'/>`);
    const f = await m.until((el) => el.name === 'failed');
    expect(f.getChild('item-not-found')).toBeDefined();
    m.send(`<resume ${SM} previd='nope-nope-nope' h='0'/>`);
    expect((await m.until((el) => el.name === 'failed')).getChild('item-not-found')).toBeDefined();
    m.send(`<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>`);
    expect((await m.until((el) => el.name === 'iq')).attrs.type).toBe('result');
    m.close();
    a.c.close();
  });

  it('a session nobody resumes in time ends, and its unacknowledged messages go to offline storage', async () => {
    const [alice, bob] = await users(2);
    const port = stack.edgePorts[0];
    const a = await login(port, alice, 'pw', { presence: true });
    const b = await login(port, bob, 'pw');
    await enable(a.c);
    b.c.send(`<message to='${a.jid}' type='chat'><body>unacked</body></message>`);
    expect(bodies(await drain(a.c))).toEqual(['unacked']);
    a.c.destroy();
    await new Promise((r) => setTimeout(r, 500));
    b.c.send(`<message to='${a.jid}' type='chat'><body>meanwhile</body></message>`);
    // SM_RESUME_TIMEOUT_S is 6 and the sweep runs every 0.5 s: wait until the detached
    // session is gone from the registry (later on a loaded machine), then for the
    // router to settle (1 s) and store what was unacknowledged offline.
    const registry = createClient(sessionv1.SessionServiceClient, stack.adminAddrs.SESSION_ADDR);
    const bare = a.jid.split('/')[0];
    const deadline = Date.now() + 25_000;
    while ((await call(registry.getSessions.bind(registry), { bareJid: bare })).users.length > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 250));
    registry.close();
    await new Promise((r) => setTimeout(r, 2500));
    const again = await login(port, alice, 'pw', { presence: true });
    const got = await drain(again.c, 1500);
    expect(bodies(got)).toEqual(['unacked', 'meanwhile']);
    expect(got.filter((e) => e.name === 'message').every((e) => e.getChild('delay', 'urn:xmpp:delay'))).toBe(true);
    again.c.close();
    b.c.close();
  }, 30_000);

  it('closing the stream cleanly ends the session at once; unacknowledged messages go offline', async () => {
    const [alice, bob] = await users(2);
    const port = stack.edgePorts[0];
    const a = await login(port, alice, 'pw', { presence: true });
    const b = await login(port, bob, 'pw');
    await enable(a.c);
    b.c.send(`<message to='${a.jid}' type='chat'><body>left unacked</body></message>`);
    expect(bodies(await drain(a.c))).toEqual(['left unacked']);
    a.c.close();
    await new Promise((r) => setTimeout(r, 2500));
    const again = await login(port, alice, 'pw', { presence: true });
    expect(bodies(await drain(again.c, 1500))).toEqual(['left unacked']);
    again.c.close();
    b.c.close();
  });
});
