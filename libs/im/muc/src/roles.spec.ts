import { describe, expect, it } from 'vitest';
import { NS, StanzaError, x } from '@cx/xmpp-core';
import {
  applyConfig,
  approvalForm,
  avatarHashes,
  configForm,
  grantMembership,
  join,
  mayInvite,
  mayPm,
  pmValue,
  readRequest,
  requestForm,
  setAffiliations,
  setRoles,
  withRole,
  MUC_REQUEST,
  type Occupant,
  type Room,
} from './index';

const req = (jid: string, nick: string) => ({ jid, nick, maxOccupants: 10 });

/** alice owns it; the config as given; bob (none) and carol (member) joined after. */
function room(config: Partial<Room['config']> = {}): Room {
  const o = join(null, req('alice@d/a', 'alice'));
  if (o.kind !== 'joined') throw new Error('not joined');
  let r: Room = { ...o.room, locked: false, config: { ...o.room.config, ...config }, affiliations: { ...o.room.affiliations, 'carol@d': 'member' } };
  for (const [jid, nick] of [
    ['bob@d/b', 'bob'],
    ['carol@d/c', 'carol'],
  ] as const) {
    const j = join(r, req(jid, nick));
    if (j.kind !== 'joined') throw new Error(j.kind);
    r = j.room;
  }
  return r;
}
const occ = (r: Room, nick: string) => r.occupants.find((o) => o.nick === nick) as Occupant;
const ok = <T>(v: T | StanzaError): T => {
  if (v instanceof StanzaError) throw new Error(v.condition);
  return v;
};

describe('roles on entering', () => {
  it('makes newcomers without an affiliation visitors in a moderated room, members participants, owners moderators', () => {
    const r = room({ moderated: true });
    expect([occ(r, 'alice').role, occ(r, 'bob').role, occ(r, 'carol').role]).toEqual(['moderator', 'visitor', 'participant']);
    expect(occ(room(), 'bob').role).toBe('participant');
  });
});

describe('setRoles', () => {
  it('lets a moderator give and take voice, and tells only of real changes', () => {
    const r = room({ moderated: true });
    const out = ok(setRoles(r, occ(r, 'alice'), [{ nick: 'bob', role: 'participant' }]));
    expect(occ(out.room, 'bob').role).toBe('participant');
    expect(out.changed.map((o) => o.nick)).toEqual(['bob']);
    expect(ok(setRoles(out.room, occ(out.room, 'alice'), [{ nick: 'bob', role: 'participant' }])).changed).toEqual([]);
    expect(occ(ok(setRoles(out.room, occ(out.room, 'alice'), [{ nick: 'bob', role: 'visitor' }])).room, 'bob').role).toBe('visitor');
  });

  it('refuses non-moderators (forbidden), unknown nicks, changing an owner, and moderator grants by non-admins (not-allowed)', () => {
    const r = room();
    const cond = (v: unknown) => (v instanceof StanzaError ? v.condition : 'ok');
    expect(cond(setRoles(r, occ(r, 'bob'), [{ nick: 'carol', role: 'visitor' }]))).toBe('forbidden');
    expect(cond(setRoles(r, occ(r, 'alice'), [{ nick: 'nobody', role: 'visitor' }]))).toBe('item-not-found');
    expect(cond(setRoles(r, occ(r, 'alice'), [{ nick: 'alice', role: 'visitor' }]))).toBe('not-allowed');
    // alice (owner) makes bob a moderator; bob may then not make carol one, nor take alice's role.
    const m = ok(setRoles(r, occ(r, 'alice'), [{ nick: 'bob', role: 'moderator' }])).room;
    expect(cond(setRoles(m, occ(m, 'bob'), [{ nick: 'carol', role: 'moderator' }]))).toBe('not-allowed');
    expect(cond(setRoles(m, occ(m, 'bob'), [{ nick: 'alice', role: 'visitor' }]))).toBe('not-allowed');
    // carol is a member, bob has no affiliation: she ranks above him (§8.4).
    expect(cond(setRoles(m, occ(m, 'bob'), [{ nick: 'carol', role: 'visitor' }]))).toBe('not-allowed');
    const dave = join(m, req('dave@d/x', 'dave'));
    if (dave.kind !== 'joined') throw new Error(dave.kind);
    expect(cond(setRoles(dave.room, occ(dave.room, 'bob'), [{ nick: 'dave', role: 'visitor' }]))).toBe('ok');
  });

  it('lists roles for moderators only', () => {
    const r = room({ moderated: true });
    expect(ok(withRole(r, occ(r, 'alice'), 'visitor')).map((o) => o.nick)).toEqual(['bob']);
    expect(ok(withRole(r, occ(r, 'alice'), 'moderator')).map((o) => o.nick)).toEqual(['alice']);
    expect(withRole(r, occ(r, 'carol'), 'participant')).toBeInstanceOf(StanzaError);
  });
});

describe('affiliation changes and roles', () => {
  it('resets the role of those whose affiliation changed only (member → participant, admin → moderator, none in a moderated room → visitor)', () => {
    const r0 = room({ moderated: true });
    const voiced = ok(setRoles(r0, occ(r0, 'alice'), [{ nick: 'bob', role: 'participant' }])).room;
    const out = ok(setAffiliations(voiced, 'alice@d', [{ jid: 'carol@d', affiliation: 'admin' }]));
    expect(occ(out.room, 'carol').role).toBe('moderator');
    expect(occ(out.room, 'bob').role).toBe('participant'); // bob's granted voice stays
    expect(out.changed.map((o) => o.nick)).toEqual(['carol']);
    const back = ok(setAffiliations(out.room, 'alice@d', [{ jid: 'carol@d', affiliation: 'none' }]));
    expect(occ(back.room, 'carol').role).toBe('visitor');
    const member = ok(setAffiliations(back.room, 'alice@d', [{ jid: 'bob@d', affiliation: 'member' }]));
    expect(occ(member.room, 'bob').role).toBe('participant');
  });
});

describe('invitations', () => {
  it('lets anyone invite to an open room unless allowinvites is off (then moderators); members of a members-only room only when on', () => {
    const open = room();
    expect(mayInvite(open, occ(open, 'bob'), 'bob@d')).toBe(true);
    const closed = room({ allowInvites: false });
    expect(mayInvite(closed, occ(closed, 'bob'), 'bob@d')).toBe(false);
    expect(mayInvite(closed, occ(closed, 'alice'), 'alice@d')).toBe(true);
    const members = { ...room({ allowInvites: false }), config: { ...room().config, membersOnly: true, allowInvites: false } };
    expect(mayInvite(members, occ(members, 'carol'), 'carol@d')).toBe(false);
    expect(mayInvite({ ...members, config: { ...members.config, allowInvites: true } }, occ(members, 'carol'), 'carol@d')).toBe(true);
    expect(grantMembership(members, ['dave@d/x', 'alice@d']).affiliations).toMatchObject({ 'dave@d': 'member', 'alice@d': 'owner' });
  });
});

describe('voice requests', () => {
  const form = (fields: Record<string, string>, type = 'submit') =>
    x('x', { xmlns: NS.DATA, type }, ...Object.entries({ FORM_TYPE: MUC_REQUEST, ...fields }).map(([k, v]) => x('field', { var: k }, x('value', {}, v))));
  it('reads a request and a moderator answer, and builds the form moderators get', () => {
    expect(readRequest(form({ 'muc#role': 'participant' }))).toEqual({ kind: 'ask', role: 'participant' });
    expect(readRequest(form({ 'muc#roomnick': 'bob', 'muc#request_allow': 'true' }))).toMatchObject({ kind: 'answer', allow: true, nick: 'bob' });
    const msg = x('message', {}, x('body', {}, 'hi'), form({ 'muc#role': 'participant' }));
    expect(requestForm(msg)).toBeTruthy();
    expect(requestForm(x('message', {}, x('x', { xmlns: NS.DATA }, x('field', { var: 'FORM_TYPE' }, x('value', {}, 'other')))))).toBeUndefined();
    const approval = approvalForm({ nick: 'bob', jid: 'bob@d/b', role: 'visitor' });
    const vars = approval.getChildren('field').map((f) => f.attrs.var);
    expect(vars).toEqual(['FORM_TYPE', 'muc#role', 'muc#jid', 'muc#roomnick', 'muc#request_allow']);
    // The moderator's client sends it back with the box ticked: an answer.
    approval
      .getChildren('field')
      .find((f) => f.attrs.var === 'muc#request_allow')
      ?.getChild('value')
      ?.children.splice(0, 1, '1');
    expect(readRequest(approval)).toMatchObject({ kind: 'answer', allow: true, nick: 'bob', jid: 'bob@d/b' });
  });
});

describe('config form and avatars', () => {
  it('offers and applies moderatedroom and allowinvites', () => {
    const c = room().config;
    const vars = configForm(c)
      .getChildren('field')
      .map((f) => f.attrs.var);
    expect(vars).toEqual(expect.arrayContaining(['muc#roomconfig_moderatedroom', 'muc#roomconfig_allowinvites', 'muc#roomconfig_changesubject']));
    const next = applyConfig(
      c,
      x(
        'x',
        { xmlns: NS.DATA, type: 'submit' },
        x('field', { var: 'muc#roomconfig_moderatedroom' }, x('value', {}, '1')),
        x('field', { var: 'muc#roomconfig_allowinvites' }, x('value', {}, 'false')),
        x('field', { var: 'muc#roomconfig_unknown' }, x('value', {}, '1')),
      ),
    );
    expect(next).toMatchObject({ moderated: true, allowInvites: false });
    const pm = (v: string) =>
      applyConfig(c, x('x', { xmlns: NS.DATA, type: 'submit' }, x('field', { var: 'muc#roomconfig_allowpm' }, x('value', {}, v)))).allowPm;
    expect([pm('none'), pm('0'), pm('anyone'), pm('participants'), pm('1')]).toEqual([false, false, true, true, true]);
    const mods = { ...room({ moderated: true }), config: { ...room({ moderated: true }).config, pmFrom: 'moderator' as const } };
    expect([mayPm(mods, occ(mods, 'alice')), mayPm(mods, occ(mods, 'carol'))]).toEqual([true, false]);
    const parts = { ...mods, config: { ...mods.config, pmFrom: 'participant' as const } };
    expect([mayPm(parts, occ(parts, 'carol')), mayPm(parts, occ(parts, 'bob'))]).toEqual([true, false]);
    expect(pmValue(parts.config)).toBe('participants');
  });

  it('hashes each PHOTO of a vCard with SHA-1', () => {
    const v = x('vCard', { xmlns: 'vcard-temp' }, x('PHOTO', {}, x('TYPE', {}, 'image/png'), x('BINVAL', {}, Buffer.from('abc').toString('base64'))));
    expect(avatarHashes(v)).toEqual(['a9993e364706816aba3e25717850c26c9cd0d89d']);
    expect(avatarHashes(x('vCard', { xmlns: 'vcard-temp' }, x('FN', {}, 'Room')))).toEqual([]);
  });
});
