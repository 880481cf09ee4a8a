// XEP-0045 roles (§5.1): moderator, participant, visitor. Who enters as
// what (a moderated room makes newcomers without an affiliation visitors),
// who may speak, who may change whose role (§8.3–8.5, §9.6–9.8; the rules
// are Prosody's where the XEP leaves room), role lists, and who may invite
// (§7.8, muc#roomconfig_allowinvites). Pure decisions, like room.ts.
import { StanzaError } from '@cx/xmpp-core';
import type { AdminOutcome } from './admin';
import { affiliationOf, bareOf, type Affiliation, type Occupant, type Role, type Room } from './room';

/** §7.4: visitors have no voice (their groupchat messages are refused with forbidden). */
export function maySpeak(o: Occupant): boolean {
  return o.role === 'moderator' || o.role === 'participant';
}

/** §7.5 with muc#roomconfig_allowpm: may this occupant send private messages? */
export function mayPm(room: Room, o: Occupant): boolean {
  const { allowPm, pmFrom } = room.config;
  if (!allowPm) return false;
  if (pmFrom === 'moderator') return o.role === 'moderator';
  if (pmFrom === 'participant') return maySpeak(o);
  return true;
}

export function isRole(s: string): s is Role {
  return s === 'moderator' || s === 'participant' || s === 'visitor' || s === 'none';
}

const RANK: Record<Affiliation, number> = { outcast: 0, none: 1, member: 2, admin: 3, owner: 4 };
const high = (a: Affiliation) => a === 'owner' || a === 'admin';

/**
 * May `actor` give `target` this role (§8.3–8.4 voice, §9.6–9.7 moderator)?
 * Only moderators change roles; owners' and admins' roles are never changed;
 * only owners and admins grant or revoke the moderator role; a moderator
 * does not change the role of one whose affiliation ranks above its own
 * (§8.4 says "at or above"; like Prosody, a moderator without affiliation may
 * still silence another occupant without one).
 */
export function maySetRole(room: Room, actor: Occupant, target: Occupant, role: Role): StanzaError | null {
  if (actor.role !== 'moderator') return new StanzaError('forbidden', 'only moderators change roles');
  if (high(affiliationOf(room, target.jid))) return new StanzaError('not-allowed', "an owner's or admin's role does not change");
  if (high(affiliationOf(room, actor.jid))) return null;
  if (target.role === 'moderator' || role === 'moderator') return new StanzaError('not-allowed', 'only admins and owners grant or revoke the moderator role');
  if (RANK[affiliationOf(room, target.jid)] > RANK[affiliationOf(room, actor.jid)]) return new StanzaError('not-allowed', 'this occupant ranks above you');
  return null;
}

/**
 * §8.3–8.4, §9.6–9.7: `actor` sets the roles of occupants named by nick
 * (participant, visitor, moderator; 'none' is a kick, admin.ts). All or none:
 * the first refusal is the answer.
 */
export function setRoles(room: Room, actor: Occupant, items: ReadonlyArray<{ nick: string; role: Role }>): AdminOutcome | StanzaError {
  let occupants = room.occupants;
  const changed = new Map<string, Occupant>();
  for (const { nick, role } of items) {
    if (role === 'none') return new StanzaError('bad-request', 'a kick is an item on its own');
    const target = occupants.find((o) => o.nick === nick);
    if (!target) return new StanzaError('item-not-found', 'no such occupant');
    const refused = maySetRole(room, actor, target, role);
    if (refused) return refused;
    if (target.role === role) continue;
    const after = { ...target, role };
    occupants = occupants.map((o) => (o === target ? after : o));
    changed.set(after.jid, after);
  }
  return { room: { ...room, occupants }, changed: [...changed.values()], removed: [] };
}

/** §8.5 (voice list), §9.8 (moderator list): the occupants with this role, for moderators. */
export function withRole(room: Room, viewer: Occupant | undefined, role: string): Occupant[] | StanzaError {
  if (!isRole(role) || role === 'none') return new StanzaError('bad-request', 'ask for one role');
  if (viewer?.role !== 'moderator') return new StanzaError('forbidden', 'only moderators read role lists');
  return room.occupants.filter((o) => o.role === role);
}

/**
 * §7.8: may this occupant invite? Owners and admins always; in an open room
 * anyone when muc#roomconfig_allowinvites is on, else moderators; in a
 * members-only room members when it is on (the invitee becomes a member).
 */
export function mayInvite(room: Room, inviter: Occupant | undefined, inviterJid: string): boolean {
  const a = affiliationOf(room, inviterJid);
  if (high(a)) return true;
  const allow = room.config.allowInvites ?? true;
  if (room.config.membersOnly) return allow && a === 'member';
  return allow || inviter?.role === 'moderator';
}

/** Make these bare JIDs members (an invitation to a members-only room); those with an affiliation keep it. */
export function grantMembership(room: Room, jids: readonly string[]): Room {
  const affiliations = { ...room.affiliations };
  for (const j of jids) if (!affiliations[bareOf(j)]) affiliations[bareOf(j)] = 'member';
  return { ...room, affiliations };
}
