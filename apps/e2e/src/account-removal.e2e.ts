// Removing an account removes everything it had (issue 9 #12): roster and the
// subscriptions of its contacts, offline messages, private XML, vCard, block
// list, pending subscription requests both ways, and its live sessions. A new
// account with the same name inherits nothing.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { Element } from '@cx/xmpp-core';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { encodeKey } from '@cx/bus';
import { register, TEST_PASSWORD, TestSessions, type RawClient } from '@cx/testing';

const [edgeA, edgeB] = inject('edgePorts');
const t = new TestSessions(edgeA);
afterEach(() => t.closeAll());
let n = 0;

async function iq(c: RawClient, type: 'get' | 'set', payload: string, to?: string): Promise<Element> {
  const id = `q${++n}`;
  c.send(`<iq type='${type}' id='${id}'${to ? ` to='${to}'` : ''}>${payload}</iq>`);
  return c.until((el) => el.name === 'iq' && el.attrs.id === id);
}
const rosterItems = async (c: RawClient) => (await iq(c, 'get', `<query xmlns='jabber:iq:roster'/>`)).getChild('query')?.getChildren('item') ?? [];
const isPush = (jid: string, sub: string) => (el: Element) =>
  el.name === 'iq' &&
  el.attrs.type === 'set' &&
  el.getChild('query')?.getChild('item')?.attrs.jid === jid &&
  el.getChild('query')?.getChild('item')?.attrs.subscription === sub;
/** Skip what was queued before, then the stream error with this condition. */
async function streamError(c: RawClient, condition: string): Promise<Element> {
  const err = await c.until((el) => el.name === 'stream:error', 10_000);
  expect(err.getChild(condition, 'urn:ietf:params:xml:ns:xmpp-streams')).toBeDefined();
  return err;
}
/** What JetStream still holds for a username: keys in the per-user buckets, offline messages. */
async function leftInStorage(user: string): Promise<string[]> {
  const nc = await connect({ servers: inject('natsUrl') });
  try {
    const kvm = new Kvm(nc);
    const left: string[] = [];
    for (const bucket of ['xmpp_rosters', 'xmpp_vcards', 'xmpp_blocklists', 'xmpp_last', 'xmpp_private']) {
      const kv = await kvm.open(bucket);
      for (const filter of [encodeKey(user), `${encodeKey(user)}.>`]) {
        for await (const k of await kv.keys(filter)) {
          const e = await kv.get(k);
          if (e && e.operation === 'PUT') left.push(`${bucket}:${k}`);
        }
      }
    }
    const jsm = await jetstreamManager(nc);
    const subject = `xmpp.offline.${encodeKey(`${user}@localhost`)}`;
    const info = await jsm.streams.info('xmpp_offline', { subjects_filter: subject });
    if (info.state.subjects?.[subject]) left.push(`xmpp_offline:${subject}`);
    return left;
  } finally {
    await nc.close();
  }
}
const PRIVATE = `<query xmlns='jabber:iq:private'><prefs xmlns='urn:example:prefs'/></query>`;

describe('account removal (XEP-0077 §3.2)', () => {
  it('removes roster, subscriptions, offline messages, private XML, vCard, block list, pending requests and sessions; the name starts afresh', async () => {
    const u = await t.account('leaving');
    const c = await t.account('contact');
    const e = await t.account('asker');
    const f = await t.account('asked');
    const blocked = await t.account('blocked');
    const cs = await t.login(edgeB, c.name, { presence: true });
    await rosterItems(cs.c);
    const us = await t.login(edgeA, u.name, { resource: 'main' }); // no initial presence: bare messages go offline
    const other = await t.login(edgeB, u.name, { resource: 'other', presence: true });
    await rosterItems(us.c);
    // a mutual subscription with c
    us.c.send(`<presence to='${c.bare}' type='subscribed'/>`);
    cs.c.send(`<presence to='${u.bare}' type='subscribed'/>`);
    await new Promise((r) => setTimeout(r, 200));
    us.c.send(`<presence to='${c.bare}' type='subscribe'/>`);
    cs.c.send(`<presence to='${u.bare}' type='subscribe'/>`);
    await cs.c.until(isPush(u.bare, 'both'));
    await us.c.until(isPush(c.bare, 'both'));
    // a request from e pending in u's roster, one from u pending in f's
    const es = await t.login(edgeA, e.name, { presence: true });
    es.c.send(`<presence to='${u.bare}' type='subscribe'/>`);
    await other.c.until((el) => el.name === 'presence' && el.attrs.type === 'subscribe' && el.attrs.from === e.bare);
    us.c.send(`<presence to='${f.bare}' type='subscribe'/>`);
    await us.c.until(isPush(f.bare, 'none'));
    // private XML, vCard, a block, an offline message
    expect((await iq(us.c, 'set', `<query xmlns='jabber:iq:private'><prefs xmlns='urn:example:prefs'><theme>dark</theme></prefs></query>`)).attrs.type).toBe(
      'result',
    );
    expect((await iq(us.c, 'set', `<vCard xmlns='vcard-temp'><FN>Old Me</FN></vCard>`)).attrs.type).toBe('result');
    expect((await iq(us.c, 'set', `<block xmlns='urn:xmpp:blocking'><item jid='${blocked.bare}'/></block>`)).attrs.type).toBe('result');
    es.c.send(`<message to='${u.bare}' type='chat' id='off'><body>for later</body></message>`);
    await new Promise((r) => setTimeout(r, 300));

    // the user removes the account: the result, then its stream closes; the other session gets not-authorized
    const removed = await iq(us.c, 'set', `<query xmlns='jabber:iq:register'><remove/></query>`);
    expect(removed.attrs.type).toBe('result');
    expect((await streamError(other.c, 'not-authorized')).getChildText('text')).toBe('the account was removed');
    // the contact is told: no subscription either way, and u is unavailable
    await cs.c.until(isPush(u.bare, 'none'), 10_000);
    expect((await rosterItems(cs.c)).map((i) => [i.attrs.jid, i.attrs.subscription, i.attrs.ask])).toEqual([[u.bare, 'none', undefined]]);

    // nothing is left in storage, even after the sessions' ends are handled
    await new Promise((r) => setTimeout(r, 500));
    expect(await leftInStorage(u.name)).toEqual([]);

    // the same name again: nothing of the old account
    await register(edgeA, u.name, TEST_PASSWORD);
    const again = await t.login(edgeB, u.name, { resource: 'new' });
    expect(await rosterItems(again.c)).toEqual([]);
    again.c.send('<presence/>');
    await again.c.until((el) => el.name === 'presence' && el.attrs.from === again.jid);
    await again.c.quiet(800, (el) => el.name === 'message' || (el.name === 'presence' && el.attrs.from !== again.jid));
    expect((await iq(again.c, 'get', PRIVATE)).getChild('query')?.getChild('prefs')?.children).toEqual([]);
    expect((await iq(again.c, 'get', `<vCard xmlns='vcard-temp'/>`)).getChild('vCard')?.children).toEqual([]);
    expect((await iq(again.c, 'get', `<blocklist xmlns='urn:xmpp:blocking'/>`)).getChild('blocklist')?.children).toEqual([]);
    // the contact sees no presence of the new account, and f gets no old request at login
    await cs.c.quiet(300, (el) => el.name === 'presence' && el.attrs.from?.startsWith(u.bare) === true);
    const fs = await t.login(edgeA, f.name);
    fs.c.send('<presence/>');
    await fs.c.quiet(800, (el) => el.name === 'presence' && el.attrs.from === u.bare);
    expect(await rosterItems(fs.c)).toEqual([]);
  });

  it('xmppctl unregister ends every session and frees the name at once', async () => {
    const u = await t.account('ctlgone');
    const s = await t.login(edgeA, u.name, { presence: true });
    expect((await iq(s.c, 'set', `<vCard xmlns='vcard-temp'><FN>Gone</FN></vCard>`)).attrs.type).toBe('result');
    const ctl = join(__dirname, '../../../dist/apps/xmppctl/main.cjs');
    const { stdout } = await promisify(execFile)(process.execPath, [ctl, 'unregister', u.name], { env: { ...process.env, ...inject('addrs') } });
    expect(stdout).toContain(`unregistered ${u.name}@localhost`);
    await streamError(s.c, 'not-authorized');
    await register(edgeB, u.name, TEST_PASSWORD);
    const again = await t.login(edgeB, u.name);
    expect((await iq(again.c, 'get', `<vCard xmlns='vcard-temp'/>`)).getChild('vCard')?.children).toEqual([]);
  });

  it('the end of the session that asked writes nothing back (last activity)', async () => {
    const u = await t.account('lastgone');
    const s = await t.login(edgeA, u.name, { presence: true });
    expect((await iq(s.c, 'set', `<query xmlns='jabber:iq:register'><remove/></query>`)).attrs.type).toBe('result');
    await s.c.closed;
    await new Promise((r) => setTimeout(r, 500));
    expect(await leftInStorage(u.name)).toEqual([]);
  });
});
