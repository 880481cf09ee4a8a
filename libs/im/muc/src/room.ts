// A XEP-0045 room as stored: configuration, affiliations, occupants (nick →
// real full JID, role) and subject. Pure decisions on it (join, leave,
// configure), so the router module only reads, decides, writes and sends.
import { StanzaError } from '@cx/xmpp-core';
import type { HistoryEntry } from './history';

export type Affiliation = 'owner' | 'admin' | 'member' | 'outcast' | 'none';
export type Role = 'moderator' | 'participant' | 'visitor' | 'none';

export interface RoomConfig {
  name: string;
  description: string;
  persistent: boolean;
  public: boolean;
  membersOnly: boolean;
  password: string;
  /** 'anyone': non-anonymous (status 100); 'moderators': semi-anonymous. */
  whois: 'anyone' | 'moderators';
  changeSubject: boolean;
  allowPm: boolean;
  maxUsers: number;
  /** Roles whose occupants may read the affiliation lists (muc#roomconfig_getmemberlist; OMEMO group chats need it). */
  getMemberList?: Role[];
  /** Messages go to the room's archive (muc#roomconfig_enablearchiving; absent: true). */
  enableArchiving?: boolean;
  /** muc#roomconfig_moderatedroom: newcomers without an affiliation enter as visitors (roles.ts). */
  moderated?: boolean;
  /** With allowPm, the least role that may send private messages (muc#roomconfig_allowpm participants, moderators); absent: anyone. */
  pmFrom?: 'participant' | 'moderator';
  /** muc#roomconfig_allowinvites: occupants (members, in a members-only room) may invite; off: moderators (admins) only. */
  allowInvites?: boolean;
}

export interface Occupant {
  nick: string;
  /** Real full JID. */
  jid: string;
  role: Role;
  /** The occupant's last presence payload (<show/>, <status/>, caps…) as XML, sent to later joiners. */
  presence?: string;
}

export interface Room {
  config: RoomConfig;
  /** Bare JID → affiliation (none is not stored). */
  affiliations: Record<string, Affiliation>;
  occupants: Occupant[];
  subject: { text: string; by: string } | null;
  /** Created and not yet configured (XEP-0045 §10.1: status 201, nobody else may enter). */
  locked: boolean;
  /** Random, made at creation: the key of the XEP-0421 occupant ids (stable per room and real bare JID, across replicas). */
  salt?: string;
  /** The last groupchat messages (history.ts). */
  history?: HistoryEntry[];
  /** SHA-1s of the room's avatar (XEP-0486); the vCard itself is stored apart (RoomStore.vcard). */
  avatarHashes?: string[];
}

export const DEFAULT_CONFIG: RoomConfig = {
  name: '',
  description: '',
  persistent: false,
  public: true,
  membersOnly: false,
  password: '',
  whois: 'moderators',
  changeSubject: false,
  allowPm: true,
  maxUsers: 100,
  getMemberList: ['moderator', 'participant', 'visitor'],
  enableArchiving: true,
  moderated: false,
  allowInvites: true,
};

export function bareOf(jid: string): string {
  const i = jid.indexOf('/');
  return i < 0 ? jid : jid.slice(0, i);
}

export function affiliationOf(room: Room, jid: string): Affiliation {
  return room.affiliations[bareOf(jid)] ?? 'none';
}

/** §5.1.2 the role one enters with: owners and admins moderate, members speak, others speak unless the room is moderated (then visitors). */
export function roleFor(a: Affiliation, c?: Pick<RoomConfig, 'moderated'>): Role {
  if (a === 'owner' || a === 'admin') return 'moderator';
  if (a === 'outcast') return 'none';
  return a === 'none' && c?.moderated ? 'visitor' : 'participant';
}

export interface JoinRequest {
  jid: string;
  nick: string;
  /** The presence payload to keep (see Occupant.presence). */
  presence?: string;
  /** The salt of a room this join creates (Room.salt). */
  salt?: string;
  /** May this joiner create a room (MUC_CREATORS)? Absent: yes. */
  mayCreate?: boolean;
  password?: string;
  /** Bound on occupants a room may hold whatever its config says (MUC_MAX_OCCUPANTS). */
  maxOccupants: number;
}

export type JoinOutcome =
  | { kind: 'joined'; room: Room; me: Occupant; created: boolean; nickChange?: undefined }
  /** Already in under this nick: a presence update (the payload kept). */
  | { kind: 'already'; room: Room; me: Occupant }
  /** §7.6: the same occupant under a new nick. */
  | { kind: 'renamed'; room: Room; me: Occupant; old: string }
  | { kind: 'refused'; error: StanzaError };

/** XEP-0045 §7.2: may this JID enter with this nick? A missing room is created, locked, with the joiner as owner. */
export function join(room: Room | null, req: JoinRequest): JoinOutcome {
  if (!room) {
    if (req.mayCreate === false) return refused('not-allowed', 'creating rooms is restricted on this service');
    const me: Occupant = { nick: req.nick, jid: req.jid, role: 'moderator', presence: req.presence };
    const fresh: Room = {
      config: { ...DEFAULT_CONFIG },
      affiliations: { [bareOf(req.jid)]: 'owner' },
      occupants: [me],
      subject: null,
      locked: true,
      salt: req.salt,
    };
    return { kind: 'joined', room: fresh, me, created: true };
  }
  const same = room.occupants.find((o) => o.jid === req.jid);
  if (same) return rejoin(room, same, req);
  const aff = affiliationOf(room, req.jid);
  const c = room.config;
  if (aff === 'outcast') return refused('forbidden', 'you are banned from this room');
  if (room.locked && aff !== 'owner') return refused('item-not-found', 'this room is locked until its owner configures it');
  const holder = room.occupants.find((o) => o.nick === req.nick);
  if (holder) return refused('conflict', 'this nickname is in use');
  if (c.membersOnly && aff === 'none') return refused('registration-required', 'this room is for members only');
  if (c.password && aff !== 'owner' && req.password !== c.password) return refused('not-authorized', 'a password is required');
  const full = room.occupants.length >= Math.min(c.maxUsers, req.maxOccupants);
  if (full && aff !== 'owner' && aff !== 'admin') return refused('service-unavailable', 'the room is full');
  const me: Occupant = { nick: req.nick, jid: req.jid, role: roleFor(aff, c), presence: req.presence };
  const others = room.occupants.filter((o) => o.jid !== req.jid);
  return { kind: 'joined', room: { ...room, occupants: [...others, me] }, me, created: false };
}

/** Presence from an occupant: an update under its nick, or a nick change when the new one is free. */
function rejoin(room: Room, same: Occupant, req: JoinRequest): JoinOutcome {
  const me: Occupant = { ...same, nick: req.nick, presence: req.presence };
  const occupants = room.occupants.map((o) => (o === same ? me : o));
  if (same.nick === req.nick) return { kind: 'already', room: { ...room, occupants }, me };
  if (room.occupants.some((o) => o.nick === req.nick)) return refused('conflict', 'this nickname is in use');
  return { kind: 'renamed', room: { ...room, occupants }, me, old: same.nick };
}

function refused(condition: ConstructorParameters<typeof StanzaError>[0], text: string): JoinOutcome {
  return { kind: 'refused', error: new StanzaError(condition, text) };
}

/** The room without this full JID's occupant (null: nothing to remove). */
export function leave(room: Room, jid: string): { room: Room; me: Occupant } | null {
  const me = room.occupants.find((o) => o.jid === jid);
  if (!me) return null;
  return { room: { ...room, occupants: room.occupants.filter((o) => o !== me) }, me };
}

export function occupantByJid(room: Room, jid: string): Occupant | undefined {
  return room.occupants.find((o) => o.jid === jid);
}

export function occupantByNick(room: Room, nick: string): Occupant | undefined {
  return room.occupants.find((o) => o.nick === nick);
}

/** Kept after the last occupant leaves? (temporary rooms go, XEP-0045 §10.9; a locked room is never kept.) */
export function kept(room: Room): boolean {
  return room.occupants.length > 0 || (room.config.persistent && !room.locked);
}

/** May this occupant change the subject (§8.1)? */
export function maySetSubject(room: Room, o: Occupant): boolean {
  return o.role === 'moderator' || (room.config.changeSubject && o.role === 'participant');
}

/** §10.2: a new configuration; a room that became members-only loses its occupants without an affiliation (322). */
export function configure(room: Room, config: RoomConfig): { room: Room; removed: Occupant[] } {
  const out = (o: Occupant) => config.membersOnly && affiliationOf(room, o.jid) === 'none';
  return { room: { ...room, config, locked: false, occupants: room.occupants.filter((o) => !out(o)) }, removed: room.occupants.filter(out) };
}
