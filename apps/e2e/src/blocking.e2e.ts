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
    expect((await alice.c.until(byId('l1'))).getChild('blocklist')?.getChildren('item').map((i) => i.attrs.jid)).toEqual([bob.bare]);
    alice.c.send(`<iq type='set' id='u1'><unblock xmlns='urn:xmpp:blocking'/></iq>`);
    expect((await alice.c.until(byId('u1'))).attrs.type).toBe('result');
    bob.c.send(`<message to='${alice.jid}' type='chat' id='m3'><body>again</body></message>`);
    expect((await alice.c.until(byId('m3'))).getChildText('body')).toBe('again');
  });

  it('refuses a malformed JID and an empty block', async () => {
    const u = await online(edgeA, 'careful');
    u.c.send(`<iq type='set' id='x1'><block xmlns='urn:xmpp:blocking'><item jid='a@b@c'/></block></iq>`);
    expect((await u.c.until(byId('x1'))).getChild('error')?.getChild('jid-malformed')).toBeDefined();
    u.c.send(`<iq type='set' id='x2'><block xmlns='urn:xmpp:blocking'/></iq>`);
    expect((await u.c.until(byId('x2'))).getChild('error')?.getChild('bad-request')).toBeDefined();
  });
});
