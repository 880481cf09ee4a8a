// XEP-0163 PEP on XEP-0060 with XEP-0223 publish-options, as clients use it
// (OMEMO, avatars), with users on both edges (and so, through NATS, either
// router): raw XML, then @xmpp/client.
import { createHash, randomUUID } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { client, xml, type Client } from '@xmpp/client';
import type { Element } from '@cx/xmpp-core';
import { register, TEST_PASSWORD, TestSessions, type RawClient } from '@cx/testing';

const [edgeA, edgeB] = inject('edgePorts');
const t = new TestSessions(edgeA);
const started: Client[] = [];
afterEach(async () => {
  t.closeAll();
  await Promise.all(started.splice(0).map((c) => c.stop().catch(() => undefined)));
});

const PUBSUB = 'http://jabber.org/protocol/pubsub';
const OWNER = `${PUBSUB}#owner`;
const EVENT = `${PUBSUB}#event`;
const ERRORS = `${PUBSUB}#errors`;
const OMEMO_DEVICES = 'urn:xmpp:omemo:2:devices';
const OMEMO_BUNDLES = 'urn:xmpp:omemo:2:bundles';
const LEGACY_DEVICELIST = 'eu.siacs.conversations.axolotl.devicelist';

let ids = 0;
async function iq(c: RawClient, type: 'get' | 'set', body: string, to?: string): Promise<Element> {
  const id = `pep${++ids}`;
  c.send(`<iq type='${type}' id='${id}'${to ? ` to='${to}'` : ''}>${body}</iq>`);
  return c.until((el) => el.name === 'iq' && el.attrs.id === id);
}

const options = (fields: Record<string, string>) =>
  `<publish-options><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>${PUBSUB}#publish-options</value></field>${Object.entries(
    fields,
  )
    .map(([k, v]) => `<field var='pubsub#${k}'><value>${v}</value></field>`)
    .join('')}</x></publish-options>`;

const publish = (node: string, item: string, id?: string, opts?: Record<string, string>) =>
  `<pubsub xmlns='${PUBSUB}'><publish node='${node}'><item${id ? ` id='${id}'` : ''}>${item}</item></publish>${opts ? options(opts) : ''}</pubsub>`;

const items = (node: string, extra = '', inner = '') => `<pubsub xmlns='${PUBSUB}'><items node='${node}'${extra}>${inner}</items></pubsub>`;

const itemIds = (r: Element) =>
  r
    .getChild('pubsub', PUBSUB)
    ?.getChild('items')
    ?.getChildren('item')
    .map((i) => i.attrs.id);

const event = (node: string) => (el: Element) => el.name === 'message' && el.getChild('event', EVENT)?.getChild('items')?.attrs.node === node;

/** XEP-0115 caps for a client with these features, and the disco#info it answers with. */
function caps(features: string[]) {
  const node = 'https://example.org/pep-e2e';
  const all = [...new Set(['http://jabber.org/protocol/caps', 'http://jabber.org/protocol/disco#info', ...features])].sort();
  const ver = createHash('sha1')
    .update(`client/pc//pep-e2e<${all.map((f) => `${f}<`).join('')}`)
    .digest('base64');
  return {
    presence: `<presence><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='${node}' ver='${ver}'/></presence>`,
    /** Answer the server's disco#info query (only the first client with these caps is asked). */
    async answer(c: RawClient): Promise<void> {
      const q = await c.until((el) => el.name === 'iq' && el.attrs.type === 'get' && !!el.getChild('query', 'http://jabber.org/protocol/disco#info'));
      expect(q.attrs.from).toBe('localhost');
      expect(q.getChild('query')?.attrs.node).toBe(`${node}#${ver}`);
      c.send(
        `<iq type='result' id='${q.attrs.id}' to='localhost'><query xmlns='http://jabber.org/protocol/disco#info' node='${node}#${ver}'><identity category='client' type='pc' name='pep-e2e'/>${all
          .map((f) => `<feature var='${f}'/>`)
          .join('')}</query></iq>`,
      );
    },
  };
}

/** Make two logged-in users contacts with subscription both. */
async function befriend(a: { c: RawClient; jid: string }, b: { c: RawClient; jid: string }): Promise<void> {
  const bare = (j: string) => j.slice(0, j.indexOf('/'));
  for (const [x, y] of [
    [a, b],
    [b, a],
  ] as const) {
    x.c.send(`<presence to='${bare(y.jid)}' type='subscribe'/>`);
    await y.c.until((el) => el.name === 'presence' && el.attrs.type === 'subscribe' && el.attrs.from === bare(x.jid));
    y.c.send(`<presence to='${bare(x.jid)}' type='subscribed'/>`);
    await x.c.until((el) => el.name === 'presence' && el.attrs.type === 'subscribed');
  }
}

describe('PEP (XEP-0163): discovery', () => {
  it("an account's disco#info has pubsub/pep and the pubsub features; disco#items lists its nodes", async () => {
    const a = await t.account('pepdisco');
    const s = await t.login(edgeA, a.name);
    const info = await iq(s.c, 'get', `<query xmlns='http://jabber.org/protocol/disco#info'/>`, a.bare);
    const q = info.getChild('query');
    expect(q?.getChildren('identity').map((i) => `${i.attrs.category}/${i.attrs.type}`)).toEqual(['account/registered', 'pubsub/pep']);
    const features = q?.getChildren('feature').map((f) => f.attrs.var) ?? [];
    for (const f of [
      'publish',
      'publish-options',
      'auto-create',
      'multi-items',
      'config-node-max',
      'access-presence',
      'last-published',
      'filtered-notifications',
    ])
      expect(features).toContain(`${PUBSUB}#${f}`);
    expect((await iq(s.c, 'set', publish('urn:xmpp:nick', `<nick xmlns='http://jabber.org/protocol/nick'>A</nick>`))).attrs.type).toBe('result');
    const list = await iq(s.c, 'get', `<query xmlns='http://jabber.org/protocol/disco#items'/>`, a.bare);
    expect(
      list
        .getChild('query')
        ?.getChildren('item')
        .map((i) => i.attrs),
    ).toEqual([{ jid: a.bare, node: 'urn:xmpp:nick' }]);
  });
});

describe('PEP: OMEMO nodes with access_model=open', () => {
  it('a device list and bundles published with publish-options are fetched by a stranger on the other edge', async () => {
    const a = await t.account('omemo');
    const b = await t.account('stranger');
    const sa = await t.login(edgeA, a.name, { presence: true });
    const sb = await t.login(edgeB, b.name, { presence: true });
    const open = { access_model: 'open', max_items: 'max' };
    const devices = `<devices xmlns='${OMEMO_DEVICES}'><device id='12345'/></devices>`;
    const r1 = await iq(sa.c, 'set', publish(OMEMO_DEVICES, devices, 'current', open));
    expect(r1.attrs.type).toBe('result');
    expect(r1.getChild('pubsub')?.getChild('publish')?.getChild('item')?.attrs.id).toBe('current');
    for (const dev of ['12345', '67890'])
      expect(
        (await iq(sa.c, 'set', publish(OMEMO_BUNDLES, `<bundle xmlns='urn:xmpp:omemo:2'><spk id='1'>key${dev}</spk></bundle>`, dev, open))).attrs.type,
      ).toBe('result');
    const legacy = `<list xmlns='eu.siacs.conversations.axolotl'><device id='12345'/></list>`;
    expect((await iq(sa.c, 'set', publish(LEGACY_DEVICELIST, legacy, 'current', { access_model: 'open' }))).attrs.type).toBe('result');

    const got = await iq(sb.c, 'get', items(OMEMO_DEVICES), a.bare);
    expect(got.attrs.type).toBe('result');
    expect(got.getChild('pubsub')?.getChild('items')?.getChild('item')?.getChild('devices', OMEMO_DEVICES)?.getChild('device')?.attrs.id).toBe('12345');
    expect(itemIds(await iq(sb.c, 'get', items(OMEMO_BUNDLES), a.bare))).toEqual(['67890', '12345']); // newest first
    const one = await iq(sb.c, 'get', items(OMEMO_BUNDLES, '', `<item id='67890'/>`), a.bare);
    expect(itemIds(one)).toEqual(['67890']);
    expect(one.getChild('pubsub')?.getChild('items')?.getChild('item')?.getChild('bundle')?.getChildText('spk')).toBe('key67890');
    expect(itemIds(await iq(sb.c, 'get', items(OMEMO_BUNDLES, ` max_items='1'`), a.bare))).toEqual(['67890']);
    expect(itemIds(await iq(sb.c, 'get', items(LEGACY_DEVICELIST), a.bare))).toEqual(['current']);
  });

  it('publish-options that do not match are precondition-not-met; after configuring, the publish goes through', async () => {
    const a = await t.account('precond');
    const s = await t.login(edgeB, a.name);
    const node = 'urn:xmpp:avatar:metadata';
    expect((await iq(s.c, 'set', publish(node, `<metadata xmlns='${node}'/>`, 'h1'))).attrs.type).toBe('result');
    const refused = await iq(s.c, 'set', publish(node, `<metadata xmlns='${node}'/>`, 'h2', { access_model: 'open' }));
    expect(refused.attrs.type).toBe('error');
    expect(refused.getChild('error')?.getChild('conflict')).toBeDefined();
    expect(refused.getChild('error')?.getChild('precondition-not-met', ERRORS)).toBeDefined();
    // The client reconfigures the node (owner get, set) and publishes again, as Conversations does.
    const form = await iq(s.c, 'get', `<pubsub xmlns='${OWNER}'><configure node='${node}'/></pubsub>`);
    const fields = form.getChild('pubsub')?.getChild('configure')?.getChild('x')?.getChildren('field') ?? [];
    expect(fields.find((f) => f.attrs.var === 'pubsub#access_model')?.getChildText('value')).toBe('presence');
    const set = await iq(
      s.c,
      'set',
      `<pubsub xmlns='${OWNER}'><configure node='${node}'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>${PUBSUB}#node_config</value></field><field var='pubsub#access_model'><value>open</value></field><field var='pubsub#unknown_thing'><value>x</value></field></x></configure></pubsub>`,
    );
    expect(set.attrs.type).toBe('result');
    expect((await iq(s.c, 'set', publish(node, `<metadata xmlns='${node}'/>`, 'h2', { access_model: 'open' }))).attrs.type).toBe('result');
  });
});

describe('PEP: access, retract, purge, delete', () => {
  it('presence access: a stranger gets presence-subscription-required, a contact gets the items', async () => {
    const a = await t.account('private');
    const b = await t.account('friend');
    const c = await t.account('nosy');
    const sa = await t.login(edgeA, a.name, { presence: true });
    const sb = await t.login(edgeB, b.name, { presence: true });
    const sc = await t.login(edgeB, c.name, { presence: true });
    await befriend(sa, sb);
    expect((await iq(sa.c, 'set', publish('urn:xmpp:avatar:data', `<data xmlns='urn:xmpp:avatar:data'>AAAA</data>`, 'h'))).attrs.type).toBe('result');
    const no = await iq(sc.c, 'get', items('urn:xmpp:avatar:data'), a.bare);
    expect(no.getChild('error')?.getChild('not-authorized')).toBeDefined();
    expect(no.getChild('error')?.getChild('presence-subscription-required', ERRORS)).toBeDefined();
    expect(itemIds(await iq(sb.c, 'get', items('urn:xmpp:avatar:data'), a.bare))).toEqual(['h']);
    // Bookmarks published without publish-options stay private (whitelist), even from a contact.
    await iq(sa.c, 'set', publish('urn:xmpp:bookmarks:1', `<conference xmlns='urn:xmpp:bookmarks:1'/>`, 'room@muc'));
    const closed = await iq(sb.c, 'get', items('urn:xmpp:bookmarks:1'), a.bare);
    expect(closed.getChild('error')?.getChild('closed-node', ERRORS)).toBeDefined();
    expect((await iq(sc.c, 'get', items('no-such-node'), a.bare)).getChild('error')?.getChild('item-not-found')).toBeDefined();
    expect((await iq(sc.c, 'set', publish('x', '<x xmlns="y"/>'), a.bare)).getChild('error')?.getChild('forbidden')).toBeDefined();
    const disco = await iq(sc.c, 'get', `<query xmlns='http://jabber.org/protocol/disco#items'/>`, a.bare);
    expect(disco.getChild('query')?.getChildren('item')).toEqual([]);
  });

  it('retract, purge and delete notify the contacts whose caps ask; items get follows', async () => {
    const a = await t.account('owner');
    const b = await t.account('watcher');
    const node = `urn:test:pep:${randomUUID()}`;
    const sa = await t.login(edgeA, a.name, { presence: true });
    const sb = await t.login(edgeB, b.name, { presence: true });
    await befriend(sa, sb);
    const cb = caps([`${node}+notify`]);
    sb.c.send(cb.presence);
    await cb.answer(sb.c);
    await new Promise((r) => setTimeout(r, 300));
    const cfg = { max_items: '10' };
    expect((await iq(sa.c, 'set', publish(node, `<n xmlns='urn:test'>1</n>`, 'one', cfg))).attrs.type).toBe('result');
    const ev = await sb.c.until(event(node));
    expect(ev.attrs).toMatchObject({ from: a.bare, to: sb.jid, type: 'headline' });
    expect(ev.getChild('event')?.getChild('items')?.getChild('item')?.attrs.id).toBe('one');
    expect(ev.getChild('event')?.getChild('items')?.getChild('item')?.getChildText('n')).toBe('1');
    await iq(sa.c, 'set', publish(node, `<n xmlns='urn:test'>2</n>`, 'two', cfg));
    await sb.c.until(event(node));
    const r = await iq(sa.c, 'set', `<pubsub xmlns='${PUBSUB}'><retract node='${node}' notify='true'><item id='one'/></retract></pubsub>`);
    expect(r.attrs.type).toBe('result');
    const rev = await sb.c.until(event(node));
    expect(rev.getChild('event')?.getChild('items')?.getChild('retract')?.attrs.id).toBe('one');
    expect(itemIds(await iq(sb.c, 'get', items(node), a.bare))).toEqual(['two']);
    expect((await iq(sa.c, 'set', `<pubsub xmlns='${OWNER}'><purge node='${node}'/></pubsub>`)).attrs.type).toBe('result');
    await sb.c.until((el) => el.name === 'message' && el.getChild('event', EVENT)?.getChild('purge')?.attrs.node === node);
    expect(itemIds(await iq(sb.c, 'get', items(node), a.bare))).toEqual([]);
    expect((await iq(sa.c, 'set', `<pubsub xmlns='${OWNER}'><delete node='${node}'/></pubsub>`)).attrs.type).toBe('result');
    await sb.c.until((el) => el.name === 'message' && el.getChild('event', EVENT)?.getChild('delete')?.attrs.node === node);
    expect((await iq(sb.c, 'get', items(node), a.bare)).getChild('error')?.getChild('item-not-found')).toBeDefined();
  });
});

describe('PEP: notifications follow caps (XEP-0115) and presence', () => {
  it("the owner's and contacts' resources with +notify get events; the last item comes when a contact comes online", async () => {
    const a = await t.account('nickowner');
    const b = await t.account('nickfan');
    const node = `urn:test:nick:${randomUUID()}`;
    const sa = await t.login(edgeA, a.name, { presence: true });
    const sb = await t.login(edgeB, b.name, { presence: true });
    await befriend(sa, sb);
    const wants = caps([`${node}+notify`]);
    sb.c.send(wants.presence);
    await wants.answer(sb.c);
    const deaf = await t.login(edgeA, b.name, { resource: 'deaf', presence: true }); // no caps: no events
    await new Promise((r) => setTimeout(r, 300));
    expect((await iq(sa.c, 'set', publish(node, `<nick xmlns='http://jabber.org/protocol/nick'>Ann</nick>`, 'current'))).attrs.type).toBe('result');
    expect((await sb.c.until(event(node))).getChild('event')?.getChild('items')?.getChild('item')?.getChildText('nick')).toBe('Ann');
    await deaf.c.quiet(400, event(node));
    // It shows caps asking for the node in a later presence: the last item follows.
    deaf.c.send(wants.presence);
    expect((await deaf.c.until(event(node))).getChild('event')?.getChild('items')?.getChild('item')?.attrs.id).toBe('current');
    // Another resource of the contact with the same caps (known now: not asked again) gets the last item at its initial presence.
    const later = await t.login(edgeA, b.name, { resource: 'later' });
    later.c.send(wants.presence);
    const last = await later.c.until(event(node));
    expect(last.attrs.to).toBe(later.jid);
    expect(last.getChild('event')?.getChild('items')?.getChild('item')?.attrs.id).toBe('current');
    expect(last.getChild('delay', 'urn:xmpp:delay')?.attrs.stamp).toMatch(/Z$/);
    // The owner's own resource with the caps gets its own events too.
    const own = await t.login(edgeB, a.name, { resource: 'own' });
    own.c.send(wants.presence);
    await own.c.until(event(node)); // the last item, at its initial presence
    await iq(sa.c, 'set', publish(node, `<nick xmlns='http://jabber.org/protocol/nick'>Anna</nick>`, 'current'));
    expect((await own.c.until(event(node))).getChild('event')?.getChild('items')?.getChild('item')?.getChildText('nick')).toBe('Anna');
  });

  it('a contact whose subscription is approved gets the last items its caps ask for at once', async () => {
    const a = await t.account('approver');
    const b = await t.account('asker');
    const node = `urn:test:mood:${randomUUID()}`;
    const sa = await t.login(edgeA, a.name, { presence: true });
    const sb = await t.login(edgeB, b.name);
    const wants = caps([`${node}+notify`]);
    sb.c.send(wants.presence);
    await wants.answer(sb.c);
    await iq(sa.c, 'set', publish(node, `<mood xmlns='http://jabber.org/protocol/mood'><happy/></mood>`, 'm1'));
    await sb.c.quiet(300, event(node));
    sb.c.send(`<presence to='${a.bare}' type='subscribe'/>`);
    await sa.c.until((el) => el.name === 'presence' && el.attrs.type === 'subscribe');
    sa.c.send(`<presence to='${b.bare}' type='subscribed'/>`);
    const ev = await sb.c.until(event(node));
    expect(ev.attrs).toMatchObject({ from: a.bare, to: sb.jid });
    expect(ev.getChild('event')?.getChild('items')?.getChild('item')?.attrs.id).toBe('m1');
  });

  it('a contact the owner blocks (XEP-0191) gets no events', async () => {
    const a = await t.account('blocker');
    const b = await t.account('blockee');
    const node = `urn:test:blocked:${randomUUID()}`;
    const sa = await t.login(edgeA, a.name, { presence: true });
    const sb = await t.login(edgeB, b.name, { presence: true });
    await befriend(sa, sb);
    const wants = caps([`${node}+notify`]);
    sb.c.send(wants.presence);
    await wants.answer(sb.c);
    await iq(sa.c, 'set', publish(node, `<v xmlns='urn:test'>1</v>`, 'one'));
    await sb.c.until(event(node));
    expect((await iq(sa.c, 'set', `<block xmlns='urn:xmpp:blocking'><item jid='${b.bare}'/></block>`)).attrs.type).toBe('result');
    await iq(sa.c, 'set', publish(node, `<v xmlns='urn:test'>2</v>`, 'two'));
    await sb.c.quiet(500, event(node));
  });

  it('an explicit subscription gets the last item at once and later events', async () => {
    const a = await t.account('subowner');
    const b = await t.account('subscriber');
    const sa = await t.login(edgeA, a.name, { presence: true });
    const sb = await t.login(edgeB, b.name, { presence: true });
    await iq(sa.c, 'set', publish('urn:test:open', `<v xmlns='urn:test'>1</v>`, 'a', { access_model: 'open' }));
    const sub = await iq(sb.c, 'set', `<pubsub xmlns='${PUBSUB}'><subscribe node='urn:test:open' jid='${sb.jid}'/></pubsub>`, a.bare);
    expect(sub.getChild('pubsub')?.getChild('subscription')?.attrs).toMatchObject({ node: 'urn:test:open', jid: sb.jid, subscription: 'subscribed' });
    expect((await sb.c.until(event('urn:test:open'))).getChild('event')?.getChild('items')?.getChild('item')?.attrs.id).toBe('a');
    await iq(sa.c, 'set', publish('urn:test:open', `<v xmlns='urn:test'>2</v>`, 'b', { access_model: 'open' }));
    expect((await sb.c.until(event('urn:test:open'))).getChild('event')?.getChild('items')?.getChild('item')?.attrs.id).toBe('b');
  });
});

describe('PEP: bookmarks in sync (XEP-0411, XEP-0402 compat)', () => {
  const B2 = 'urn:xmpp:bookmarks:1';
  const privateGet = `<query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query>`;
  const rooms = (r: Element) =>
    r
      .getChild('query')
      ?.getChild('storage')
      ?.getChildren('conference')
      .map((c) => c.attrs.jid)
      .sort();

  it('XEP-0048 in private XML shows in PEP (storage:bookmarks and urn:xmpp:bookmarks:1), and back', async () => {
    const a = await t.account('bookmarks');
    const s = await t.login(edgeA, a.name);
    const s2 = await t.login(edgeB, a.name, { resource: 'other' });
    const info = await iq(s.c, 'get', `<query xmlns='http://jabber.org/protocol/disco#info'/>`, a.bare);
    const features = info
      .getChild('query')
      ?.getChildren('feature')
      .map((f) => f.attrs.var);
    expect(features).toEqual(expect.arrayContaining(['urn:xmpp:bookmarks-conversion:0', `${B2}#compat`, `${B2}#compat-pep`]));
    const set = await iq(
      s.c,
      'set',
      `<query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'><conference jid='one@muc.example' name='One' autojoin='true'><nick>me</nick></conference><conference jid='two@muc.example' autojoin='false'/><url name='site' url='https://example.org'/></storage></query>`,
    );
    expect(set.attrs.type).toBe('result');
    const poll = async (fn: () => Promise<boolean>) => {
      for (let i = 0; i < 50 && !(await fn()); i++) await new Promise((r) => setTimeout(r, 100));
    };
    let b2: Element | undefined;
    await poll(async () => (itemIds((b2 = await iq(s2.c, 'get', items(B2))))?.length ?? 0) === 2);
    expect(itemIds(b2!)?.sort()).toEqual(['one@muc.example', 'two@muc.example']);
    const one = b2!
      .getChild('pubsub')
      ?.getChild('items')
      ?.getChildren('item')
      .find((i) => i.attrs.id === 'one@muc.example')
      ?.getChild('conference', B2);
    expect(one?.attrs).toMatchObject({ name: 'One', autojoin: 'true' });
    expect(one?.getChildText('nick')).toBe('me');
    const legacy = await iq(s2.c, 'get', items('storage:bookmarks'));
    expect(legacy.getChild('pubsub')?.getChild('items')?.getChild('item')?.getChild('storage')?.getChildren('conference')).toHaveLength(2);
    // Nobody else reads them.
    const form = await iq(s.c, 'get', `<pubsub xmlns='${OWNER}'><configure node='${B2}'/></pubsub>`);
    const access = form
      .getChild('pubsub')
      ?.getChild('configure')
      ?.getChild('x')
      ?.getChildren('field')
      .find((f) => f.attrs.var === 'pubsub#access_model');
    expect(access?.getChildText('value')).toBe('whitelist');

    // A XEP-0402 client adds a room and removes one: the XEP-0048 forms follow, the <url/> stays.
    const opts = { persist_items: 'true', access_model: 'whitelist', send_last_published_item: 'never', max_items: 'max' };
    const added = await iq(s2.c, 'set', publish(B2, `<conference xmlns='${B2}' name='Three' autojoin='true'/>`, 'three@muc.example', opts));
    expect(added.attrs.type).toBe('result');
    await iq(s2.c, 'set', `<pubsub xmlns='${PUBSUB}'><retract node='${B2}' notify='true'><item id='two@muc.example'/></retract></pubsub>`);
    let priv: Element | undefined;
    await poll(async () => JSON.stringify(rooms((priv = await iq(s.c, 'get', privateGet)))) === JSON.stringify(['one@muc.example', 'three@muc.example']));
    expect(rooms(priv!)).toEqual(['one@muc.example', 'three@muc.example']);
    expect(priv!.getChild('query')?.getChild('storage')?.getChild('url')?.attrs.url).toBe('https://example.org');
    const inPep = async () =>
      (await iq(s.c, 'get', items('storage:bookmarks')))
        .getChild('pubsub')
        ?.getChild('items')
        ?.getChild('item')
        ?.getChild('storage')
        ?.getChildren('conference')
        .map((c) => c.attrs.jid)
        .sort();
    await poll(async () => (await inPep())?.length === 2);
    expect(await inPep()).toEqual(['one@muc.example', 'three@muc.example']);
  });
});

describe('PEP: avatars in sync with the vCard (XEP-0398)', () => {
  const DATA = 'urn:xmpp:avatar:data';
  const META = 'urn:xmpp:avatar:metadata';
  const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');
  const sha1 = createHash('sha1').update(png).digest('hex');
  const poll = async (fn: () => Promise<boolean>) => {
    for (let i = 0; i < 50 && !(await fn()); i++) await new Promise((r) => setTimeout(r, 100));
  };

  it('a XEP-0084 avatar becomes the vCard PHOTO; an empty metadata removes it', async () => {
    const a = await t.account('avatar');
    const b = await t.account('viewer');
    const sa = await t.login(edgeA, a.name);
    const sb = await t.login(edgeB, b.name);
    const info = await iq(sa.c, 'get', `<query xmlns='http://jabber.org/protocol/disco#info'/>`, a.bare);
    expect(
      info
        .getChild('query')
        ?.getChildren('feature')
        .map((f) => f.attrs.var),
    ).toContain('urn:xmpp:pep-vcard-conversion:0');
    const open = { access_model: 'open' };
    expect((await iq(sa.c, 'set', publish(DATA, `<data xmlns='${DATA}'>${png.toString('base64')}</data>`, sha1, open))).attrs.type).toBe('result');
    const meta = `<metadata xmlns='${META}'><info id='${sha1}' bytes='${png.length}' type='image/png' width='1' height='1'/></metadata>`;
    expect((await iq(sa.c, 'set', publish(META, meta, sha1, open))).attrs.type).toBe('result');
    const photo = async () => (await iq(sb.c, 'get', `<vCard xmlns='vcard-temp'/>`, a.bare)).getChild('vCard')?.getChild('PHOTO');
    await poll(async () => !!(await photo()));
    expect((await photo())?.getChildText('TYPE')).toBe('image/png');
    expect((await photo())?.getChildText('BINVAL')).toBe(png.toString('base64'));
    await iq(sa.c, 'set', publish(META, `<metadata xmlns='${META}'/>`, 'off', open));
    await poll(async () => !(await photo()));
    expect(await photo()).toBeUndefined();
  });

  it("XEP-0153: a client's presence without a photo hash carries the avatar's, for contacts", async () => {
    const a = await t.account('hashed');
    const b = await t.account('hashfan');
    const sa = await t.login(edgeA, a.name, { presence: true });
    const sb = await t.login(edgeB, b.name, { presence: true });
    await befriend(sa, sb);
    const open = { access_model: 'open' };
    await iq(sa.c, 'set', publish(DATA, `<data xmlns='${DATA}'>${png.toString('base64')}</data>`, sha1, open));
    await iq(sa.c, 'set', publish(META, `<metadata xmlns='${META}'><info id='${sha1}' bytes='${png.length}' type='image/png'/></metadata>`, sha1, open));
    const fromA = (el: Element) => el.name === 'presence' && String(el.attrs.from).startsWith(`${a.bare}/`) && el.attrs.type === undefined;
    sa.c.send(caps([]).presence);
    const p = await sb.c.until((el) => fromA(el) && !!el.getChild('c', 'http://jabber.org/protocol/caps'));
    expect(p.getChild('x', 'vcard-temp:x:update')?.getChildText('photo')).toBe(sha1);
    // A client that says its own hash keeps it.
    sa.c.send(`<presence><x xmlns='vcard-temp:x:update'><photo>abc</photo></x></presence>`);
    const own = await sb.c.until(fromA);
    expect(own.getChildren('x', 'vcard-temp:x:update').map((e) => e.getChildText('photo'))).toEqual(['abc']);
    // A bare presence (no caps, no x:update) is left alone.
    sa.c.send(`<presence><status>plain</status></presence>`);
    expect((await sb.c.until(fromA)).getChild('x', 'vcard-temp:x:update')).toBeUndefined();
  });

  it('a vCard PHOTO becomes the XEP-0084 avatar, its item id the SHA-1 of the image', async () => {
    const a = await t.account('vcardpic');
    const b = await t.account('looker');
    const sa = await t.login(edgeA, a.name);
    const sb = await t.login(edgeB, b.name);
    const set = await iq(
      sa.c,
      'set',
      `<vCard xmlns='vcard-temp'><FN>Pic</FN><PHOTO><TYPE>image/png</TYPE><BINVAL>${png.toString('base64')}</BINVAL></PHOTO></vCard>`,
    );
    expect(set.attrs.type).toBe('result');
    let m: Element | undefined;
    await poll(async () => (m = await iq(sb.c, 'get', items(META), a.bare)).attrs.type === 'result');
    const infoEl = m!.getChild('pubsub')?.getChild('items')?.getChild('item')?.getChild('metadata', META)?.getChild('info');
    expect(infoEl?.attrs).toMatchObject({ id: sha1, bytes: String(png.length), type: 'image/png' });
    const d = await iq(sb.c, 'get', items(DATA, '', `<item id='${sha1}'/>`), a.bare);
    expect(d.getChild('pubsub')?.getChild('items')?.getChild('item')?.getChildText('data')).toBe(png.toString('base64'));
    expect((await iq(sb.c, 'get', `<vCard xmlns='vcard-temp'/>`, a.bare)).getChild('vCard')?.getChildText('FN')).toBe('Pic');
  });
});

describe('PEP: storage bounds and account removal', () => {
  it('removing the account deletes its nodes: a new account of the same name has none', async () => {
    const a = await t.account('pepgone');
    const s = await t.login(edgeA, a.name);
    await iq(s.c, 'set', publish('urn:test:gone', `<v xmlns='urn:test'/>`, 'x', { access_model: 'open' }));
    expect((await iq(s.c, 'set', `<query xmlns='jabber:iq:register'><remove/></query>`)).attrs.type).toBe('result');
    // Registering the same name again works once the removal has run (the router removes the data first).
    const again = await reRegister(a.name);
    const s2 = await t.login(edgeB, a.name);
    expect(again).toBe(true);
    const r = await iq(s2.c, 'get', items('urn:test:gone'));
    expect(r.getChild('error')?.getChild('item-not-found')).toBeDefined();
  });
});

async function reRegister(name: string): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    try {
      await register(edgeB, name, TEST_PASSWORD);
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return false;
}

describe('PEP with @xmpp/client', () => {
  it('publishes with publish-options, and another client on the other edge reads it', async () => {
    const a = await t.account('xjsa');
    const b = await t.account('xjsb');
    const ca = client({ service: `xmpp://127.0.0.1:${edgeA}`, domain: 'localhost', username: a.name, password: TEST_PASSWORD });
    const cb = client({ service: `xmpp://127.0.0.1:${edgeB}`, domain: 'localhost', username: b.name, password: TEST_PASSWORD });
    for (const c of [ca, cb]) {
      c.on('error', () => undefined);
      started.push(c);
    }
    await Promise.all([ca.start(), cb.start()]);
    const res = await ca.iqCaller.set(
      xml(
        'pubsub',
        { xmlns: PUBSUB },
        xml(
          'publish',
          { node: LEGACY_DEVICELIST },
          xml('item', { id: 'current' }, xml('list', { xmlns: 'eu.siacs.conversations.axolotl' }, xml('device', { id: '42' }))),
        ),
        xml(
          'publish-options',
          {},
          xml(
            'x',
            { xmlns: 'jabber:x:data', type: 'submit' },
            xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, `${PUBSUB}#publish-options`)),
            xml('field', { var: 'pubsub#access_model' }, xml('value', {}, 'open')),
          ),
        ),
      ),
    );
    expect(res?.getChild('publish')?.getChild('item')?.attrs.id).toBe('current');
    const got = await cb.iqCaller.get(xml('pubsub', { xmlns: PUBSUB }, xml('items', { node: LEGACY_DEVICELIST })), a.bare);
    expect(got?.getChild('items')?.getChild('item')?.getChild('list')?.getChild('device')?.attrs.id).toBe('42');
  });
});
