// Issue 9 #11: a prefix declared on the sender's stream header and used in a stanza
// reaches the recipient declared on the stanza itself, live and from offline storage
// (the offline path re-parses the stored stanza: it was dropped when undeclared).
// The recipients here are strict: their parser ends the stream on an undeclared prefix.
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { Element } from '@cx/xmpp-core';
import { TestSessions } from '@cx/testing';

const [edgeA, edgeB] = inject('edgePorts');
const t = new TestSessions(edgeA);
afterEach(() => t.closeAll());

const HEADER = `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' xmlns:foo='urn:example:foo' to='localhost' version='1.0'>`;
const message = (id: string) => (el: Element) => el.name === 'message' && el.attrs.id === id;

function prefixed(to: string, id: string): string {
  return `<message to='${to}' type='chat' id='${id}'><body>hi</body><foo:note foo:level='2'><foo:line>one</foo:line></foo:note></message>`;
}

function expectIntact(m: Element): void {
  expect(m.getChildText('body')).toBe('hi');
  const note = m.getChild('note', 'urn:example:foo');
  expect(note?.attrs['foo:level']).toBe('2');
  expect(note?.getChild('line', 'urn:example:foo')?.getText()).toBe('one');
}

describe('namespace prefixes declared on the stream header', () => {
  it('are declared on a stanza delivered live', async () => {
    const s = await t.account('nsfrom');
    const r = await t.account('nsto');
    const snd = await t.login(edgeA, s.name, { header: HEADER, presence: true });
    const rcv = await t.login(edgeB, r.name, { presence: true });
    snd.c.send(prefixed(rcv.jid, 'live1'));
    const m = await rcv.c.until(message('live1'));
    expectIntact(m);
    expect(rcv.c.raw).toMatch(
      /<message[^>]*xmlns:foo=["']urn:example:foo["'][^>]*id=["']live1["']|<message[^>]*id=["']live1["'][^>]*xmlns:foo=["']urn:example:foo["']/,
    );
  });

  it('survive offline storage: the recipient gets the stanza intact and well-formed at login', async () => {
    const s = await t.account('nsfrom');
    const r = await t.account('nsoff');
    const snd = await t.login(edgeA, s.name, { header: HEADER, presence: true });
    snd.c.send(prefixed(r.bare, 'off1'));
    await snd.c.quiet(300, (el) => el.name === 'message'); // no error: stored
    const rcv = await t.login(edgeB, r.name, { presence: true });
    expectIntact(await rcv.c.until(message('off1')));
  });
});
