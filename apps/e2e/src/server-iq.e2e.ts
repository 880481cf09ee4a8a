// Server-side IQs (RFC 6121 §8.5; XEP-0030 on accounts, XEP-0049, XEP-0054,
// XEP-0092, XEP-0012, XEP-0202) through the router and its modules.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Element } from '@cx/xmpp-core';
import { createHash } from 'node:crypto';
import { login, RawClient, register, uniqueName } from '@cx/testing';

const [edgeA, edgeB] = inject('edgePorts');
let alice: { c: RawClient; jid: string; name: string };
let bob: { c: RawClient; jid: string; name: string };
let n = 0;

beforeAll(async () => {
  const a = uniqueName('alice');
  const b = uniqueName('bob');
  await register(edgeA, a, 'pw');
  await register(edgeA, b, 'pw');
  alice = { ...(await login(edgeA, a, 'pw')), name: a };
  bob = { ...(await login(edgeB, b, 'pw')), name: b };
});
afterAll(() => {
  alice.c.close();
  bob.c.close();
});

async function iq(who: { c: RawClient }, type: 'get' | 'set', to: string | null, payload: string): Promise<Element> {
  const id = `q${++n}`;
  who.c.send(`<iq type='${type}' id='${id}'${to ? ` to='${to}'` : ''}>${payload}</iq>`);
  return who.c.until((el) => el.name === 'iq' && el.attrs.id === id);
}

const condition = (r: Element) => r.getChild('error')?.children.find((c) => typeof c !== 'string' && c.name !== 'text') as Element | undefined;

describe('server information', () => {
  it('XEP-0092 version, XEP-0202 time, XEP-0012 uptime', async () => {
    const v = await iq(alice, 'get', 'localhost', `<query xmlns='jabber:iq:version'/>`);
    expect(v.getChild('query')?.getChildText('name')).toBe('cloud-xmpp');
    expect(v.getChild('query')?.getChildText('version')).toMatch(/^\d+\.\d+\.\d+/);
    const t = await iq(alice, 'get', 'localhost', `<time xmlns='urn:xmpp:time'/>`);
    const utc = Date.parse(t.getChild('time')?.getChildText('utc') ?? '');
    expect(Math.abs(utc - Date.now())).toBeLessThan(5000);
    expect(t.getChild('time')?.getChildText('tzo')).toBe('+00:00');
    const l = await iq(alice, 'get', 'localhost', `<query xmlns='jabber:iq:last'/>`);
    expect(Number(l.getChild('query')?.attrs.seconds)).toBeGreaterThanOrEqual(0);
  });

  it('disco#info lists what is implemented, and matches the caps hash', async () => {
    const d = await iq(alice, 'get', 'localhost', `<query xmlns='http://jabber.org/protocol/disco#info'/>`);
    const features = d
      .getChild('query')
      ?.getChildren('feature')
      .map((f) => f.attrs.var);
    expect(features).toEqual(
      expect.arrayContaining(['jabber:iq:version', 'urn:xmpp:time', 'jabber:iq:last', 'vcard-temp', 'urn:xmpp:ping', 'jabber:iq:private']),
    );
  });

  it('XEP-0157: the contact addresses configured, as a serverinfo form in the domain’s disco#info', async () => {
    const d = await iq(bob, 'get', 'localhost', `<query xmlns='http://jabber.org/protocol/disco#info'/>`);
    const forms = d.getChild('query')?.getChildren('x', 'jabber:x:data') ?? [];
    expect(forms.map((f) => f.attrs.type)).toEqual(['result']);
    const fields = Object.fromEntries(
      forms[0].getChildren('field').map((f) => [f.attrs.var, { type: f.attrs.type, values: f.getChildren('value').map((v) => v.text()) }]),
    );
    expect(fields).toEqual({
      FORM_TYPE: { type: 'hidden', values: ['http://jabber.org/network/serverinfo'] },
      'abuse-addresses': { type: 'list-multi', values: ['mailto:abuse@example.org'] },
      'admin-addresses': { type: 'list-multi', values: ['xmpp:admin@localhost', 'mailto:admin@example.org'] },
    });
  });

  it('XEP-0115 §6.2: disco#info on the node of the advertised <c/> answers the same, and its hash is the ver', async () => {
    const fresh = await RawClient.connect(edgeB);
    const c = (await fresh.open()).features.getChild('c', 'http://jabber.org/protocol/caps');
    fresh.close();
    expect(c?.attrs.hash).toBe('sha-1');
    const node = `${c?.attrs.node}#${c?.attrs.ver}`;
    const plain = (await iq(alice, 'get', 'localhost', `<query xmlns='http://jabber.org/protocol/disco#info'/>`)).getChild('query') as Element;
    const onNode = await iq(alice, 'get', 'localhost', `<query xmlns='http://jabber.org/protocol/disco#info' node='${node}'/>`);
    expect(onNode.attrs.type).toBe('result');
    const q = onNode.getChild('query') as Element;
    expect(q.attrs.node).toBe(node);
    expect(q.children.map(String)).toEqual(plain.children.map(String));
    // XEP-0115 §5.1 and §5.4 (the contact-address form), computed here independently (one identity, one form, ASCII: plain sorts suffice).
    const ids = q
      .getChildren('identity')
      .map((i) => `${i.attrs.category}/${i.attrs.type}/${i.attrs['xml:lang'] ?? ''}/${i.attrs.name ?? ''}<`)
      .sort();
    const vars = q
      .getChildren('feature')
      .map((f) => `${f.attrs.var}<`)
      .sort();
    const forms = q.getChildren('x', 'jabber:x:data');
    expect(forms).toHaveLength(1);
    const fields = forms[0].getChildren('field');
    const formType = fields.find((f) => f.attrs.var === 'FORM_TYPE')?.getChildText('value');
    const form = [
      `${formType}<`,
      ...fields
        .filter((f) => f.attrs.var !== 'FORM_TYPE')
        .sort((a, b) => (a.attrs.var < b.attrs.var ? -1 : 1))
        .flatMap((f) => [
          `${f.attrs.var}<`,
          ...f
            .getChildren('value')
            .map((v) => `${v.text()}<`)
            .sort(),
        ]),
    ];
    expect(
      createHash('sha1')
        .update([...ids, ...vars, ...form].join(''))
        .digest('base64'),
    ).toBe(c?.attrs.ver);
    const other = await iq(alice, 'get', 'localhost', `<query xmlns='http://jabber.org/protocol/disco#info' node='${c?.attrs.node}#nope'/>`);
    expect(condition(other)?.name).toBe('item-not-found');
  });
});

describe('accounts (XEP-0030)', () => {
  it('answers disco#info for one’s own and another account, service-unavailable for none', async () => {
    const own = await iq(alice, 'get', null, `<query xmlns='http://jabber.org/protocol/disco#info'/>`);
    expect(own.getChild('query')?.getChild('identity')?.attrs).toMatchObject({ category: 'account', type: 'registered' });
    const other = await iq(alice, 'get', `${bob.name}@localhost`, `<query xmlns='http://jabber.org/protocol/disco#info'/>`);
    expect(other.attrs).toMatchObject({ type: 'result', from: `${bob.name}@localhost` });
    expect(other.getChild('query')?.getChild('identity')?.attrs.category).toBe('account');
    const none = await iq(alice, 'get', 'nobody-here@localhost', `<query xmlns='http://jabber.org/protocol/disco#info'/>`);
    expect(condition(none)?.name).toBe('service-unavailable');
  });
});

describe('private XML storage (XEP-0049)', () => {
  it('stores and returns a fragment by namespace, only for oneself', async () => {
    const empty = await iq(alice, 'get', null, `<query xmlns='jabber:iq:private'><prefs xmlns='urn:example:prefs'/></query>`);
    expect(empty.getChild('query')?.getChild('prefs')?.toString()).toBe('<prefs xmlns="urn:example:prefs"/>');
    expect(
      (await iq(alice, 'set', null, `<query xmlns='jabber:iq:private'><prefs xmlns='urn:example:prefs'><theme>dark</theme></prefs></query>`)).attrs.type,
    ).toBe('result');
    const got = await iq(alice, 'get', null, `<query xmlns='jabber:iq:private'><prefs xmlns='urn:example:prefs'/></query>`);
    expect(got.getChild('query')?.getChild('prefs')?.getChildText('theme')).toBe('dark');
    expect(condition(await iq(alice, 'set', null, `<query xmlns='jabber:iq:private'><x xmlns='jabber:client'/></query>`))?.name).toBe('not-acceptable');
    expect(
      condition(await iq(bob, 'get', `${alice.name}@localhost`, `<query xmlns='jabber:iq:private'><prefs xmlns='urn:example:prefs'/></query>`))?.name,
    ).toBe('forbidden');
    const bobs = await iq(bob, 'get', null, `<query xmlns='jabber:iq:private'><prefs xmlns='urn:example:prefs'/></query>`);
    expect(bobs.getChild('query')?.getChild('prefs')?.children).toEqual([]);
  });
});

describe('vcard-temp (XEP-0054)', () => {
  it('sets one’s own vCard, which others can read; refuses a malformed one and keeps the old', async () => {
    const none = await iq(bob, 'get', `${alice.name}@localhost`, `<vCard xmlns='vcard-temp'/>`);
    expect(none.getChild('vCard', 'vcard-temp')?.children).toEqual([]);
    expect((await iq(alice, 'set', null, `<vCard xmlns='vcard-temp'><FN>Alice Liddell</FN><NICKNAME>al</NICKNAME></vCard>`)).attrs.type).toBe('result');
    const mine = await iq(alice, 'get', null, `<vCard xmlns='vcard-temp'/>`);
    expect(mine.getChild('vCard')?.getChildText('FN')).toBe('Alice Liddell');
    const seen = await iq(bob, 'get', `${alice.name}@localhost`, `<vCard xmlns='vcard-temp'/>`);
    expect(seen.attrs.from).toBe(`${alice.name}@localhost`);
    expect(seen.getChild('vCard')?.getChildText('NICKNAME')).toBe('al');
    const bad = await iq(alice, 'set', null, `<vCard xmlns='vcard-temp'>loose text<FN>x</FN></vCard>`);
    expect(bad.attrs.type).toBe('error');
    expect(condition(bad)?.name).toBe('bad-request');
    const badPhoto = await iq(alice, 'set', null, `<vCard xmlns='vcard-temp'><PHOTO><TYPE>image/png</TYPE><BINVAL>not*base64!</BINVAL></PHOTO></vCard>`);
    expect(condition(badPhoto)?.name).toBe('bad-request');
    expect((await iq(alice, 'get', null, `<vCard xmlns='vcard-temp'/>`)).getChild('vCard')?.getChildText('FN')).toBe('Alice Liddell');
    expect(condition(await iq(bob, 'set', `${alice.name}@localhost`, `<vCard xmlns='vcard-temp'><FN>mallory</FN></vCard>`))?.name).toBe('forbidden');
    expect(condition(await iq(bob, 'get', 'ghost-user@localhost', `<vCard xmlns='vcard-temp'/>`))?.name).toBe('service-unavailable');
  });
});
