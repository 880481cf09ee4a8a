// issue 9 #6 and #9 with the real stack: a client-controlled value that
// would make an oversized NATS subject (a 4 KB private-XML namespace, a JID
// of 1023 bytes) gets a clean answer and the router's NATS connection stays
// up for everyone; each per-user store refuses past its bound with the
// error that fits, keeps what it had, and counts the refusal. This file runs
// its own stack (one router, small bounds, metrics).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Element } from '@cx/xmpp-core';
import { login, register, uniqueName, type RawClient } from '@cx/testing';
import { startStack, type Stack } from '@cx/stack';
import { scrapePort } from './prometheus';

let stack: Stack;
let port: number;
const dataDir = mkdtempSync(join(tmpdir(), 'cx-bounds-'));
const clients: RawClient[] = [];

beforeAll(async () => {
  stack = await startStack({
    dataDir,
    metrics: true,
    onLine: (name: string, line: string) => process.env.E2E_VERBOSE && console.log(name, line),
    env: {
      REGISTRATION_OPEN: 'true',
      LOG_LEVEL: 'warn',
      ALLOW_PLAINTEXT_AUTH: 'true',
      ROSTER_MAX_ITEMS: '3',
      SUBSCRIPTION_MAX_PENDING: '2',
      SUBSCRIPTION_STATUS_MAX_BYTES: '16',
      PRIVATE_MAX_ITEMS: '3',
      PRIVATE_MAX_BYTES: '16384',
      VCARD_MAX_BYTES: '2048',
      BLOCKLIST_MAX_ITEMS: '2',
      OFFLINE_MAX_BYTES: '8000',
    },
  });
  port = stack.edgePorts[0]!;
});

afterAll(async () => {
  for (const c of clients) c.close();
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function user(prefix: string, presence = false): Promise<{ c: RawClient; jid: string; bare: string }> {
  const name = uniqueName(prefix);
  await register(port, name, 'pw');
  const u = await login(port, name, 'pw', { presence });
  clients.push(u.c);
  return { ...u, bare: `${name}@localhost` };
}

let n = 0;
async function iq(c: RawClient, type: 'get' | 'set', payload: string, to?: string): Promise<Element> {
  const id = `b${++n}`;
  c.send(`<iq type='${type}' id='${id}'${to ? ` to='${to}'` : ''}>${payload}</iq>`);
  return c.until((el) => el.name === 'iq' && el.attrs.id === id);
}

const condition = (el: Element) =>
  el.getChild('error')?.children.find((c) => typeof c !== 'string' && c.attrs.xmlns === 'urn:ietf:params:xml:ns:xmpp-stanzas') as Element | undefined;
const router = () => scrapePort(stack.procs.find((p) => p.name.startsWith('router'))?.metricsPort);
const rejections = async (store: string) => (await router()).get(`xmpp_router_store_rejections_total{store="${store}"}`) ?? 0;

describe('oversized subjects (issue 9 #6)', () => {
  it('a 4 KB private namespace gets a clean answer, and the router keeps serving others', async () => {
    const alice = await user('alice');
    const bob = await user('bob', true);
    const ns = `urn:example:${'n'.repeat(4096)}`;
    const set = await iq(alice.c, 'set', `<query xmlns='jabber:iq:private'><p xmlns='${ns}'>kept</p></query>`);
    expect(set.attrs.type).toBe('result');
    const got = await iq(alice.c, 'get', `<query xmlns='jabber:iq:private'><p xmlns='${ns}'/></query>`);
    expect(got.getChild('query')?.getChild('p')?.getText()).toBe('kept');
    // A JID with a 1023-byte local part (RFC 7622's bound; 3069 characters once encoded) is answered too.
    const far = `${'é'.repeat(511)}x@localhost`;
    alice.c.send(`<message to='${far}' id='far' type='chat'><body>hi</body></message>`);
    expect((await alice.c.until((el) => el.name === 'message' && el.attrs.id === 'far')).attrs.type).toBe('error');
    // Others are still served by the same router, which never lost NATS.
    const roster = await iq(bob.c, 'get', `<query xmlns='jabber:iq:roster'/>`);
    expect(roster.attrs.type).toBe('result');
    alice.c.send(`<message to='${bob.bare}' id='m1' type='chat'><body>still here</body></message>`);
    expect((await bob.c.until((el) => el.name === 'message' && el.attrs.id === 'm1')).getChildText('body')).toBe('still here');
    const m = await router();
    expect(m.get('xmpp_nats_disconnects_total')).toBe(0);
    expect(m.get('xmpp_nats_connected')).toBe(1);
  });
});

describe('per-user store bounds (issue 9 #9)', () => {
  it('roster: an item past ROSTER_MAX_ITEMS gets resource-constraint, the roster stays readable', async () => {
    const u = await user('roster');
    const setItem = (jid: string) => iq(u.c, 'set', `<query xmlns='jabber:iq:roster'><item jid='${jid}' name='${'n'.repeat(200)}'/></query>`);
    for (const j of ['a@x.example', 'b@x.example', 'c@x.example']) expect((await setItem(j)).attrs.type).toBe('result');
    const before = await rejections('roster');
    const over = await setItem('d@x.example');
    expect(over.attrs.type).toBe('error');
    expect(condition(over)?.name).toBe('resource-constraint');
    expect((await setItem('a@x.example')).attrs.type).toBe('result'); // changing an item does not grow the roster
    // A subscribe to a new contact would add an item too: an error presence comes back and nothing changes.
    u.c.send(`<presence to='ghost@localhost' type='subscribe'/>`);
    const refused = await u.c.until((el) => el.name === 'presence' && el.attrs.type === 'error');
    expect(refused.attrs.from).toBe('ghost@localhost');
    expect(condition(refused)?.name).toBe('resource-constraint');
    const r = await iq(u.c, 'get', `<query xmlns='jabber:iq:roster'/>`);
    expect(
      r
        .getChild('query')
        ?.getChildren('item')
        .map((i) => i.attrs.jid)
        .sort(),
    ).toEqual(['a@x.example', 'b@x.example', 'c@x.example']);
    expect(await rejections('roster')).toBe(before + 2);
  });

  it('subscription requests: the status is cut, requests past SUBSCRIPTION_MAX_PENDING are dropped silently', async () => {
    const dave = await user('dave', true);
    const senders = [await user('s1'), await user('s2'), await user('s3')];
    const before = await rejections('subscription-request');
    for (const [i, s] of senders.entries()) {
      s.c.send(`<presence to='${dave.bare}' type='subscribe'><status>${'please '.repeat(10_000)}</status></presence>`);
      s.c.send(`<message to='${dave.bare}' id='after${i}' type='chat'><body>sent</body></message>`);
      const seen: Element[] = [];
      await dave.c.until((el) => {
        if (el.name === 'presence' && el.attrs.type === 'subscribe') seen.push(el);
        return el.name === 'message' && el.attrs.id === `after${i}`;
      });
      if (i < 2) {
        expect(seen).toHaveLength(1);
        expect(seen[0]!.getChildText('status')).toBe('please please pl');
      } else expect(seen).toHaveLength(0);
    }
    expect(await rejections('subscription-request')).toBe(before + 1);
  });

  it('private XML: a namespace past PRIVATE_MAX_ITEMS, or bytes past PRIVATE_MAX_BYTES, get not-acceptable', async () => {
    const u = await user('priv');
    for (const i of [1, 2, 3]) expect((await iq(u.c, 'set', `<query xmlns='jabber:iq:private'><p xmlns='urn:p${i}'>v</p></query>`)).attrs.type).toBe('result');
    expect(condition(await iq(u.c, 'set', `<query xmlns='jabber:iq:private'><p xmlns='urn:p4'>v</p></query>`))?.name).toBe('not-acceptable');
    expect(condition(await iq(u.c, 'set', `<query xmlns='jabber:iq:private'><p xmlns='urn:p1'>${'v'.repeat(20_000)}</p></query>`))?.name).toBe(
      'not-acceptable',
    );
    expect((await iq(u.c, 'get', `<query xmlns='jabber:iq:private'><p xmlns='urn:p1'/></query>`)).getChild('query')?.getChild('p')?.getText()).toBe('v');
  });

  it('vCard past VCARD_MAX_BYTES and a block list past BLOCKLIST_MAX_ITEMS are refused', async () => {
    const u = await user('vb');
    expect(condition(await iq(u.c, 'set', `<vCard xmlns='vcard-temp'><FN>${'f'.repeat(3000)}</FN></vCard>`))?.name).toBe('not-acceptable');
    expect((await iq(u.c, 'set', `<block xmlns='urn:xmpp:blocking'><item jid='a@x.example'/><item jid='b@x.example'/></block>`)).attrs.type).toBe('result');
    const over = await iq(u.c, 'set', `<block xmlns='urn:xmpp:blocking'><item jid='c@x.example'/></block>`);
    expect(condition(over)?.name).toBe('resource-constraint');
    const list = await iq(u.c, 'get', `<blocklist xmlns='urn:xmpp:blocking'/>`);
    expect(list.getChild('blocklist')?.getChildren('item')).toHaveLength(2);
    expect(await rejections('vcard')).toBeGreaterThanOrEqual(1);
    expect(await rejections('blocklist')).toBeGreaterThanOrEqual(1);
  });

  it('offline: a message past OFFLINE_MAX_BYTES for the recipient is bounced with service-unavailable', async () => {
    const name = uniqueName('erin');
    await register(port, name, 'pw');
    const sender = await user('frank');
    const send = (id: string) => sender.c.send(`<message to='${name}@localhost' id='${id}' type='chat'><body>${'o'.repeat(3000)}</body></message>`);
    send('o1');
    send('o2');
    send('o3');
    const bounce = await sender.c.until((el) => el.name === 'message' && el.attrs.type === 'error');
    expect(bounce.attrs.id).toBe('o3');
    expect(condition(bounce)?.name).toBe('service-unavailable');
    expect(await rejections('offline')).toBeGreaterThanOrEqual(1);
    const erin = await login(port, name, 'pw', { presence: true });
    clients.push(erin.c);
    const o2 = await erin.c.until((el) => el.name === 'message' && el.attrs.id === 'o2');
    expect(o2.getChildText('body')).toHaveLength(3000);
  });
});
