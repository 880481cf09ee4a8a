// XEP-0191 Blocking Command across two edges and two routers.
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { Element } from '@cx/xmpp-core';
import { TestSessions } from '@cx/testing';

const [edgeA, edgeB] = inject('edgePorts');
const t = new TestSessions(edgeA);
afterEach(() => t.closeAll());
async function online(port: number, prefix: string, resource?: string) {
  const a = await t.account(prefix);
  return { ...(await t.login(port, a.name, { presence: true, resource })), ...a };
}
const byId = (id: string) => (el: Element) => el.attrs.id === id;

describe('blocking (XEP-0191)', () => {
  it('block: pushes to the user, nothing passes either way, the list is kept; unblock restores', async () => {
    const alice = await online(edgeA, 'alice');
    const phone = await t.login(edgeB, alice.name, { presence: true, resource: 'phone' });
    const bob = await online(edgeB, 'bob');
    alice.c.send(`<iq type='set' id='b1'><block xmlns='urn:xmpp:blocking'><item jid='${bob.bare}'/></block></iq>`);
    expect((await alice.c.until(byId('b1'))).attrs.type).toBe('result');
    const push = await phone.c.until((el) => el.name === 'iq' && !!el.getChild('block', 'urn:xmpp:blocking'));
    expect(push.getChild('block')?.getChild('item')?.attrs.jid).toBe(bob.bare);
    bob.c.send(`<message to='${alice.bare}' type='chat' id='m1'><body>hi?</body></message>`);
    expect((await bob.c.until(byId('m1'))).getChild('error')?.getChild('service-unavailable')).toBeDefined();
    bob.c.send(`<iq to='${alice.jid}' type='get' id='q1'><ping xmlns='urn:xmpp:ping'/></iq>`);
    expect((await bob.c.until(byId('q1'))).attrs.type).toBe('error');
    alice.c.send(`<message to='${bob.jid}' type='chat' id='m2'><body>bye</body></message>`);
    const mine = await alice.c.until(byId('m2'));
    expect(mine.getChild('error')?.getChild('not-acceptable')).toBeDefined();
    expect(mine.getChild('error')?.getChild('blocked', 'urn:xmpp:blocking:errors')).toBeDefined();
    await alice.c.quiet(200, (el) => el.name === 'message' && el.attrs.from?.startsWith(bob.bare) === true && el.attrs.type !== 'error');
    alice.c.send(`<iq type='get' id='l1'><blocklist xmlns='urn:xmpp:blocking'/></iq>`);
    expect(
      (await alice.c.until(byId('l1')))
        .getChild('blocklist')
        ?.getChildren('item')
        .map((i) => i.attrs.jid),
    ).toEqual([bob.bare]);
    alice.c.send(`<iq type='set' id='u1'><unblock xmlns='urn:xmpp:blocking'/></iq>`);
    expect((await alice.c.until(byId('u1'))).attrs.type).toBe('result');
    bob.c.send(`<message to='${alice.jid}' type='chat' id='m3'><body>again</body></message>`);
    expect((await alice.c.until(byId('m3'))).getChildText('body')).toBe('again');
  });

  it('no presence passes either way: not at login (probes), not in broadcasts, not when a session ends; unblock restores it', async () => {
    const a = await online(edgeA, 'blocker');
    const b = await online(edgeB, 'blockee');
    const isPresence = (from: string) => (el: Element) => el.name === 'presence' && el.attrs.from?.startsWith(`${from}/`) === true;
    // mutual subscription (pre-approval, then auto-approval)
    a.c.send(`<presence to='${b.bare}' type='subscribed'/>`);
    b.c.send(`<presence to='${a.bare}' type='subscribed'/>`);
    await new Promise((r) => setTimeout(r, 200));
    a.c.send(`<presence to='${b.bare}' type='subscribe'/>`);
    b.c.send(`<presence to='${a.bare}' type='subscribe'/>`);
    await a.c.until(isPresence(b.bare));
    await b.c.until(isPresence(a.bare));
    a.c.send(`<iq type='set' id='blk'><block xmlns='urn:xmpp:blocking'><item jid='${b.bare}'/></block></iq>`);
    await a.c.until(byId('blk'));
    expect((await b.c.until(isPresence(a.bare))).attrs.type).toBe('unavailable');
    expect((await a.c.until(isPresence(b.bare))).attrs.type).toBe('unavailable');
    // B logs in again: its initial presence probes A, and A's presence must not come back
    const b2 = await t.login(edgeA, b.name, { resource: 'again' });
    b2.c.send('<presence/>');
    await b2.c.until((el) => el.name === 'presence' && el.attrs.from === b2.jid);
    a.c.send('<presence><status>still here</status></presence>');
    b.c.send('<presence><status>me too</status></presence>');
    await b2.c.quiet(600, isPresence(a.bare));
    await b.c.quiet(100, isPresence(a.bare));
    await a.c.quiet(100, isPresence(b.bare));
    // nor does B's going away reach A
    b2.c.destroy();
    await a.c.quiet(1500, isPresence(b.bare));
    // A logs in again: no probe answer from B either
    const a2 = await t.login(edgeB, a.name, { resource: 'again' });
    a2.c.send('<presence/>');
    await a2.c.quiet(600, isPresence(b.bare));
    // unblocked: each side's current presence reaches the other again
    a.c.send(`<iq type='set' id='ublk'><unblock xmlns='urn:xmpp:blocking'><item jid='${b.bare}'/></unblock></iq>`);
    await a.c.until(byId('ublk'));
    expect((await b.c.until(isPresence(a.bare))).attrs.type).toBeUndefined();
    expect((await a.c.until(isPresence(b.bare))).getChildText('status')).toBe('me too');
  });

  it('refuses a malformed JID and an empty block', async () => {
    const u = await online(edgeA, 'careful');
    u.c.send(`<iq type='set' id='x1'><block xmlns='urn:xmpp:blocking'><item jid='a@b@c'/></block></iq>`);
    expect((await u.c.until(byId('x1'))).getChild('error')?.getChild('jid-malformed')).toBeDefined();
    u.c.send(`<iq type='set' id='x2'><block xmlns='urn:xmpp:blocking'/></iq>`);
    expect((await u.c.until(byId('x2'))).getChild('error')?.getChild('bad-request')).toBeDefined();
  });
});
