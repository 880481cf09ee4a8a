// RFC 6121 §8.5.2.2, XEP-0160 §3, XEP-0334 §4: the storage rules, as a table.
import { describe, expect, it } from 'vitest';
import { isParseError, parseElement } from '@cx/xml-stream';
import type { Element } from '@cx/xmpp-core';
import { storable } from './storable';

function el(xml: string): Element {
  const r = parseElement(xml);
  if (isParseError(r)) throw new Error(r.text);
  return r;
}

const cases: Array<[string, boolean, string]> = [
  ['no type, body', true, `<message to='j@localhost'><body>hi</body></message>`],
  ['normal, body', true, `<message type='normal'><body>hi</body></message>`],
  ['chat, body', true, `<message type='chat'><body>hi</body></message>`],
  ['chat, subject only', true, `<message type='chat'><subject>s</subject></message>`],
  ['chat, extension payload (receipt)', true, `<message type='chat'><received xmlns='urn:xmpp:receipts' id='1'/></message>`],
  ['chat, body in another namespace prefix', true, `<message type='chat' xmlns:x='urn:example'><x:payload/></message>`],
  ['groupchat', false, `<message type='groupchat'><body>hi</body></message>`],
  ['headline', false, `<message type='headline'><body>news</body></message>`],
  ['error', false, `<message type='error'><body>hi</body><error type='cancel'/></message>`],
  ['unknown type', false, `<message type='bogus'><body>hi</body></message>`],
  ['empty message', false, `<message type='chat'/>`],
  ['thread only', false, `<message type='chat'><thread>t</thread></message>`],
  ['chat state only', false, `<message type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`],
  ['prefixed chat state only', false, `<message type='chat'><cs:active xmlns:cs='http://jabber.org/protocol/chatstates'/></message>`],
  ['chat state with body', true, `<message type='chat'><body>hi</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>`],
  ['event notification only', false, `<message><x xmlns='jabber:x:event'><id>1</id><composing/></x></message>`],
  ['no-store hint', false, `<message type='chat'><body>hi</body><no-store xmlns='urn:xmpp:hints'/></message>`],
  ['no-permanent-store hint (not about offline)', true, `<message type='chat'><body>hi</body><no-permanent-store xmlns='urn:xmpp:hints'/></message>`],
  ['store hint without body', true, `<message type='chat'><store xmlns='urn:xmpp:hints'/></message>`],
  ['store hint with chat state only', true, `<message><active xmlns='http://jabber.org/protocol/chatstates'/><store xmlns='urn:xmpp:hints'/></message>`],
  ['store and no-store: no-store wins', false, `<message><body>hi</body><store xmlns='urn:xmpp:hints'/><no-store xmlns='urn:xmpp:hints'/></message>`],
  ['store hint on groupchat', false, `<message type='groupchat'><body>hi</body><store xmlns='urn:xmpp:hints'/></message>`],
  ['store hint on headline', false, `<message type='headline'><store xmlns='urn:xmpp:hints'/></message>`],
  ['store hint on error', false, `<message type='error'><store xmlns='urn:xmpp:hints'/></message>`],
  ['hint element in a foreign namespace is payload', true, `<message><store xmlns='urn:example'/></message>`],
  ['presence', false, `<presence><status>hi</status></presence>`],
  ['iq', false, `<iq type='set' id='1'><query xmlns='jabber:iq:roster'/></iq>`],
];

describe('storable (RFC 6121 §8.5.2.2, XEP-0160, XEP-0334)', () => {
  it.each(cases)('%s → %s', (_name, expected, xml) => {
    expect(storable(el(xml))).toBe(expected);
  });
});
