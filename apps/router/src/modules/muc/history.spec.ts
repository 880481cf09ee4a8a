// RoomHistory against an archive in memory: stamping with the append under
// way, the same id for a message handled again, join history from the last page with delay
// and stanza-id, moderation by moderators only with the tombstone in place.
import { describe, expect, it } from 'vitest';
import type { Archive, ArchivedMessage } from '@cx/archive';
import { createLogger } from '@cx/log';
import { DEFAULT_CONFIG, type Room } from '@cx/muc';
import { parseJid, StanzaError, x, type Element } from '@cx/xmpp-core';
import type { Sender } from '../../routing';
import { RoomHistory } from './history';

const ROOM = 'r@conf.d';
const log = createLogger({ service: 'muc-history-test', level: 'fatal' });

function memoryArchive(fail = false) {
  const items: ArchivedMessage[] = [];
  const tombs = new Map<string, string>();
  let n = 0;
  const archive: Archive = {
    nextId: () => `id${++n}`,
    append: async (_user, e) => {
      if (fail) throw new Error('down');
      items.push({ ...e, ts: Date.now() });
    },
    backlog: () => undefined,
    settled: async () => undefined,
    query: async (_user, q) => {
      const all = items.map((m) => ({ ...m, xml: tombs.get(m.id) ?? m.xml }));
      return { items: q.before === '' ? all.slice(-q.max) : all.slice(0, q.max), complete: true };
    },
    retract: async (_user, id, make) => {
      const m = items.find((i) => i.id === id);
      if (!m) return 'item-not-found';
      tombs.set(id, make(m));
      return m;
    },
    purge: async () => void items.splice(0),
    totals: async () => ({ messages: items.length, archives: 1 }),
  };
  return { archive, items };
}

const room = (): Room => ({
  config: { ...DEFAULT_CONFIG },
  affiliations: { 'al@d': 'owner' },
  occupants: [
    { nick: 'al', jid: 'al@d/r', role: 'moderator' },
    { nick: 'bo', jid: 'bo@d/r', role: 'participant' },
  ],
  subject: null,
  locked: false,
  salt: 'salt',
});
const sender = (jid: string): Sender => ({ edgeId: 'e', connectionId: 'c', jid: parseJid(jid) });
const said = (nick: string, body: string) => x('message', { from: `${ROOM}/${nick}`, type: 'groupchat' }, x('body', {}, body));

function history(fail = false) {
  const mem = memoryArchive(fail);
  const replies: Element[] = [];
  const h = new RoomHistory({
    archive: { archive: mem.archive, maxMessageBytes: 65536 },
    history: { messages: 20, maxBytes: 16384 },
    log,
    reply: (_s, el) => void replies.push(el),
  });
  return { h, mem, replies };
}

describe('RoomHistory', () => {
  it('stamps the broadcast copy with the id it archives under, the append running meanwhile; a failed append is only logged', async () => {
    const { h, mem } = history();
    const a = await h.archive(ROOM, said('bo', 'hi'), `${ROOM}/bo`);
    expect(a.out.getChild('stanza-id', 'urn:xmpp:sid:0')?.attrs).toMatchObject({ by: ROOM, id: 'id1' });
    await a.stored;
    expect(mem.items[0]).toMatchObject({ id: 'id1', with: `${ROOM}/bo` });
    expect(mem.items[0].xml).toContain('stanza-id');
    const chat = await h.archive(ROOM, x('message', { type: 'groupchat' }, x('active', { xmlns: 'http://jabber.org/protocol/chatstates' })), ROOM);
    expect(chat.out.getChild('stanza-id')).toBeUndefined();
    const down = history(true);
    await expect((await down.h.archive(ROOM, said('bo', 'hi'), `${ROOM}/bo`)).stored).resolves.toBeUndefined();
  });

  it('gives a message handled again (same id attribute and content) its first stanza-id and archives it once, in this process or the next owner', async () => {
    const { h, mem } = history();
    const msg = () => x('message', { from: `${ROOM}/bo`, type: 'groupchat', id: 'c1' }, x('body', {}, 'once'));
    const first = await h.archive(ROOM, msg(), `${ROOM}/bo`, 'bo@d/r');
    await first.stored;
    const again = await h.archive(ROOM, msg(), `${ROOM}/bo`, 'bo@d/r');
    expect(again.out.getChild('stanza-id', 'urn:xmpp:sid:0')?.attrs.id).toBe('id1');
    const next = new RoomHistory({
      archive: { archive: mem.archive, maxMessageBytes: 65536 },
      history: { messages: 20, maxBytes: 16384 },
      log,
      reply: () => undefined,
    });
    expect((await next.archive(ROOM, msg(), `${ROOM}/bo`, 'bo@d/r')).out.getChild('stanza-id', 'urn:xmpp:sid:0')?.attrs.id).toBe('id1');
    expect(mem.items).toHaveLength(1);
    // Without an id attribute two equal messages are two messages.
    const plain = () => said('bo', 'ok');
    await (
      await h.archive(ROOM, plain(), `${ROOM}/bo`)
    ).stored;
    await (
      await h.archive(ROOM, plain(), `${ROOM}/bo`)
    ).stored;
    expect(mem.items).toHaveLength(3);
  });

  it('serves join history from the last page, with delay from the room and the stanza-id', async () => {
    const { h } = history();
    for (const b of ['1', '2', '3']) await (await h.archive(ROOM, said('bo', b), `${ROOM}/bo`)).stored;
    const got = await h.joinHistory(ROOM, room(), { maxstanzas: 2 });
    expect(got.map((m) => m.getChildText('body'))).toEqual(['2', '3']);
    expect(got[0].getChild('delay', 'urn:xmpp:delay')?.attrs.from).toBe(ROOM);
    expect(got[0].getChild('stanza-id', 'urn:xmpp:sid:0')?.attrs.id).toBe('id2');
    expect(await h.joinHistory(ROOM, room(), { maxstanzas: 0 })).toEqual([]);
  });

  it('lets only moderators moderate, tombstones the message and tells the room', async () => {
    const { h } = history();
    await (
      await h.archive(ROOM, said('bo', 'spam'), `${ROOM}/bo`)
    ).stored;
    const told: Element[] = [];
    const broadcast = async (el: Element) => void told.push(el);
    const no = await h.moderate({ id: 'id1' }, sender('bo@d/r'), ROOM, room(), broadcast);
    expect((no as StanzaError).condition).toBe('forbidden');
    expect(((await h.moderate({ id: 'nope' }, sender('al@d/r'), ROOM, room(), broadcast)) as StanzaError).condition).toBe('item-not-found');
    expect(await h.moderate({ id: 'id1', reason: 'r' }, sender('al@d/r'), ROOM, room(), broadcast)).toBeNull();
    expect(told).toHaveLength(1);
    expect(told[0].getChild('retract', 'urn:xmpp:message-retract:1')?.attrs.id).toBe('id1');
    expect(told[0].getChild('stanza-id', 'urn:xmpp:sid:0')).toBeTruthy();
    const [first] = await h.joinHistory(ROOM, room(), {});
    expect(first.getChild('body')).toBeUndefined();
    expect(first.getChild('retracted', 'urn:xmpp:message-retract:1')).toBeTruthy();
  });

  it('answers MAM from the room to the querier, and refuses rooms that do not archive', async () => {
    const { h, replies } = history();
    await (
      await h.archive(ROOM, said('bo', 'a'), `${ROOM}/bo`)
    ).stored;
    const fin = await h.query(false, x('query', { xmlns: 'urn:xmpp:mam:2', queryid: 'q' }), sender('eve@d/x'), ROOM, room());
    expect((fin as Element).name).toBe('fin');
    expect(replies[0].attrs).toMatchObject({ from: ROOM, to: 'eve@d/x' });
    const off = { ...room(), config: { ...room().config, enableArchiving: false } };
    expect(((await h.query(false, x('query', { xmlns: 'urn:xmpp:mam:2' }), sender('al@d/r'), ROOM, off)) as StanzaError).condition).toBe('service-unavailable');
    expect(h.features(off)).toEqual([]);
    expect(h.features(room())).toContain('urn:xmpp:mam:2');
  });
  it("keeps the sender's real bare JID in the archive and gives it only to those who may see real JIDs", async () => {
    const { h, mem, replies } = history();
    const a = await h.archive(ROOM, said('bo', 'x'), `${ROOM}/bo`, 'bo@d/r');
    await a.stored;
    expect(a.out.getChild('x', 'http://jabber.org/protocol/muc#user')).toBeUndefined();
    expect(mem.items[0].xml).toContain('<item jid="bo@d"/>');
    const realJid = (el: Element | undefined) => el?.getChild('x', 'http://jabber.org/protocol/muc#user')?.getChild('item')?.attrs.jid;
    expect(realJid((await h.joinHistory(ROOM, room(), {}, false))[0])).toBeUndefined();
    expect(realJid((await h.joinHistory(ROOM, room(), {}, true))[0])).toBe('bo@d');
    const forwarded = (el: Element) => el.getChild('result')?.getChild('forwarded')?.getChild('message');
    await h.query(false, x('query', { xmlns: 'urn:xmpp:mam:2' }), sender('bo@d/r'), ROOM, room());
    expect(realJid(forwarded(replies[0]))).toBeUndefined();
    await h.query(false, x('query', { xmlns: 'urn:xmpp:mam:2' }), sender('al@d/r'), ROOM, room());
    expect(realJid(forwarded(replies[1]))).toBe('bo@d');
    const open = { ...room(), config: { ...room().config, whois: 'anyone' as const } };
    await h.query(false, x('query', { xmlns: 'urn:xmpp:mam:2' }), sender('eve@d/x'), ROOM, open);
    expect(realJid(forwarded(replies[2]))).toBe('bo@d');
  });
});
