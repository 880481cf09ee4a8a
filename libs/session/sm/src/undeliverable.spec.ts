import { describe, expect, it } from 'vitest';
import { StanzaKind } from '@cx/stanza';
import { undeliverableStanza } from './undeliverable';

const xml = Buffer.from(`<message from='r@localhost/a' to='j@localhost/x' type='chat' id='m1'><body>hi</body></message>`);

describe('undeliverableStanza', () => {
  it('routes a delivered stanza again, marked undeliverable, from its own from', () => {
    const s = undeliverableStanza({ kind: StanzaKind.STANZA_KIND_MESSAGE, to: 'j@localhost/x', xml, connectionId: 'c1', traceparent: 't', shared: true });
    expect(s).toEqual({
      kind: StanzaKind.STANZA_KIND_MESSAGE,
      from: 'r@localhost/a',
      to: 'j@localhost/x',
      type: 'chat',
      id: 'm1',
      xml,
      connectionId: 'c1',
      undeliverable: true,
      smIn: 0,
      traceparent: 't',
      shared: true,
    });
  });
  it('leaves server replies, stored offline messages and what cannot be parsed', () => {
    expect(undeliverableStanza({ kind: StanzaKind.STANZA_KIND_UNSPECIFIED, to: 'j@localhost/x', xml, connectionId: 'c1' })).toBeUndefined();
    expect(undeliverableStanza({ kind: StanzaKind.STANZA_KIND_MESSAGE, to: 'j@localhost/x', xml, connectionId: 'c1', offlineSeq: 3 })).toBeUndefined();
    expect(
      undeliverableStanza({ kind: StanzaKind.STANZA_KIND_MESSAGE, to: 'j@localhost/x', xml: Buffer.from('<message>'), connectionId: 'c1' }),
    ).toBeUndefined();
    expect(
      undeliverableStanza({ kind: StanzaKind.STANZA_KIND_MESSAGE, to: 'j@localhost/x', xml: Buffer.from('<message/>'), connectionId: 'c1' }),
    ).toBeUndefined();
  });
});
