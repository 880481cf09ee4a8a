import { describe, expect, it } from 'vitest';
import { elementFromBytes } from '@cx/stanza';
import { routerv1 } from '@cx/proto';
import type { Archive } from '@cx/archive';
import { archiveAndStamp, withStanzaId, type Stamping } from './stamp';

function fakeArchive() {
  const appended: Array<{ user: string; id: string; with: string; xml: string }> = [];
  let n = 0;
  const archive: Archive = {
    nextId: () => `id${++n}`,
    append: async (user, e) => void appended.push({ user, ...e }),
    settled: async () => undefined,
    backlog: () => undefined,
    query: async () => ({ items: [], complete: true }),
    retract: async () => 'item-not-found',
    purge: async () => undefined,
    totals: async () => ({ messages: 0, archives: 0 }),
  };
  return { archive, appended };
}

const stamping = (archive: Archive, wanted = true): Stamping => ({
  archive,
  domain: 'localhost',
  parse: (s) => elementFromBytes(s.xml),
  wanted: () => wanted,
  maxBytes: 65536,
});

const stanza = (xml: string) => routerv1.Stanza.fromPartial({ xml: Buffer.from(xml), kind: routerv1.StanzaKind.STANZA_KIND_MESSAGE, type: 'chat' });

describe('archiveAndStamp', () => {
  it("archives each side under its own id, the live copy carrying only the current side's id; chat states not stored", async () => {
    const { archive, appended } = fakeArchive();
    const s = stanza(
      `<message to="b@localhost" type="chat" id="1"><body>hi</body><active xmlns="http://jabber.org/protocol/chatstates"/><stanza-id xmlns="urn:xmpp:sid:0" by="b@localhost" id="forged"/></message>`,
    );
    await archiveAndStamp(stamping(archive), s, 'a@localhost', 'b@localhost', 'sent');
    expect(s.xml.toString()).toBe(
      `<message to="b@localhost" type="chat" id="1"><body>hi</body><active xmlns="http://jabber.org/protocol/chatstates"/><stanza-id xmlns="urn:xmpp:sid:0" by="a@localhost" id="id1"/></message>`,
    );
    await archiveAndStamp(stamping(archive), s, 'b@localhost', 'a@localhost/r', 'received');
    expect(s.xml.toString()).toBe(
      `<message to="b@localhost" type="chat" id="1"><body>hi</body><active xmlns="http://jabber.org/protocol/chatstates"/><stanza-id xmlns="urn:xmpp:sid:0" by="b@localhost" id="id2"/></message>`,
    );
    expect(appended.map((a) => [a.user, a.id, a.with])).toEqual([
      ['a@localhost', 'id1', 'b@localhost'],
      ['b@localhost', 'id2', 'a@localhost/r'],
    ]);
    expect(appended[0].xml).toBe(`<message to="b@localhost" type="chat" id="1"><body>hi</body></message>`);
    expect(appended[1].xml).toBe(appended[0].xml);
  });
  it("a side that does not archive still delivers without the other side's id", async () => {
    const { archive, appended } = fakeArchive();
    const s = stanza(`<message type="chat"><body>hi</body></message>`);
    await archiveAndStamp(stamping(archive), s, 'a@localhost', 'b@localhost', 'sent');
    await archiveAndStamp(stamping(archive, false), s, 'b@localhost', 'a@localhost', 'received');
    expect(s.xml.toString()).toBe(`<message type="chat"><body>hi</body></message>`);
    expect(appended).toHaveLength(1);
  });
  it('stamps a message serialised without children', () => {
    expect(withStanzaId(`<message type="chat"/>`, 'a@localhost', 'x')).toBe(
      `<message type="chat"><stanza-id xmlns="urn:xmpp:sid:0" by="a@localhost" id="x"/></message>`,
    );
  });
});
