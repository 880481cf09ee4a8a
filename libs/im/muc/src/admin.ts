// XEP-0045 §9–10 muc#admin, the first part: affiliations granted and revoked
// (member, admin, owner, outcast, none) and kicks; a ban or a kick removes
// the occupant. Pure decisions, like room.ts.
import { StanzaError } from '@cx/xmpp-core';
import { affiliationOf, bareOf, roleFor, type Affiliation, type Occupant, type Room } from './room';

export interface AdminOutcome {
  room: Room;
  /** Occupants whose affiliation or role changed and who stay. */
  changed: Occupant[];
  /** Occupants who had to go (banned, kicked, or no longer members of a members-only room). */
  removed: Occupant[];
}

const RANK: Record<Affiliation, number> = { outcast: 0, none: 1, member: 2, admin: 3, owner: 4 };

/** §10.6–10.9: `actor` (a bare JID) sets these affiliations. */
export function setAffiliations(room: Room, actor: string, items: ReadonlyArray<{ jid: string; affiliation: Affiliation }>): AdminOutcome | StanzaError {
  const mine = affiliationOf(room, actor);
  const affiliations = { ...room.affiliations };
  for (const { jid, affiliation } of items) {
    const target = bareOf(jid);
    const theirs = affiliations[target] ?? 'none';
    const ownerOnly = affiliation === 'owner' || affiliation === 'admin' || theirs === 'owner' || theirs === 'admin';
    if (mine !== 'owner' && (mine !== 'admin' || ownerOnly)) return new StanzaError('forbidden', 'you may not change this affiliation');
    if (affiliation === 'none') delete affiliations[target];
    else affiliations[target] = affiliation;
  }
  if (!Object.values(affiliations).includes('owner')) return new StanzaError('conflict', 'a room keeps at least one owner');
  const next: Room = { ...room, affiliations };
  const removed: Occupant[] = [];
  const changed: Occupant[] = [];
  const occupants: Occupant[] = [];
  for (const o of room.occupants) {
    const a = affiliationOf(next, o.jid);
    if (a === 'outcast' || (next.config.membersOnly && a === 'none')) {
      removed.push(o);
      continue;
    }
    // Only a changed affiliation resets the role (§9: member → participant, admin → moderator, none in a moderated room → visitor);
    // roles granted by moderators (voice, moderator) stay otherwise.
    if (a === affiliationOf(room, o.jid)) {
      occupants.push(o);
      continue;
    }
    const after = { ...o, role: roleFor(a, next.config) };
    changed.push(after);
    occupants.push(after);
  }
  return { room: { ...next, occupants }, changed, removed };
}

/** §8.2: a moderator kicks an occupant by nick (not one of higher or equal affiliation above member). */
export function kick(room: Room, actor: Occupant, nick: string): AdminOutcome | StanzaError {
  if (actor.role !== 'moderator') return new StanzaError('forbidden', 'only moderators may kick');
  const target = room.occupants.find((o) => o.nick === nick);
  if (!target) return new StanzaError('item-not-found', 'no such occupant');
  const theirs = affiliationOf(room, target.jid);
  if (RANK[theirs] >= RANK.admin && RANK[theirs] >= RANK[affiliationOf(room, actor.jid)])
    return new StanzaError('not-allowed', 'you may not kick this occupant');
  return { room: { ...room, occupants: room.occupants.filter((o) => o !== target) }, changed: [], removed: [target] };
}

/** §9.5: the JIDs with this affiliation. */
export function withAffiliation(room: Room, affiliation: Affiliation): string[] {
  return Object.entries(room.affiliations)
    .filter(([, a]) => a === affiliation)
    .map(([j]) => j)
    .sort();
}

export function isAffiliation(s: string): s is Affiliation {
  return s in RANK;
}
