// External components (XEP-0114) end to end, with a component written
// elsewhere (xmpp.js's @xmpp/component): it connects to one edge, clients on
// both edges (two routers) reach it with messages and iqs and get its
// answers, what it sends users is delivered; a wrong secret, an unknown
// domain and a forged 'from' are refused; it is reachable again after a
// restart of its edge (it reconnects), and a second instance connecting to
// the other edge takes over (the first is closed with conflict). This file
// runs its own stack (COMPONENTS set) so it can restart an edge.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { component, xml, type Component } from '@xmpp/component';
import { RawClient, TestSessions } from '@cx/testing';
import type { Element } from '@cx/xmpp-core';
import { startStack, waitForPort, type Stack } from '@cx/stack';

const BOT = 'bot.localhost';
const RAW = 'raw.localhost';
const dataDir = mkdtempSync(join(tmpdir(), 'cx-component-'));
let stack: Stack;
let t: TestSessions;
const started: Component[] = [];
const raws: RawClient[] = [];

beforeAll(async () => {
  stack = await startStack({
    dataDir,
    edges: 2,
    routers: 2,
    onLine: (name: string, line: string) => process.env.E2E_VERBOSE && console.log(name, line),
    env: { REGISTRATION_OPEN: 'true', ALLOW_PLAINTEXT_AUTH: 'true', LOG_LEVEL: 'warn', COMPONENTS: `${BOT}=s3cret,raw=r4w` },
  });
  t = new TestSessions(stack.edgePorts[0]);
});

afterEach(async () => {
  t.closeAll();
  for (const r of raws.splice(0)) r.destroy();
  await Promise.all(
    started.splice(0).map((c) => {
      c.reconnect.stop();
      return c.stop().catch(() => undefined);
    }),
  );
});

afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');
const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

/** A component stream by hand: the header, then the handshake for the id the server gave. */
async function rawComponent(port: number, domain: string, secret: string): Promise<RawClient> {
  const c = await RawClient.connect(port);
  raws.push(c);
  c.send(`<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='${domain}'>`);
  const h = await c.next();
  if (h.kind !== 'header') throw new Error(`expected a header, got ${JSON.stringify(h)}`);
  expect(h.attrs).toMatchObject({ xmlns: 'jabber:component:accept', from: domain });
  expect(h.attrs.id).toBeTruthy();
  c.send(`<handshake>${sha1(h.attrs.id + secret)}</handshake>`);
  return c;
}

/** An echo bot on bot.localhost: answers messages with "<name>: <body>" and jabber:iq:version with its name. */
function echoBot(port: number, name: string): Component {
  const c = component({ service: `xmpp://127.0.0.1:${port}`, domain: BOT, password: 's3cret' });
  c.reconnect.delay = 300;
  c.on('error', () => undefined);
  c.on('stanza', (st: Element) => {
    if (!st.is('message') || st.attrs.type === 'error') return;
    void c.send(
      xml('message', { from: st.attrs.to, to: st.attrs.from, type: 'chat', id: `re-${st.attrs.id}` }, xml('body', {}, `${name}: ${st.getChildText('body')}`)),
    );
  });
  c.iqCallee.get('jabber:iq:version', 'query', () => xml('query', { xmlns: 'jabber:iq:version' }, xml('name', {}, name), xml('version', {}, '1')));
  started.push(c);
  return c;
}

const online = (c: Component) => new Promise<void>((resolve) => c.once('online', () => resolve()));

/** A logged-in client on `port` that is available (bare-JID messages reach it). */
async function user(port: number, prefix: string) {
  const a = await t.account(prefix);
  const s = await t.login(port, a.name);
  s.c.send('<presence/>');
  return { ...s, bare: a.bare };
}

let n = 0;
async function ask(c: RawClient, to: string, body: string): Promise<Element> {
  const id = `m${++n}`;
  c.send(`<message to='${to}' id='${id}' type='chat'><body>${body}</body></message>`);
  return c.until((el) => el.name === 'message' && (el.attrs.id === `re-${id}` || (el.attrs.id === id && el.attrs.type === 'error')), 8000);
}

async function version(c: RawClient, to: string): Promise<Element> {
  const id = `v${++n}`;
  c.send(`<iq to='${to}' id='${id}' type='get'><query xmlns='jabber:iq:version'/></iq>`);
  return c.until((el) => el.name === 'iq' && el.attrs.id === id, 8000);
}

/** The first reply to a message that is not an error, retried while the component is (re)connecting. */
async function eventually(c: RawClient, to: string, body: string, timeoutMs = 15000): Promise<Element> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await ask(c, to, body);
    if (r.attrs.type !== 'error' || Date.now() > until) return r;
    await new Promise((res) => setTimeout(res, 300));
  }
}

describe('external components (XEP-0114)', () => {
  it('refuses a wrong secret with not-authorized and an unknown domain with host-unknown', async () => {
    const bad = await rawComponent(stack.componentPorts[0], RAW, 'wrong');
    await bad.expectStreamError('not-authorized');
    const unknown = await RawClient.connect(stack.componentPorts[1]);
    raws.push(unknown);
    unknown.send(`<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='nobody.localhost'>`);
    await unknown.expectStreamError('host-unknown');
  });

  it("routes a hand-made component's stanzas, and closes it with invalid-from when it forges 'from'", async () => {
    const alice = await user(stack.edgePorts[1], 'ca');
    const c = await rawComponent(stack.componentPorts[0], RAW, 'r4w');
    expect((await c.element()).name).toBe('handshake');
    c.send(`<message from='someone@${RAW}/x' to='${alice.jid}' id='r1'><body>from a user of the component</body></message>`);
    const got = await alice.c.until((el) => el.name === 'message' && el.attrs.id === 'r1');
    expect(got.attrs.from).toBe(`someone@${RAW}/x`);
    // No 'to': bad-request, the stream stays.
    c.send(`<iq type='get' id='q1'><query xmlns='jabber:iq:version'/></iq>`);
    const err = await c.until((el) => el.attrs.id === 'q1');
    expect(err.attrs.type).toBe('error');
    expect(err.getChild('error')?.getChild('bad-request', STANZAS)).toBeDefined();
    c.send(`<message from='${alice.bare}' to='${alice.jid}' id='r2'><body>forged</body></message>`);
    await c.expectStreamError('invalid-from');
    await alice.c.quiet(500, (el) => el.attrs.id === 'r2');
  });

  it('serves messages and iqs from clients on both edges, and its messages reach users', async () => {
    const bot = echoBot(stack.componentPorts[0], 'first');
    await Promise.all([bot.start(), online(bot)]);
    const alice = await user(stack.edgePorts[0], 'ca');
    const bob = await user(stack.edgePorts[1], 'cb');
    for (const [u, who] of [
      [alice, 'alice'],
      [bob, 'bob'],
    ] as const) {
      const r = await ask(u.c, BOT, `hi from ${who}`);
      expect(r.attrs.from).toBe(BOT);
      expect(r.getChildText('body')).toBe(`first: hi from ${who}`);
      // An address in its domain reaches it too, any resource.
      const r2 = await ask(u.c, `echo@${BOT}/any`, 'to a user');
      expect(r2.attrs.from).toBe(`echo@${BOT}/any`);
      const v = await version(u.c, BOT);
      expect(v.attrs.type).toBe('result');
      expect(v.getChild('query')?.getChildText('name')).toBe('first');
    }
    // The component writes first, to a bare and to a full JID.
    await bot.send(xml('message', { from: `news@${BOT}`, to: alice.bare, id: 'n1', type: 'chat' }, xml('body', {}, 'news')));
    await bot.send(xml('message', { from: BOT, to: bob.jid, id: 'n2', type: 'chat' }, xml('body', {}, 'hello bob')));
    expect((await alice.c.until((el) => el.attrs.id === 'n1')).attrs.from).toBe(`news@${BOT}`);
    expect((await bob.c.until((el) => el.attrs.id === 'n2')).getChildText('body')).toBe('hello bob');
    // The server lists its components (XEP-0030 items).
    bob.c.send(`<iq to='localhost' type='get' id='items'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>`);
    const items = await bob.c.until((el) => el.attrs.id === 'items');
    const jids = items
      .getChild('query')
      ?.getChildren('item')
      .map((i) => i.attrs.jid);
    expect(jids).toEqual(expect.arrayContaining([BOT, RAW]));
  });

  it('is unavailable while its edge restarts, and reachable again once it reconnected', async () => {
    const bot = echoBot(stack.componentPorts[0], 'first');
    await Promise.all([bot.start(), online(bot)]);
    const bob = await user(stack.edgePorts[1], 'cb');
    expect((await ask(bob.c, BOT, 'before')).getChildText('body')).toBe('first: before');
    const edge = stack.edges[0];
    await edge.stop();
    const down = await ask(bob.c, BOT, 'while down');
    expect(down.attrs.type).toBe('error');
    expect(down.getChild('error')?.getChild('service-unavailable', STANZAS)).toBeDefined();
    const back = online(bot);
    stack.restart(edge);
    await waitForPort(stack.componentPorts[0], 30000);
    await back;
    const again = await eventually(bob.c, BOT, 'after');
    expect(again.getChildText('body')).toBe('first: after');
    const alice = await user(stack.edgePorts[0], 'ca');
    expect((await eventually(alice.c, BOT, 'on the restarted edge')).getChildText('body')).toBe('first: on the restarted edge');
  });

  it('a second instance connecting to the other edge takes over; the first is closed with conflict', async () => {
    const first = echoBot(stack.componentPorts[0], 'first');
    await Promise.all([first.start(), online(first)]);
    const conflict = new Promise<string>((resolve) =>
      first.on('error', (err: { condition?: string }) => {
        if (err.condition !== 'conflict') return;
        first.reconnect.stop(); // else the two would take it from each other forever
        resolve(err.condition);
      }),
    );
    const alice = await user(stack.edgePorts[0], 'ca');
    expect((await ask(alice.c, BOT, 'one')).getChildText('body')).toBe('first: one');
    const second = echoBot(stack.componentPorts[1], 'second');
    await Promise.all([second.start(), online(second)]);
    expect(await conflict).toBe('conflict');
    expect((await eventually(alice.c, BOT, 'two')).getChildText('body')).toBe('second: two');
    const bob = await user(stack.edgePorts[1], 'cb');
    expect((await ask(bob.c, BOT, 'three')).getChildText('body')).toBe('second: three');
  });
});
