import { describe, expect, it } from 'vitest';
import { parseElement } from '@cx/xml-stream';
import type { Element } from '@cx/xmpp-core';
import { archivable, forStorage, parseQuery, stampStanzaId, stripOurStanzaIds, finElement, MAX_PAGE, DEFAULT_PAGE } from './index';
import { StanzaError } from '@cx/xmpp-core';

const m = (s: string) => parseElement(s) as Element;

describe('what is archived (Prosody-like rules)', () => {
  it('keeps content: body, subject, OMEMO, receipts, markers, Jingle message initiation, store hint', () => {
    expect(archivable(m(`<message type='chat'><body>x</body></message>`))).toBe(true);
    expect(archivable(m(`<message><subject>s</subject></message>`))).toBe(true);
    expect(archivable(m(`<message type='chat'><encrypted xmlns='eu.siacs.conversations.axolotl'/></message>`))).toBe(true);
    expect(archivable(m(`<message type='chat'><encrypted xmlns='urn:xmpp:omemo:2'/></message>`))).toBe(true);
    expect(archivable(m(`<message type='chat'><received xmlns='urn:xmpp:receipts' id='1'/></message>`))).toBe(true);
    expect(archivable(m(`<message type='chat'><displayed xmlns='urn:xmpp:chat-markers:0' id='1'/></message>`))).toBe(true);
    expect(archivable(m(`<message type='chat'><propose xmlns='urn:xmpp:jingle-message:0' id='1'/></message>`))).toBe(true);
    expect(archivable(m(`<message type='chat'><store xmlns='urn:xmpp:hints'/><active xmlns='http://jabber.org/protocol/chatstates'/></message>`))).toBe(true);
  });
  it('leaves out chat states alone, headlines, groupchat, no-store, carbons, errors to bare JIDs', () => {
    expect(archivable(m(`<message type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`))).toBe(false);
    expect(archivable(m(`<message type='headline'><body>x</body></message>`))).toBe(false);
    expect(archivable(m(`<message type='groupchat'><body>x</body></message>`))).toBe(false);
    expect(archivable(m(`<message type='chat'><body>x</body><no-store xmlns='urn:xmpp:hints'/></message>`))).toBe(false);
    expect(archivable(m(`<message type='error' to='a@b'><body>x</body></message>`))).toBe(false);
    expect(archivable(m(`<message type='error' to='a@b/r'><body>x</body></message>`))).toBe(true);
  });
  it('stores without chat states or stanza-ids', () => {
    const el = m(
      `<message type='chat'><body>x</body><active xmlns='http://jabber.org/protocol/chatstates'/><stanza-id xmlns='urn:xmpp:sid:0' by='a@b' id='1'/></message>`,
    );
    expect(forStorage(el).toString()).toBe(`<message type="chat"><body>x</body></message>`);
    expect(el.children).toHaveLength(3);
  });
});

describe('XEP-0359 stanza ids', () => {
  it("removes ids naming our domain or its accounts, keeps others', stamps the owner's", () => {
    const el = m(
      `<message><body>x</body><stanza-id xmlns='urn:xmpp:sid:0' by='juliet@localhost' id='forged'/><stanza-id xmlns='urn:xmpp:sid:0' by='localhost' id='f2'/><stanza-id xmlns='urn:xmpp:sid:0' by='room@muc.example' id='kept'/></message>`,
    );
    expect(stripOurStanzaIds(el, 'localhost')).toBe(true);
    stampStanzaId(el, 'juliet@localhost', '42');
    expect(el.toString()).toBe(
      `<message><body>x</body><stanza-id xmlns="urn:xmpp:sid:0" by="room@muc.example" id="kept"/><stanza-id xmlns="urn:xmpp:sid:0" by="juliet@localhost" id="42"/></message>`,
    );
  });
});

describe('XEP-0313 query parsing', () => {
  it('reads the form and RSM, caps max, defaults it', () => {
    const q = parseQuery(
      m(`<query xmlns='urn:xmpp:mam:2' queryid='f27'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:mam:2</value></field>
      <field var='with'><value>juliet@capulet.lit</value></field><field var='start'><value>2010-06-07T00:00:00Z</value></field></x>
      <set xmlns='http://jabber.org/protocol/rsm'><max>500</max><before/></set></query>`),
    );
    expect(q).toEqual({ queryid: 'f27', with: 'juliet@capulet.lit', start: Date.parse('2010-06-07T00:00:00Z'), max: MAX_PAGE, before: '' });
    expect(parseQuery(m(`<query xmlns='urn:xmpp:mam:2'/>`))).toEqual({ max: DEFAULT_PAGE });
  });
  it('refuses unknown fields, bad dates, bad max', () => {
    expect(parseQuery(m(`<query xmlns='urn:xmpp:mam:2'><x xmlns='jabber:x:data'><field var='ids'><value>1</value></field></x></query>`))).toBeInstanceOf(
      StanzaError,
    );
    expect(
      parseQuery(m(`<query xmlns='urn:xmpp:mam:2'><x xmlns='jabber:x:data'><field var='end'><value>yesterday</value></field></x></query>`)),
    ).toBeInstanceOf(StanzaError);
    expect(parseQuery(m(`<query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><max>-1</max></set></query>`))).toBeInstanceOf(StanzaError);
  });
  it('fin says complete only when the page is the last, with first and last ids', () => {
    expect(finElement('q', { items: [], complete: true }).toString()).toBe(
      `<fin xmlns="urn:xmpp:mam:2" queryid="q" complete="true"><set xmlns="http://jabber.org/protocol/rsm"/></fin>`,
    );
    const items = [
      { id: '1', ts: 0, with: '', xml: '' },
      { id: '2', ts: 0, with: '', xml: '' },
    ];
    expect(finElement(undefined, { items, complete: false }).toString()).toBe(
      `<fin xmlns="urn:xmpp:mam:2"><set xmlns="http://jabber.org/protocol/rsm"><first>1</first><last>2</last></set></fin>`,
    );
  });
});
