// What issue 9 fixed, used by slixmpp (Debian python3-slixmpp) through its own plugins, against
// @xmpp/client as the other user: a subscription request does not put the requester into the
// roster before approval (RFC 6121 §3.1.3); disco#info on the advertised caps node answers and
// lists jabber:iq:private (XEP-0115 §6.2); presence to an unreachable domain comes back as
// remote-server-not-found; after a XEP-0191 block the other user gets no presence; XEP-0077
// cancellation removes the account and everything it had.
import { afterEach, describe, expect, inject, it } from 'vitest';
import { client, xml, type Client } from '@xmpp/client';
import type { Element } from '@cx/xmpp-core';
import { authenticate, login, RawClient, register, uniqueName } from '@cx/testing';
import { runSlixmpp, type SlixmppEvent } from './slixmpp/run';

const [edgeA] = inject('edgePorts');
const certFile = inject('certFile');
const run = (args: string[], onEvent?: (e: SlixmppEvent) => void) => runSlixmpp('account.py', args, onEvent);

/** node#ver of the <c/> the server advertises in its stream features. */
async function capsNode(): Promise<string> {
  const c = await RawClient.connect(edgeA);
  const { features } = await c.open();
  c.close();
  const caps = (features as Element).getChild('c', 'http://jabber.org/protocol/caps');
  return `${caps?.attrs.node}#${caps?.attrs.ver}`;
}

const started: Client[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((c) => c.stop().catch(() => undefined)));
});

describe('slixmpp uses what the server fixed (subscriptions, caps disco, bounce, blocking, account removal)', () => {
  it('against @xmpp/client as the contact', async () => {
    const [alice, bob] = [uniqueName('slixacct'), uniqueName('contact')];
    await register(edgeA, alice, 'alice-pw');
    await register(edgeA, bob, 'bob-pw');
    const aliceJid = `${alice}@localhost`;
    const b = client({ service: `xmpp://127.0.0.1:${edgeA}`, domain: 'localhost', username: bob, password: 'bob-pw' });
    b.on('error', () => undefined);
    started.push(b);
    const fromAlice: Element[] = [];
    b.on('stanza', (s: Element) => {
      if (s.name === 'presence' && String(s.attrs.from).startsWith(`${aliceJid}/`)) fromAlice.push(s);
    });
    await b.start();
    await b.send(xml('presence'));
    const node = await capsNode();

    let blockedAt = -1;
    const r = await run([aliceJid, 'alice-pw', '127.0.0.1', String(edgeA), certFile, `${bob}@localhost`, node], (e) => {
      if (e.event === 'ready') void b.send(xml('presence', { to: aliceJid, type: 'subscribe' }));
      if (e.event === 'blocked') blockedAt = fromAlice.length;
    });
    const ev = (name: string) => r.events.find((e) => e.event === name);
    expect(r.code, r.stderr).toBe(0);
    // §3.1.3: the request is delivered, but the requester is not in the contact's roster until approved.
    expect(ev('subscribe')).toMatchObject({ from: `${bob}@localhost`, in_roster: false });
    expect(ev('approved')?.roster).toEqual({ [`${bob}@localhost`]: 'from' });
    // XEP-0115 §6.2: the caps node is answered like the domain, and private storage is listed.
    expect(ev('disco')?.node).toBe(node);
    expect(ev('disco')?.features).toEqual(expect.arrayContaining(['jabber:iq:private', 'urn:xmpp:blocking', 'jabber:iq:register']));
    expect(ev('bounce')?.condition).toBe('remote-server-not-found');
    expect(ev('blocked')?.list).toEqual([`${bob}@localhost`]);
    expect(ev('removed')).toBeDefined();

    // The contact saw alice available once approved, unavailable when blocked, and nothing after.
    expect(blockedAt).toBeGreaterThan(0);
    expect(fromAlice.slice(0, blockedAt).some((p) => p.attrs.type === undefined)).toBe(true);
    expect(fromAlice.some((p) => p.getChildText('status') === 'after-block')).toBe(false);
    expect(fromAlice.at(-1)?.attrs.type).toBe('unavailable');

    // The account is gone; the contact's roster keeps no subscription with it; the name starts afresh.
    const c = await RawClient.connect(edgeA);
    await c.open();
    expect((await authenticate(c, alice, 'alice-pw', 'PLAIN')).name).toBe('failure');
    c.close();
    const roster = await b.iqCaller.get(xml('query', { xmlns: 'jabber:iq:roster' }));
    const item = (roster?.getChildren('item') ?? []).find((i: Element) => i.attrs.jid === aliceJid);
    expect(item?.attrs.subscription ?? 'none').toBe('none');
    await register(edgeA, alice, 'new-pw');
    const fresh = await login(edgeA, alice, 'new-pw');
    fresh.c.send(`<iq type='get' id='r'><query xmlns='jabber:iq:roster'/></iq>`);
    expect((await fresh.c.until((el) => el.name === 'iq' && el.attrs.id === 'r')).getChild('query')?.children).toHaveLength(0);
    fresh.c.close();
  }, 60_000);
});
