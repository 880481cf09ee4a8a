// XEP-0160 offline messages and XEP-0280 Message Carbons, across two edges.
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { Element } from '@cx/xmpp-core';
import { TestSessions, type LoginOptions } from '@cx/testing';

const [edgeA, edgeB] = inject('edgePorts');
const t = new TestSessions(edgeA);
afterEach(() => t.closeAll());

const user = (prefix: string) => t.account(prefix);
const online = (port: number, name: string, opts: LoginOptions = {}) => t.login(port, name, opts);
const message = (id: string) => (el: Element) => el.name === 'message' && el.attrs.id === id;

describe('offline messages (XEP-0160)', () => {
  it('chat and normal are stored and delivered at the next initial presence with a delay stamp; headline is not', async () => {
    const s = await user('sender');
    const r = await user('sleeper');
    const snd = await online(edgeA, s.name, { presence: true });
    snd.c.send(`<message to='${r.bare}' type='chat' id='off1'><body>first</body></message>`);
    snd.c.send(`<message to='${r.bare}/phone' id='off2'><body>second</body></message>`);
    snd.c.send(`<message to='${r.bare}' type='headline' id='off3'><body>news</body></message>`);
    await snd.c.quiet(300, (el) => el.name === 'message'); // no error: stored
    const rcv = await online(edgeB, r.name);
    await rcv.c.quiet(200, (el) => el.name === 'message'); // not before presence
    rcv.c.send('<presence/>');
    const m1 = await rcv.c.until(message('off1'));
    expect(m1.getChildText('body')).toBe('first');
    expect(m1.getChild('delay', 'urn:xmpp:delay')?.attrs).toMatchObject({ from: 'localhost', stamp: expect.stringMatching(/Z$/) });
    expect((await rcv.c.until(message('off2'))).getChildText('body')).toBe('second');
    await rcv.c.quiet(300, message('off3'));
    const again = await online(edgeA, r.name, { presence: true, resource: 'two' });
    await again.c.quiet(300, (el) => el.name === 'message'); // taken once
  });

  it('a message to an account that does not exist still bounces', async () => {
    const s = await user('lost');
    const snd = await online(edgeA, s.name);
    snd.c.send(`<message to='no-such-account@localhost' type='chat' id='nx'><body>?</body></message>`);
    expect((await snd.c.until(message('nx'))).getChild('error')?.getChild('service-unavailable')).toBeDefined();
  });
});

describe('Message Carbons (XEP-0280)', () => {
  it('copies received and sent chat messages to the other enabled resources, not private ones', async () => {
    const u = await user('multi');
    const p = await user('peer');
    const desk = await online(edgeA, u.name, { resource: 'desk', presence: true });
    const phone = await online(edgeB, u.name, { resource: 'phone', presence: true });
    const peer = await online(edgeA, p.name, { presence: true });
    for (const s of [desk, phone]) {
      s.c.send(`<iq type='set' id='cb'><enable xmlns='urn:xmpp:carbons:2'/></iq>`);
      expect((await s.c.until((el) => el.name === 'iq' && el.attrs.id === 'cb')).attrs.type).toBe('result');
    }
    peer.c.send(`<message to='${desk.jid}' type='chat' id='in1'><body>to desk</body></message>`);
    await desk.c.until(message('in1'));
    const rc = await phone.c.until((el) => el.name === 'message' && !!el.getChild('received', 'urn:xmpp:carbons:2'));
    expect(rc.attrs).toMatchObject({ from: u.bare, to: phone.jid });
    const fwd = rc.getChild('received')?.getChild('forwarded', 'urn:xmpp:forward:0')?.getChild('message');
    expect(fwd?.attrs).toMatchObject({ id: 'in1', from: peer.jid, to: desk.jid });
    desk.c.send(`<message to='${peer.jid}' type='chat' id='out1'><body>from desk</body></message>`);
    await peer.c.until(message('out1'));
    const sc = await phone.c.until((el) => el.name === 'message' && !!el.getChild('sent', 'urn:xmpp:carbons:2'));
    expect(sc.getChild('sent')?.getChild('forwarded')?.getChild('message')?.attrs.id).toBe('out1');
    desk.c.send(`<message to='${peer.jid}' type='chat' id='priv'><body>secret</body><private xmlns='urn:xmpp:carbons:2'/></message>`);
    await peer.c.until(message('priv'));
    await phone.c.quiet(300, (el) => el.name === 'message');
  });
});
