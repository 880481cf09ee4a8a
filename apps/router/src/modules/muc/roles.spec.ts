import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type Room } from '@cx/muc';
import { x } from '@cx/xmpp-core';
import { roomInfoExtraFields } from './room-info';
import { adminWhy, explain } from './roles';
import { occupantPresence, roomInfo } from './xml';

const alice = { nick: 'alice', jid: 'alice@d/a', role: 'moderator' as const };
const bob = { nick: 'bob', jid: 'bob@d/b', role: 'visitor' as const };
const room = (config: Partial<Room['config']> = {}, extra: Partial<Room> = {}): Room => ({
  config: { ...DEFAULT_CONFIG, ...config },
  affiliations: { 'alice@d': 'owner' },
  occupants: [alice, bob],
  subject: null,
  locked: false,
  ...extra,
});
const fields = (r: Room) => new Map(roomInfoExtraFields(r).map((f) => [f.var, f.values]));

describe('room disco#info', () => {
  it('names the owners as contacts only in a non-anonymous room, and the avatar hash only when there is one', () => {
    expect(fields(room()).has('muc#roominfo_contactjid')).toBe(false);
    expect(fields(room({ whois: 'anyone' })).get('muc#roominfo_contactjid')).toEqual(['alice@d']);
    expect(fields(room()).has('muc#roominfo_avatarhash')).toBe(false);
    expect(fields(room({}, { avatarHashes: ['abc'] })).get('muc#roominfo_avatarhash')).toEqual(['abc']);
    expect(fields(room({ allowPm: false })).get('muc#roomconfig_allowpm')).toEqual(['none']);
  });

  it('says moderated or unmoderated, and advertises voice requests and the room vCard', () => {
    const features = (r: Room) =>
      roomInfo('r', r)
        .getChildren('feature')
        .map((f) => f.attrs.var);
    expect(features(room({ moderated: true }))).toEqual(expect.arrayContaining(['muc_moderated', 'http://jabber.org/protocol/muc#request', 'vcard-temp']));
    expect(features(room())).toContain('muc_unmoderated');
    expect(features(room())).not.toContain('muc_moderated');
  });
});

describe('reasons and actors', () => {
  it("puts the item's reason in every copy and the actor's nick in the affected occupant's own", () => {
    const why = adminWhy([x('item', { nick: 'bob', role: 'visitor' }, x('reason', {}, 'calm down'))], 'alice');
    const own = explain(occupantPresence('r@c', room(), bob, bob), bob, bob, why);
    const item = own.getChild('x', 'http://jabber.org/protocol/muc#user')?.getChild('item');
    expect(item?.getChildText('reason')).toBe('calm down');
    expect(item?.getChild('actor')?.attrs.nick).toBe('alice');
    const theirs = explain(occupantPresence('r@c', room(), bob, alice), bob, alice, why)
      .getChild('x', 'http://jabber.org/protocol/muc#user')
      ?.getChild('item');
    expect(theirs?.getChildText('reason')).toBe('calm down');
    expect(theirs?.getChild('actor')).toBeUndefined();
    expect(explain(occupantPresence('r@c', room(), alice, alice), alice, alice, why).toString()).not.toContain('reason');
  });
});
