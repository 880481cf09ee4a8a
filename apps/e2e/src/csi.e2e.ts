// XEP-0352 Client State Indication: while inactive, presence is held (only the
// latest per contact) and messages with a body go through at once.
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { Element } from '@cx/xmpp-core';
import { TestSessions } from '@cx/testing';

const [edgeA, edgeB] = inject('edgePorts');
const t = new TestSessions(edgeA);
afterEach(() => t.closeAll());
const presenceFrom = (from: string) => (el: Element) => el.name === 'presence' && el.attrs.from === from;

describe('CSI (XEP-0352)', () => {
  it('is advertised, holds presence while inactive, passes messages, flushes at active', async () => {
    const u = await t.account('phone');
    const c = await t.account('chatty');
    const us = await t.login(edgeA, u.name, { presence: true });
    const cs = await t.login(edgeB, c.name, { presence: true });
    us.c.send(`<presence to='${c.bare}' type='subscribed'/>`); // pre-approve, then c subscribes...
    cs.c.send(`<presence to='${u.bare}' type='subscribed'/>`);
    us.c.send(`<presence to='${c.bare}' type='subscribe'/>`);
    await us.c.until((el) => el.name === 'presence' && el.attrs.type === 'subscribed');
    await us.c.until(presenceFrom(cs.jid));
    us.c.send(`<inactive xmlns='urn:xmpp:csi:0'/>`);
    await new Promise((r) => setTimeout(r, 100));
    cs.c.send('<presence><show>away</show></presence>');
    cs.c.send('<presence><show>dnd</show></presence>');
    await us.c.quiet(400, presenceFrom(cs.jid));
    cs.c.send(`<message to='${us.jid}' type='chat' id='urgent'><body>wake up</body></message>`);
    const held = await us.c.until(presenceFrom(cs.jid));
    expect(held.getChildText('show')).toBe('dnd'); // only the latest
    expect((await us.c.until((el) => el.name === 'message')).attrs.id).toBe('urgent');
    cs.c.send('<presence><show>xa</show></presence>');
    await us.c.quiet(300, presenceFrom(cs.jid));
    us.c.send(`<active xmlns='urn:xmpp:csi:0'/>`);
    expect((await us.c.until(presenceFrom(cs.jid))).getChildText('show')).toBe('xa');
  });
});
