import { describe, expect, it } from 'vitest';
import { x } from '@cx/xmpp-core';
import { elementFromBytes, routedStanza, StanzaKind, stanzaKind } from './index';

describe('stanzaKind', () => {
  it('names the three stanzas and nothing else', () => {
    expect(stanzaKind('message')).toBe(StanzaKind.STANZA_KIND_MESSAGE);
    expect(stanzaKind('presence')).toBe(StanzaKind.STANZA_KIND_PRESENCE);
    expect(stanzaKind('iq')).toBe(StanzaKind.STANZA_KIND_IQ);
    for (const n of ['r', 'a', 'enable', 'constructor', 'toString']) expect(stanzaKind(n)).toBe(StanzaKind.STANZA_KIND_UNSPECIFIED);
  });
});

describe('elementFromBytes', () => {
  it('parses a view into a larger buffer, not the whole buffer', () => {
    const whole = Buffer.from('garbage<message to="a@b"><body>hé</body></message>garbage');
    const view = whole.subarray(7, whole.length - 7);
    const el = elementFromBytes(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
    expect(el?.name).toBe('message');
    expect(el?.getChildText('body')).toBe('hé');
  });
  it('is undefined for what is not one well-formed element', () => {
    expect(elementFromBytes(Buffer.from('<message>'))).toBeUndefined();
    expect(elementFromBytes(Buffer.from('<a/><b/>'))).toBeUndefined();
  });
});

describe('routedStanza', () => {
  it('copies the addressing out of the element', () => {
    const el = x('iq', { to: 'localhost', type: 'get', id: 'p1' }, x('ping', { xmlns: 'urn:xmpp:ping' }));
    const s = routedStanza(el, { from: 'r@localhost/a', connectionId: 'c1', smIn: 4 });
    expect(s).toEqual({
      kind: StanzaKind.STANZA_KIND_IQ,
      from: 'r@localhost/a',
      to: 'localhost',
      type: 'get',
      id: 'p1',
      xml: Buffer.from(el.toString()),
      connectionId: 'c1',
      undeliverable: false,
      smIn: 4,
      traceparent: '',
      shared: false,
    });
  });
  it('keeps given bytes and an explicit destination', () => {
    const xml = Buffer.from('<message from="r@localhost/a" type="chat"/>');
    const s = routedStanza(x('message', { type: 'chat' }), {
      from: 'r@localhost/a',
      connectionId: 'c',
      xml,
      to: 'j@localhost/x',
      undeliverable: true,
      shared: true,
    });
    expect(s.xml).toBe(xml);
    expect([s.to, s.type, s.id, s.undeliverable, s.shared]).toEqual(['j@localhost/x', 'chat', '', true, true]);
  });
});
