// RFC 6121 end to end, across two edges: rosters (§2), subscriptions (§3) and
// presence (§4), driven with raw XML.
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { Element } from '@cx/xmpp-core';
import { connect } from '@nats-io/transport-node';
import { eventsv1 } from '@cx/proto';
import { TestSessions, type LoginOptions, type RawClient } from '@cx/testing';

const [edgeA, edgeB] = inject('edgePorts');
const t = new TestSessions(edgeA);
afterEach(() => t.closeAll());
let n = 0;

const user = (prefix: string) => t.account(prefix);
const online = (port: number, name: string, opts: LoginOptions = {}) => t.login(port, name, opts);
async function rosterGet(c: RawClient, ver?: string): Promise<Element> {
  const id = `r${++n}`;
  c.send(`<iq type='get' id='${id}'><query xmlns='jabber:iq:roster'${ver !== undefined ? ` ver='${ver}'` : ''}/></iq>`);
  return c.until((el) => el.name === 'iq' && el.attrs.id === id);
}
async function rosterSet(c: RawClient, item: string): Promise<Element> {
  const id = `s${++n}`;
  c.send(`<iq type='set' id='${id}'><query xmlns='jabber:iq:roster'>${item}</query></iq>`);
  return c.until((el) => el.name === 'iq' && el.attrs.id === id);
}
const isPush = (jid: string) => (el: Element) => el.name === 'iq' && el.attrs.type === 'set' && el.getChild('query')?.getChild('item')?.attrs.jid === jid;
const presenceFrom = (from: string, type?: string) => (el: Element) => el.name === 'presence' && el.attrs.from === from && el.attrs.type === type;

describe('rosters (RFC 6121 §2)', () => {
  it('get, set with a push to every interested resource, versioning, remove', async () => {
    const u = await user('ro');
    const a = await online(edgeA, u.name, { resource: 'a' });
    const b = await online(edgeB, u.name, { resource: 'b' });
    const empty = await rosterGet(a.c);
    expect(empty.getChild('query')?.children).toEqual([]);
    const ver0 = empty.getChild('query')?.attrs.ver as string;
    await rosterGet(b.c);
    const set = await rosterSet(a.c, `<item jid='friend@localhost' name='Friend'><group>Pals</group></item>`);
    expect(set.attrs.type).toBe('result');
    for (const s of [a, b]) {
      const push = await s.c.until(isPush('friend@localhost'));
      expect(push.attrs.to).toBe(s.jid);
      const item = push.getChild('query')?.getChild('item');
      expect(item?.attrs).toMatchObject({ jid: 'friend@localhost', name: 'Friend', subscription: 'none' });
      expect(item?.getChildText('group')).toBe('Pals');
      s.c.send(`<iq type='result' id='${push.attrs.id}'/>`);
    }
    // §2.6.3: with an old version, only what changed since, as pushes after an empty result
    const diff = await rosterGet(a.c, ver0);
    expect(diff.attrs.type).toBe('result');
    expect(diff.getChild('query')).toBeUndefined();
    const change = await a.c.until(isPush('friend@localhost'));
    const ver1 = change.getChild('query')?.attrs.ver as string;
    expect(ver1).not.toBe(ver0);
    const full = await rosterGet(a.c);
    expect(full.getChild('query')?.getChildren('item')).toHaveLength(1);
    expect(full.getChild('query')?.attrs.ver).toBe(ver1);
    const same = await rosterGet(a.c, ver1);
    expect(same.getChild('query')).toBeUndefined();
    await a.c.quiet(200, isPush('friend@localhost'));
    expect((await rosterSet(a.c, `<item jid='friend@localhost' subscription='remove'/>`)).attrs.type).toBe('result');
    expect((await b.c.until(isPush('friend@localhost'))).getChild('query')?.getChild('item')?.attrs.subscription).toBe('remove');
    await a.c.until(isPush('friend@localhost'));
    await rosterGet(a.c, ver1);
    expect((await a.c.until(isPush('friend@localhost'))).getChild('query')?.getChild('item')?.attrs.subscription).toBe('remove');
    expect((await rosterGet(a.c)).getChild('query')?.children).toEqual([]);
  });

  it('refuses bad sets and changes nothing', async () => {
    const u = await user('bad');
    const a = await online(edgeA, u.name);
    await rosterGet(a.c);
    const two = await rosterSet(a.c, `<item jid='x@localhost'/><item jid='y@localhost'/>`);
    expect(two.getChild('error')?.getChild('bad-request')).toBeDefined();
    expect((await rosterSet(a.c, `<item jid='a@b@c'/>`)).getChild('error')?.getChild('jid-malformed')).toBeDefined();
    expect((await rosterSet(a.c, `<item jid='x@localhost' subscription='both'/>`)).getChild('error')?.getChild('bad-request')).toBeDefined();
    expect((await rosterSet(a.c, `<item jid='x@localhost'><group>g</group><group>g</group></item>`)).getChild('error')?.getChild('bad-request')).toBeDefined();
    expect((await rosterSet(a.c, `<item jid='nobody@localhost' subscription='remove'/>`)).getChild('error')?.getChild('item-not-found')).toBeDefined();
    expect((await rosterGet(a.c)).getChild('query')?.children).toEqual([]);
  });
});

describe('subscriptions and presence (RFC 6121 §3–4)', () => {
  it('subscribe, approve, mutual: presence flows both ways across edges, unavailable on disconnect', async () => {
    const r = await user('romeo');
    const j = await user('juliet');
    const ro = await online(edgeA, r.name, { presence: true });
    const ju = await online(edgeB, j.name, { presence: true });
    await rosterGet(ro.c);
    await rosterGet(ju.c);
    ro.c.send(`<presence to='${j.bare}' type='subscribe'/>`);
    const ask = await ro.c.until(isPush(j.bare));
    expect(ask.getChild('query')?.getChild('item')?.attrs).toMatchObject({ subscription: 'none', ask: 'subscribe' });
    const req = await ju.c.until((el) => el.name === 'presence' && el.attrs.type === 'subscribe');
    expect(req.attrs.from).toBe(r.bare); // stamped with the bare JID
    ju.c.send(`<presence to='${r.bare}' type='subscribed'/>`);
    expect((await ju.c.until(isPush(r.bare))).getChild('query')?.getChild('item')?.attrs.subscription).toBe('from');
    expect((await ro.c.until(isPush(j.bare))).getChild('query')?.getChild('item')?.attrs).toMatchObject({ subscription: 'to' });
    expect((await ro.c.until(presenceFrom(j.bare, 'subscribed'))).attrs.to).toBe(r.bare);
    await ro.c.until(presenceFrom(ju.jid)); // juliet's current presence follows the approval
    // and back: juliet subscribes to romeo
    ju.c.send(`<presence to='${r.bare}' type='subscribe'/>`);
    await ro.c.until((el) => el.name === 'presence' && el.attrs.type === 'subscribe' && el.attrs.from === j.bare);
    ro.c.send(`<presence to='${j.bare}' type='subscribed'/>`);
    expect((await ro.c.until(isPush(j.bare))).getChild('query')?.getChild('item')?.attrs.subscription).toBe('both');
    await ju.c.until(presenceFrom(ro.jid));
    // a presence update reaches the contact; a dropped socket becomes unavailable
    ro.c.send(`<presence><show>away</show></presence>`);
    expect((await ju.c.until(presenceFrom(ro.jid))).getChildText('show')).toBe('away');
    ro.c.destroy();
    await ju.c.until(presenceFrom(ro.jid, 'unavailable'), 10_000);
    // at the next login, probes bring juliet's presence to romeo
    const again = await online(edgeA, r.name, { resource: 'again' });
    again.c.send('<presence/>');
    await again.c.until(presenceFrom(ju.jid));
    await ju.c.until(presenceFrom(again.jid));
  });

  it('a request to an offline user is delivered at the next login; pre-approval answers at once', async () => {
    const a = await user('asker');
    const b = await user('away');
    const as = await online(edgeA, a.name, { presence: true });
    as.c.send(`<presence to='${b.bare}' type='subscribe'><status>let me in</status></presence>`);
    const bs = await online(edgeB, b.name);
    bs.c.send('<presence/>');
    const pending = await bs.c.until((el) => el.name === 'presence' && el.attrs.type === 'subscribe');
    expect(pending.attrs.from).toBe(a.bare);
    expect(pending.getChildText('status')).toBe('let me in');
    // pre-approval (§3.4): b approves a contact that has not asked yet
    const c = await user('later');
    bs.c.send(`<presence to='${c.bare}' type='subscribed'/>`);
    const cs = await online(edgeA, c.name, { presence: true });
    cs.c.send(`<presence to='${b.bare}' type='subscribe'/>`);
    await cs.c.until(presenceFrom(b.bare, 'subscribed'));
  });

  it('a subscription to an invalid JID gets jid-malformed and changes nothing', async () => {
    const u = await user('typo');
    const s = await online(edgeA, u.name);
    s.c.send(`<presence to='not@a@jid' type='subscribe' id='bad'/>`);
    const err = await s.c.until((el) => el.name === 'presence' && el.attrs.type === 'error');
    expect(err.getChild('error')?.getChild('jid-malformed')).toBeDefined();
    expect((await rosterGet(s.c)).getChild('query')?.children).toEqual([]);
  });

  it('directed presence: its recipient is told unavailable when the sender goes away (§4.6)', async () => {
    const a = await user('director');
    const b = await user('audience');
    const as = await online(edgeA, a.name, { presence: true });
    const bs = await online(edgeB, b.name, { presence: true });
    as.c.send(`<presence to='${bs.jid}'/>`);
    await bs.c.until(presenceFrom(as.jid));
    as.c.send('<presence type="unavailable"/>');
    await bs.c.until(presenceFrom(as.jid, 'unavailable'));
    // and when the session just ends
    const again = await online(edgeA, a.name, { presence: true, resource: 'second' });
    again.c.send(`<presence to='${b.bare}'><status>hello</status></presence>`);
    await bs.c.until(presenceFrom(again.jid));
    again.c.destroy();
    await bs.c.until(presenceFrom(again.jid, 'unavailable'), 10_000);
  });

  it('a subscription request to an account that does not exist is silently ignored (§8.5.1)', async () => {
    const u = await user('hopeful');
    const s = await online(edgeA, u.name, { presence: true });
    await rosterGet(s.c);
    s.c.send(`<presence to='no-such-person@localhost' type='subscribe'/>`);
    expect((await s.c.until(isPush('no-such-person@localhost'))).getChild('query')?.getChild('item')?.attrs.ask).toBe('subscribe');
    // no unsubscribed, no error, no second push: nothing tells whether the account exists
    await s.c.quiet(1000);
  });

  it('§3.1.3: a request does not put the requester into the contact’s roster; approval does (§3.1.5), denial leaves nothing', async () => {
    const a = await user('knocker');
    const b = await user('house');
    const as = await online(edgeA, a.name, { presence: true });
    const bs = await online(edgeB, b.name, { presence: true });
    await rosterGet(as.c);
    const ver0 = (await rosterGet(bs.c)).getChild('query')?.attrs.ver as string;
    as.c.send(`<presence to='${b.bare}' type='subscribe'><status>hi</status></presence>`);
    expect((await as.c.until(isPush(b.bare))).getChild('query')?.getChild('item')?.attrs).toMatchObject({ subscription: 'none', ask: 'subscribe' });
    expect((await bs.c.until(presenceFrom(a.bare, 'subscribe'))).getChildText('status')).toBe('hi');
    await bs.c.quiet(500, (el) => el.name === 'iq');
    const listing = (await rosterGet(bs.c)).getChild('query');
    expect(listing?.getChildren('item')).toEqual([]);
    expect(listing?.attrs.ver).toBe(ver0); // nothing the client sees changed
    expect((await rosterGet(bs.c, ver0)).getChild('query')).toBeUndefined();
    await bs.c.quiet(300, (el) => el.name === 'iq');
    // the request is still pending: delivered again at B's next login
    const again = await online(edgeA, b.name, { resource: 'second' });
    again.c.send('<presence/>');
    await again.c.until(presenceFrom(a.bare, 'subscribe'));
    // approval: B's roster gets A with from, A's gets B with to
    bs.c.send(`<presence to='${a.bare}' type='subscribed'/>`);
    expect((await bs.c.until(isPush(a.bare))).getChild('query')?.getChild('item')?.attrs).toMatchObject({ jid: a.bare, subscription: 'from' });
    expect((await as.c.until(isPush(b.bare))).getChild('query')?.getChild('item')?.attrs).toMatchObject({ subscription: 'to' });
    expect(
      (await rosterGet(bs.c))
        .getChild('query')
        ?.getChildren('item')
        .map((i) => [i.attrs.jid, i.attrs.subscription]),
    ).toEqual([[a.bare, 'from']]);
    // denial: a second requester is refused; B's roster never shows it, the requester's loses its ask
    const c = await user('pest');
    const cs = await online(edgeA, c.name, { presence: true });
    await rosterGet(cs.c);
    cs.c.send(`<presence to='${b.bare}' type='subscribe'/>`);
    await bs.c.until(presenceFrom(c.bare, 'subscribe'));
    await cs.c.until(isPush(b.bare));
    bs.c.send(`<presence to='${c.bare}' type='unsubscribed'/>`);
    expect((await cs.c.until(isPush(b.bare))).getChild('query')?.getChild('item')?.attrs).toMatchObject({ subscription: 'none' });
    await cs.c.until(presenceFrom(b.bare, 'unsubscribed'));
    await bs.c.quiet(300, isPush(c.bare));
    expect(
      (await rosterGet(bs.c))
        .getChild('query')
        ?.getChildren('item')
        .map((i) => i.attrs.jid),
    ).toEqual([a.bare]);
  });

  it('XEP-0012: a contact allowed to see presence learns how long ago the user left; others are refused', async () => {
    const a = await user('leaver');
    const b = await user('friend');
    const c = await user('stranger');
    const as = await online(edgeA, a.name, { presence: true });
    const bs = await online(edgeB, b.name, { presence: true });
    const cs = await online(edgeB, c.name, { presence: true });
    as.c.send(`<presence to='${b.bare}' type='subscribed'/>`); // pre-approve b
    bs.c.send(`<presence to='${a.bare}' type='subscribe'/>`);
    await bs.c.until(presenceFrom(a.bare, 'subscribed'));
    const ask = async (who: typeof bs, id: string) => {
      who.c.send(`<iq type='get' id='${id}' to='${a.bare}'><query xmlns='jabber:iq:last'/></iq>`);
      return who.c.until((el) => el.name === 'iq' && el.attrs.id === id);
    };
    expect((await ask(bs, 'l0')).getChild('query')?.attrs.seconds).toBe('0');
    as.c.send(`<presence type='unavailable'><status>gone fishing</status></presence>`);
    await bs.c.until(presenceFrom(as.jid, 'unavailable'));
    const l1 = await ask(bs, 'l1');
    expect(l1.attrs.type).toBe('result');
    expect(Number(l1.getChild('query')?.attrs.seconds)).toBeGreaterThanOrEqual(0);
    expect(l1.getChild('query')?.getText()).toBe('gone fishing');
    expect((await ask(cs, 'l2')).getChild('error')?.getChild('forbidden')).toBeDefined();
  });

  it('each change of a session’s presence is published on NATS as a PresenceChanged event', async () => {
    const nc = await connect({ servers: inject('natsUrl') });
    try {
      const u = await user('evented');
      const seen: eventsv1.PresenceChanged[] = [];
      const sub = nc.subscribe('xmpp.presence.changed', { callback: (_e, m) => void seen.push(eventsv1.PresenceChanged.decode(m.data)) });
      await nc.flush();
      const s = await online(edgeA, u.name, { presence: '<presence><priority>3</priority></presence>' });
      s.c.send('<presence type="unavailable"/>');
      await s.c.until(presenceFrom(s.jid, 'unavailable'));
      await new Promise((r) => setTimeout(r, 200));
      sub.unsubscribe();
      const mine = seen.filter((e) => e.fullJid === s.jid);
      expect(mine.map((e) => [e.available, e.priority])).toEqual([
        [true, 3],
        [false, 0],
      ]);
    } finally {
      await nc.close();
    }
  });

  it('presence from someone not subscribed is not broadcast to them', async () => {
    const a = await user('loner');
    const b = await user('watcher');
    const as = await online(edgeA, a.name, { presence: true });
    const bs = await online(edgeB, b.name, { presence: true });
    as.c.send('<presence><status>hi all</status></presence>');
    await bs.c.quiet(300, (el) => el.name === 'presence' && el.attrs.from === as.jid);
    // directed presence does reach them
    as.c.send(`<presence to='${bs.jid}'><status>just you</status></presence>`);
    expect((await bs.c.until(presenceFrom(as.jid))).getChildText('status')).toBe('just you');
  });
});
