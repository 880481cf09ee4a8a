import { describe, expect, it } from 'vitest';
import { parseElement } from '@cx/xml-stream';
import type { Element } from '@cx/xmpp-core';
import { eligible, wrap } from './carbons';

const m = (s: string) => parseElement(s) as Element;

describe('XEP-0280 eligibility and wrapping', () => {
  it('copies chat, and normal with a body; not headline, groupchat, private, no-copy or carbons', () => {
    expect(eligible('chat', m(`<message type='chat'><active xmlns='http://jabber.org/protocol/chatstates'/></message>`))).toBe(true);
    expect(eligible('', m(`<message><body>x</body></message>`))).toBe(true);
    expect(eligible('normal', m(`<message type='normal'/>`))).toBe(false);
    expect(eligible('headline', m(`<message type='headline'><body>x</body></message>`))).toBe(false);
    expect(eligible('groupchat', m(`<message type='groupchat'><body>x</body></message>`))).toBe(false);
    expect(eligible('chat', m(`<message type='chat'><body>x</body><private xmlns='urn:xmpp:carbons:2'/></message>`))).toBe(false);
    expect(eligible('chat', m(`<message type='chat'><body>x</body><no-copy xmlns='urn:xmpp:hints'/></message>`))).toBe(false);
    expect(eligible('chat', m(`<message type='chat'><received xmlns='urn:xmpp:carbons:2'/></message>`))).toBe(false);
  });
  it('wraps the original in received/forwarded with the jabber:client namespace', () => {
    const w = wrap('received', 'u@localhost', m(`<message from='p@localhost/a' to='u@localhost/b' type='chat' id='1'><body>hi</body></message>`));
    expect(w.toString()).toBe(
      `<message from="u@localhost" type="chat"><received xmlns="urn:xmpp:carbons:2"><forwarded xmlns="urn:xmpp:forward:0">` +
        `<message from="p@localhost/a" to="u@localhost/b" type="chat" id="1" xmlns="jabber:client"><body>hi</body></message></forwarded></received></message>`,
    );
  });
});
