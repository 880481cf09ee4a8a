import { describe, expect, it } from 'vitest';
import { StanzaError, x } from '@cx/xmpp-core';
import {
  archivableGroupchat,
  archiving,
  DEFAULT_CONFIG,
  historyQuery,
  mayReadArchive,
  moderationNotice,
  parseModerate,
  pickHistory,
  tombstone,
  withoutRoomStanzaIds,
  type Room,
} from './index';

const room = (over: Partial<Room['config']> = {}, affiliations: Room['affiliations'] = {}): Room => ({
  config: { ...DEFAULT_CONFIG, ...over },
  affiliations,
  occupants: [{ nick: 'al', jid: 'al@d/r', role: 'moderator' }],
  subject: null,
  locked: false,
});

describe('room archive rules', () => {
  it('archives by default, and not once the owner turns it off', () => {
    expect(archiving(room())).toBe(true);
    expect(archiving({ ...room(), config: { ...room().config, enableArchiving: undefined } })).toBe(true);
    expect(archiving(room({ enableArchiving: false }))).toBe(false);
  });

  it('archives messages with a body or an encrypted payload, not chat states or <no-store/>', () => {
    expect(archivableGroupchat(x('message', {}, x('body', {}, 'hi')))).toBe(true);
    expect(archivableGroupchat(x('message', {}, x('encrypted', { xmlns: 'eu.siacs.conversations.axolotl' })))).toBe(true);
    expect(archivableGroupchat(x('message', {}, x('active', { xmlns: 'http://jabber.org/protocol/chatstates' })))).toBe(false);
    expect(archivableGroupchat(x('message', {}, x('body', {}, 'hi'), x('no-store', { xmlns: 'urn:xmpp:hints' })))).toBe(false);
    expect(archivableGroupchat(x('message', {}, x('retract', { xmlns: 'urn:xmpp:message-retract:1' }), x('store', { xmlns: 'urn:xmpp:hints' })))).toBe(true);
  });

  it("drops a client's stanza-id in the room's name, keeps others", () => {
    const kids = [
      x('stanza-id', { xmlns: 'urn:xmpp:sid:0', by: 'Room@conf.d', id: 'forged' }),
      x('stanza-id', { xmlns: 'urn:xmpp:sid:0', by: 'al@d', id: 'theirs' }),
      x('body', {}, 'hi'),
    ];
    expect(withoutRoomStanzaIds(kids, 'room@conf.d').map((c) => c.attrs.id ?? c.name)).toEqual(['theirs', 'body']);
  });

  it("lets occupants read; in a members-only room only the affiliated; never outcasts (Prosody's mod_muc_mam)", () => {
    expect(mayReadArchive(room(), 'al@d/r')).toBe(true);
    expect(mayReadArchive(room(), 'eve@d/e')).toBe(true);
    expect(mayReadArchive(room({}, { 'eve@d': 'outcast' }), 'eve@d/e')).toBeInstanceOf(StanzaError);
    expect((mayReadArchive(room({ membersOnly: true }), 'eve@d/e') as StanzaError).condition).toBe('forbidden');
    expect(mayReadArchive(room({ membersOnly: true }, { 'bob@d': 'member' }), 'bob@d/x')).toBe(true);
    expect(mayReadArchive(room({ password: 's' }), 'eve@d/e')).toBeInstanceOf(StanzaError);
  });
});

describe('join history from the archive', () => {
  it('asks for the last page, bounded by the service, from the later of seconds and since', () => {
    expect(historyQuery({}, 20, 1_000_000)).toEqual({ max: 20 });
    expect(historyQuery({ maxstanzas: 5 }, 20, 0)).toEqual({ max: 5 });
    expect(historyQuery({ maxstanzas: 500 }, 20, 0)).toEqual({ max: 20 });
    expect(historyQuery({ maxstanzas: 0 }, 20, 0)).toBeNull();
    expect(historyQuery({ maxchars: 0 }, 20, 0)).toBeNull();
    expect(historyQuery({ seconds: 10, since: 995_000 }, 20, 1_000_000)).toEqual({ max: 20, start: 995_000 });
    expect(historyQuery({ seconds: 2 }, 20, 1_000_000)).toEqual({ max: 20, start: 998_000 });
  });

  it('narrows what the archive gave by maxchars and the exclusive since', () => {
    const e = [
      { xml: 'aaaa', at: 1 },
      { xml: 'bbbb', at: 2 },
      { xml: 'cccc', at: 3 },
    ];
    expect(pickHistory(e, { maxchars: 9 }, 10).map((h) => h.xml)).toEqual(['bbbb', 'cccc']);
    expect(pickHistory(e, { since: 2 }, 10).map((h) => h.xml)).toEqual(['cccc']);
  });
});

describe('XEP-0425 moderation', () => {
  it('reads the :1 request and the :0 <apply-to/> one', () => {
    const one = x(
      'moderate',
      { xmlns: 'urn:xmpp:message-moderate:1', id: 's1' },
      x('retract', { xmlns: 'urn:xmpp:message-retract:1' }),
      x('reason', {}, 'spam'),
    );
    expect(parseModerate(one)).toEqual({ id: 's1', reason: 'spam' });
    const zero = x(
      'apply-to',
      { xmlns: 'urn:xmpp:fasten:0', id: 's2' },
      x('moderate', { xmlns: 'urn:xmpp:message-moderate:0' }, x('retract', { xmlns: 'urn:xmpp:message-retract:0' })),
    );
    expect(parseModerate(zero)).toEqual({ id: 's2' });
    expect(parseModerate(x('query', { xmlns: 'urn:xmpp:mam:2' }))).toBeUndefined();
    expect((parseModerate(x('moderate', { xmlns: 'urn:xmpp:message-moderate:1', id: 's' })) as StanzaError).condition).toBe('feature-not-implemented');
    expect(
      (parseModerate(x('moderate', { xmlns: 'urn:xmpp:message-moderate:1' }, x('retract', { xmlns: 'urn:xmpp:message-retract:1' }))) as StanzaError).condition,
    ).toBe('bad-request');
  });

  const m = { id: 's1', by: 'room@conf.d/al', occupantId: 'occ-al', reason: 'spam', stamp: new Date('2026-01-02T03:04:05Z') };

  it('tells occupants with <retract id/> and <moderated by/> (and the :0 <apply-to/>)', () => {
    const n = moderationNotice('room@conf.d', m, 'n1');
    expect(n.attrs).toMatchObject({ from: 'room@conf.d', type: 'groupchat', id: 'n1' });
    const r = n.getChild('retract', 'urn:xmpp:message-retract:1');
    expect(r?.attrs.id).toBe('s1');
    expect(r?.getChild('moderated', 'urn:xmpp:message-moderate:1')?.attrs.by).toBe('room@conf.d/al');
    expect(r?.getChild('moderated', 'urn:xmpp:message-moderate:1')?.getChild('occupant-id')?.attrs.id).toBe('occ-al');
    expect(r?.getChildText('reason')).toBe('spam');
    expect(n.getChild('apply-to', 'urn:xmpp:fasten:0')?.getChild('moderated', 'urn:xmpp:message-moderate:0')?.attrs.by).toBe('room@conf.d/al');
  });

  it('keeps of the message only its attributes, occupant id and stanza-id in the tombstone', () => {
    const orig = x(
      'message',
      { from: 'room@conf.d/bob', type: 'groupchat', id: 'm1' },
      x('body', {}, 'buy potions'),
      x('occupant-id', { xmlns: 'urn:xmpp:occupant-id:0', id: 'occ-bob' }),
      x('stanza-id', { xmlns: 'urn:xmpp:sid:0', by: 'room@conf.d', id: 's1' }),
    );
    const t = tombstone(orig, m);
    expect(t.attrs).toMatchObject({ from: 'room@conf.d/bob', type: 'groupchat', id: 'm1' });
    expect(t.getChild('body')).toBeUndefined();
    expect(t.toString()).not.toContain('potions');
    expect(t.getChild('retracted', 'urn:xmpp:message-retract:1')?.attrs.stamp).toBe('2026-01-02T03:04:05.000Z');
    expect(t.getChild('occupant-id', 'urn:xmpp:occupant-id:0')?.attrs.id).toBe('occ-bob');
    expect(t.getChild('stanza-id', 'urn:xmpp:sid:0')?.attrs.id).toBe('s1');
  });
});
