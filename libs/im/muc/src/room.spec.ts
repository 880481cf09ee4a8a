import { describe, expect, it } from 'vitest';
import { x } from '@cx/xmpp-core';
import { applyConfig, historyFor, join, kept, kick, leave, remember, setAffiliations, type Room } from './index';

const req = (jid: string, nick: string, password?: string) => ({ jid, nick, password, maxOccupants: 10 });

function created(): Room {
  const o = join(null, req('alice@d/a', 'alice'));
  if (o.kind !== 'joined') throw new Error('not joined');
  return { ...o.room, locked: false };
}

describe('join', () => {
  it('creates a locked room with the joiner as owner and moderator', () => {
    const o = join(null, req('alice@d/a', 'alice'));
    expect(o.kind).toBe('joined');
    if (o.kind !== 'joined') return;
    expect(o.created).toBe(true);
    expect(o.room.locked).toBe(true);
    expect(o.room.affiliations['alice@d']).toBe('owner');
    expect(o.me.role).toBe('moderator');
  });

  it('refuses to create a room for one who may not (not-allowed), and lets one join an existing room all the same', () => {
    const no = join(null, { ...req('eve@d/e', 'eve'), mayCreate: false });
    expect(no.kind === 'refused' && no.error.condition).toBe('not-allowed');
    expect(join(created(), { ...req('eve@d/e', 'eve'), mayCreate: false }).kind).toBe('joined');
  });

  it('keeps others out of a locked room', () => {
    const o = join(null, req('alice@d/a', 'alice'));
    if (o.kind !== 'joined') throw new Error();
    const r = join(o.room, req('bob@d/b', 'bob'));
    expect(r.kind === 'refused' && r.error.condition).toBe('item-not-found');
  });

  it('refuses a nick in use (conflict), a wrong password, non-members of a members-only room', () => {
    const room = created();
    const c = join(room, req('bob@d/b', 'alice'));
    expect(c.kind === 'refused' && c.error.condition).toBe('conflict');
    const locked = { ...room, config: { ...room.config, password: 'pw' } };
    const p = join(locked, req('bob@d/b', 'bob', 'nope'));
    expect(p.kind === 'refused' && p.error.condition).toBe('not-authorized');
    expect(join(locked, req('bob@d/b', 'bob', 'pw')).kind).toBe('joined');
    const members = { ...room, config: { ...room.config, membersOnly: true } };
    const m = join(members, req('bob@d/b', 'bob'));
    expect(m.kind === 'refused' && m.error.condition).toBe('registration-required');
  });

  it('lets a participant in and out; a temporary room goes with its last occupant', () => {
    const room = created();
    const j = join(room, req('bob@d/b', 'bob'));
    if (j.kind !== 'joined') throw new Error();
    expect(j.me.role).toBe('participant');
    expect(j.room.occupants.map((o) => o.nick)).toEqual(['alice', 'bob']);
    const l1 = leave(j.room, 'bob@d/b');
    const l2 = l1 && leave(l1.room, 'alice@d/a');
    expect(l2 && kept(l2.room)).toBe(false);
    expect(leave(room, 'nobody@d/x')).toBeNull();
  });
});

describe('presence of an occupant', () => {
  it('updates its kept presence, changes its nick when free, and refuses one in use', () => {
    const j = join(created(), req('bob@d/b', 'bob'));
    if (j.kind !== 'joined') throw new Error();
    const u = join(j.room, { ...req('bob@d/b', 'bob'), presence: '<show>away</show>' });
    expect(u.kind === 'already' && u.me.presence).toBe('<show>away</show>');
    const r = join(j.room, req('bob@d/b', 'robert'));
    expect(r.kind === 'renamed' && [r.old, r.me.nick, r.room.occupants.map((o) => o.nick)]).toEqual(['bob', 'robert', ['alice', 'robert']]);
    const c = join(j.room, req('bob@d/b', 'alice'));
    expect(c.kind === 'refused' && c.error.condition).toBe('conflict');
  });
});

describe('applyConfig', () => {
  it('applies the muc#roomconfig fields it knows and ignores the others', () => {
    const f = (v: string, val: string) => x('field', { var: v }, x('value', {}, val));
    const form = x(
      'x',
      { xmlns: 'jabber:x:data', type: 'submit' },
      f('muc#roomconfig_roomname', 'Tea'),
      f('muc#roomconfig_persistentroom', '1'),
      f('muc#roomconfig_passwordprotectedroom', '1'),
      f('muc#roomconfig_roomsecret', 'pw'),
      f('muc#roomconfig_whois', 'anyone'),
      f('muc#roomconfig_maxusers', '20'),
      f('muc#roomconfig_unknown_ejabberd', 'x'),
      x('field', { var: 'muc#roomconfig_getmemberlist' }, x('value', {}, 'moderator'), x('value', {}, 'participant')),
    );
    const c = applyConfig(created().config, form);
    expect(c).toMatchObject({ name: 'Tea', persistent: true, password: 'pw', whois: 'anyone', maxUsers: 20, getMemberList: ['moderator', 'participant'] });
  });
});

describe('muc#admin', () => {
  it('lets the owner grant membership, ban (the occupant goes) and keeps one owner; others may not', () => {
    const j = join(created(), req('bob@d/b', 'bob'));
    if (j.kind !== 'joined') throw new Error();
    const byBob = setAffiliations(j.room, 'bob@d', [{ jid: 'carol@d', affiliation: 'member' }]);
    expect('condition' in byBob && byBob.condition).toBe('forbidden');
    const m = setAffiliations(j.room, 'alice@d', [{ jid: 'bob@d', affiliation: 'member' }]);
    if ('condition' in m) throw m;
    expect(m.changed.map((o) => o.nick)).toEqual(['bob']);
    const ban = setAffiliations(m.room, 'alice@d', [{ jid: 'bob@d', affiliation: 'outcast' }]);
    if ('condition' in ban) throw ban;
    expect([ban.removed.map((o) => o.nick), ban.room.occupants.map((o) => o.nick)]).toEqual([['bob'], ['alice']]);
    const last = setAffiliations(m.room, 'alice@d', [{ jid: 'alice@d', affiliation: 'none' }]);
    expect('condition' in last && last.condition).toBe('conflict');
  });

  it('lets a moderator kick a participant, not a participant a moderator', () => {
    const j = join(created(), req('bob@d/b', 'bob'));
    if (j.kind !== 'joined') throw new Error();
    const [alice, bob] = j.room.occupants;
    const no = kick(j.room, bob, 'alice');
    expect('condition' in no && no.condition).toBe('forbidden');
    const yes = kick(j.room, alice, 'bob');
    expect(!('condition' in yes) && yes.room.occupants.map((o) => o.nick)).toEqual(['alice']);
  });
});

describe('history', () => {
  it('keeps the last messages and serves what a join asks for', () => {
    let room = created();
    for (let n = 1; n <= 5; n++) room = remember(room, { xml: `<m>${n}</m>`, at: n * 1000 }, { messages: 3, maxBytes: 100 });
    expect(remember(room, { xml: 'x'.repeat(200), at: 6000 }, { messages: 3, maxBytes: 100 })).toBe(room);
    const xmls = (r: { xml: string }[]) => r.map((e) => e.xml);
    expect(xmls(historyFor(room, {}, 6000))).toEqual(['<m>3</m>', '<m>4</m>', '<m>5</m>']);
    expect(xmls(historyFor(room, { maxstanzas: 1 }, 6000))).toEqual(['<m>5</m>']);
    expect(xmls(historyFor(room, { maxstanzas: 0 }, 6000))).toEqual([]);
    expect(xmls(historyFor(room, { seconds: 2 }, 6000))).toEqual(['<m>4</m>', '<m>5</m>']);
    expect(xmls(historyFor(room, { since: 4000 }, 6000))).toEqual(['<m>5</m>']);
    expect(xmls(historyFor(room, { maxchars: 16 }, 6000))).toEqual(['<m>4</m>', '<m>5</m>']);
  });
});
