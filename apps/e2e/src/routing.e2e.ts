// Routing between sessions on two edge processes (RFC 6120 §10, RFC 6121
// §8.5), server IQs (XEP-0199, XEP-0030), and resource conflicts.
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { login, register, uniqueName, type RawClient } from '@cx/testing';

const [edgeA, edgeB] = inject('edgePorts');
const open: RawClient[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

async function user(prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  await register(edgeA, name, 'pw');
  return name;
}

async function session(port: number, name: string, opts: Parameters<typeof login>[3] = {}) {
  const s = await login(port, name, 'pw', opts);
  open.push(s.c);
  return s;
}

let romeo: string;
let juliet: string;
beforeAll(async () => {
  romeo = await user('romeo');
  juliet = await user('juliet');
});

describe('messages between edges', () => {
  it('a message to a full JID arrives with from stamped, both ways', async () => {
    const r = await session(edgeA, romeo, { presence: true });
    const j = await session(edgeB, juliet, { presence: true });
    r.c.send(`<message to='${j.jid}' type='chat' id='m1'><body>Hello Juliet</body></message>`);
    const got = await j.c.until((el) => el.name === 'message');
    expect(got.attrs).toMatchObject({ from: r.jid, to: j.jid, type: 'chat', id: 'm1' });
    expect(got.getChildText('body')).toBe('Hello Juliet');
    j.c.send(`<message to='${r.jid}' type='chat' id='m2'><body>Hello Romeo</body></message>`);
    const back = await r.c.until((el) => el.name === 'message');
    expect(back.attrs).toMatchObject({ from: j.jid, id: 'm2' });
  });

  it('keeps the order of many messages', async () => {
    const r = await session(edgeA, romeo, { presence: true, resource: 'order' });
    const j = await session(edgeB, juliet, { presence: true, resource: 'order' });
    for (let i = 0; i < 200; i++) r.c.send(`<message to='${j.jid}' id='o${i}'><body>${i}</body></message>`);
    for (let i = 0; i < 200; i++) expect((await j.c.until((el) => el.name === 'message')).attrs.id).toBe(`o${i}`);
  });

  it('a message to a bare JID goes to the available resources of highest non-negative priority (RFC 6121 §8.5.2.1.1)', async () => {
    const r = await session(edgeA, romeo, { presence: true });
    const high = await session(edgeA, juliet, { resource: 'high', presence: '<presence><priority>10</priority></presence>' });
    const low = await session(edgeB, juliet, { resource: 'low', presence: '<presence><priority>1</priority></presence>' });
    const neg = await session(edgeB, juliet, { resource: 'neg', presence: '<presence><priority>-1</priority></presence>' });
    const high2 = await session(edgeB, juliet, { resource: 'high2', presence: '<presence><priority>10</priority></presence>' });
    r.c.send(`<message to='${juliet}@localhost' type='chat' id='bare1'><body>to the best</body></message>`);
    for (const s of [high, high2]) expect((await s.c.until((el) => el.name === 'message')).attrs.id).toBe('bare1');
    const isMessage = (el: { name: string }) => el.name === 'message';
    await low.c.quiet(300, isMessage);
    await neg.c.quiet(50, isMessage);
  });

  it('a message to an offline full JID falls back to the bare JID (RFC 6121 §8.5.3.2.1)', async () => {
    const r = await session(edgeA, romeo, { presence: true });
    const j = await session(edgeB, juliet, { resource: 'here', presence: true });
    r.c.send(`<message to='${juliet}@localhost/gone' type='chat' id='fb'><body>x</body></message>`);
    expect((await j.c.until((el) => el.name === 'message')).attrs).toMatchObject({ id: 'fb', to: `${juliet}@localhost/gone` });
  });

  it('a message to an account that does not exist, or groupchat to an offline one, gets service-unavailable', async () => {
    const r = await session(edgeA, romeo, { presence: true });
    const offline = `${await user('offline')}@localhost`;
    for (const [to, type] of [
      ['nosuchuser@localhost', 'chat'],
      [offline, 'groupchat'],
    ]) {
      r.c.send(`<message to='${to}' type='${type}' id='su'><body>anyone?</body></message>`);
      const err = await r.c.until((el) => el.name === 'message');
      expect(err.attrs).toMatchObject({ type: 'error', id: 'su', from: to });
      expect(err.getChild('error')?.getChild('service-unavailable', 'urn:ietf:params:xml:ns:xmpp-stanzas')).toBeDefined();
      expect(err.getChildText('body')).toBe('anyone?');
    }
  });

  it('a message to another domain gets remote-server-not-found, a malformed JID jid-malformed', async () => {
    const r = await session(edgeA, romeo);
    r.c.send(`<message to='someone@example.net' id='rs'><body>x</body></message>`);
    expect((await r.c.until((el) => el.name === 'message')).getChild('error')?.getChild('remote-server-not-found')).toBeDefined();
    r.c.send(`<message to='a@b@c/d' id='jm'><body>x</body></message>`);
    expect((await r.c.until((el) => el.name === 'message')).getChild('error')?.getChild('jid-malformed')).toBeDefined();
  });

  it('presence to another domain gets remote-server-not-found too (RFC 6120 §10.4.3), except unavailable and errors', async () => {
    const r = await session(edgeA, romeo, { presence: true });
    const isError = (el: { name: string; attrs: Record<string, string> }) => el.name === 'presence' && el.attrs.type === 'error';
    // what Profanity's /join sends: directed presence with the MUC namespace
    r.c.send(`<presence to='room@conference.example.org/nick' id='join'><x xmlns='http://jabber.org/protocol/muc'/></presence>`);
    const join = await r.c.until(isError);
    expect(join.attrs).toMatchObject({ id: 'join', from: 'room@conference.example.org/nick', to: r.jid });
    expect(join.getChild('error')?.getChild('remote-server-not-found')).toBeDefined();
    // a subscription request too, and the roster is left as it was (nothing was delivered)
    r.c.send(`<iq type='get' id='rg'><query xmlns='jabber:iq:roster'/></iq>`);
    await r.c.until((el) => el.attrs.id === 'rg');
    r.c.send(`<presence to='far@example.net' type='subscribe' id='sub'/>`);
    const sub = await r.c.until(isError);
    expect(sub.attrs).toMatchObject({ id: 'sub', from: 'far@example.net' });
    expect(sub.getChild('error')?.getChild('remote-server-not-found')).toBeDefined();
    r.c.send(`<iq type='get' id='rg2'><query xmlns='jabber:iq:roster'/></iq>`);
    expect((await r.c.until((el) => el.attrs.id === 'rg2')).getChild('query')?.getChildren('item')).toEqual([]);
    // never for unavailable or an error
    r.c.send(`<presence to='room@conference.example.org/nick' type='unavailable'/>`);
    r.c.send(
      `<presence to='far@example.net' type='error'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>`,
    );
    await r.c.quiet(500, (el) => el.name === 'presence' && el.attrs.from !== r.jid);
  });
});

describe('iq', () => {
  it('an iq to a full JID on another edge, and its result back', async () => {
    const r = await session(edgeA, romeo);
    const j = await session(edgeB, juliet);
    r.c.send(`<iq type='get' id='q1' to='${j.jid}'><query xmlns='jabber:iq:version'/></iq>`);
    const req = await j.c.until((el) => el.name === 'iq');
    expect(req.attrs).toMatchObject({ type: 'get', id: 'q1', from: r.jid });
    j.c.send(`<iq type='result' id='q1' to='${r.jid}'><query xmlns='jabber:iq:version'><name>test</name></query></iq>`);
    const res = await r.c.until((el) => el.name === 'iq');
    expect(res.attrs).toMatchObject({ type: 'result', id: 'q1', from: j.jid });
  });

  it('an iq to an unavailable full JID gets service-unavailable', async () => {
    const r = await session(edgeA, romeo);
    r.c.send(`<iq type='get' id='q2' to='${juliet}@localhost/nobody'><query xmlns='jabber:iq:version'/></iq>`);
    const err = await r.c.until((el) => el.name === 'iq');
    expect(err.attrs).toMatchObject({ type: 'error', id: 'q2' });
    expect(err.getChild('error')?.getChild('service-unavailable')).toBeDefined();
  });

  it('XEP-0199 ping and XEP-0030 disco#info to the server; service-unavailable for the rest', async () => {
    const r = await session(edgeB, romeo);
    r.c.send(`<iq type='get' id='p' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
    expect((await r.c.element()).attrs).toMatchObject({ type: 'result', id: 'p', from: 'localhost' });
    r.c.send(`<iq type='get' id='d' to='localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`);
    const info = (await r.c.element()).getChild('query', 'http://jabber.org/protocol/disco#info');
    expect(info?.getChild('identity')?.attrs).toMatchObject({ category: 'server', type: 'im' });
    expect(info?.getChildren('feature').map((f) => f.attrs.var)).toEqual(expect.arrayContaining(['urn:xmpp:ping', 'http://jabber.org/protocol/disco#info']));
    r.c.send(`<iq type='get' id='u' to='localhost'><query xmlns='urn:example:unknown'/></iq>`);
    const u = await r.c.element();
    expect(u.attrs).toMatchObject({ type: 'error', id: 'u', from: 'localhost' });
    expect(u.getChild('error')?.attrs.type).toBe('cancel');
    expect(u.getChild('error')?.getChild('service-unavailable')).toBeDefined();
  });
});

describe('resource conflicts', () => {
  it('the new session wins; the old one gets a conflict stream error', async () => {
    const old = await session(edgeA, romeo, { resource: 'dup', presence: true });
    const fresh = await session(edgeB, romeo, { resource: 'dup' });
    expect(fresh.jid).toBe(old.jid);
    await old.c.expectStreamError('conflict');
    fresh.c.send(`<iq type='get' id='alive' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
    expect((await fresh.c.until((el) => el.name === 'iq')).attrs.id).toBe('alive');
  });
});
