// What roles, configuration and avatars add to a room's disco#info (XEP-0045
// §6.4 and §15.5.4 muc#roominfo; XEP-0486 avatar hash): features that work
// and the fields a client shows before joining. xml.ts's roomInfo adds them.
import type { InfoField } from '@cx/modules';
import { MUC_REQUEST, NS_VCARD, pmValue, withAffiliation, type Room } from '@cx/muc';

/** Voice requests (§7.13) and the room's vCard (XEP-0486). */
export const roomInfoExtraFeatures: readonly string[] = [MUC_REQUEST, NS_VCARD];

export function roomInfoExtraFields(room: Room): InfoField[] {
  const c = room.config;
  const fields: InfoField[] = [
    // XEP-0045 registers subjectmod; Prosody, ejabberd and Conversations use changesubject: both.
    { var: 'muc#roominfo_subjectmod', type: 'boolean', values: [c.changeSubject ? '1' : '0'] },
    { var: 'muc#roominfo_changesubject', type: 'boolean', values: [c.changeSubject ? '1' : '0'] },
    { var: 'muc#roomconfig_allowinvites', type: 'boolean', values: [(c.allowInvites ?? true) ? '1' : '0'] },
    // Prosody's and ejabberd's values, which clients (Conversations) read: anything but these means no private messages.
    { var: 'muc#roomconfig_allowpm', type: 'list-single', values: [pmValue(c)] },
    { var: 'muc#roomconfig_moderatedroom', type: 'boolean', values: [c.moderated ? '1' : '0'] },
    { var: 'muc#roomconfig_whois', type: 'list-single', values: [c.whois] },
    { var: 'muc#roomconfig_maxusers', type: 'text-single', values: [String(c.maxUsers)] },
  ];
  // The owners as contacts, only where real JIDs are no secret (a non-anonymous room).
  if (c.whois === 'anyone') fields.push({ var: 'muc#roominfo_contactjid', type: 'jid-multi', values: withAffiliation(room, 'owner') });
  if (room.avatarHashes?.length) fields.push({ var: 'muc#roominfo_avatarhash', type: 'text-multi', values: room.avatarHashes });
  return fields;
}
