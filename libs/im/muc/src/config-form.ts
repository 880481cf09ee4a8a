// XEP-0045 §10.2 muc#roomconfig: the form an owner gets and submits.
// Unknown fields are ignored (clients send ejabberd's and Prosody's together).
import { NS, x, type Element } from '@cx/xmpp-core';
import type { Role, RoomConfig } from './room';

export const ROOMCONFIG = 'http://jabber.org/protocol/muc#roomconfig';

type FieldKind = 'text-single' | 'text-private' | 'boolean' | 'list-single' | 'list-multi';

interface FieldDef {
  var: string;
  type: FieldKind;
  label: string;
  /** One value, or several for list-multi (joined by newlines). */
  get(c: RoomConfig): string;
  set(c: RoomConfig, v: string): void;
  options?: string[];
}

const PM_VALUES = ['anyone', 'participants', 'moderators', 'none'] as const;

/** muc#roomconfig_allowpm as Prosody and ejabberd say it (room disco#info shows it too). */
export function pmValue(c: RoomConfig): (typeof PM_VALUES)[number] {
  if (!c.allowPm) return 'none';
  return c.pmFrom === 'moderator' ? 'moderators' : c.pmFrom === 'participant' ? 'participants' : 'anyone';
}

const bool = (v: string) => v === '1' || v === 'true';
const b = (v: boolean) => (v ? '1' : '0');

const FIELDS: FieldDef[] = [
  { var: 'muc#roomconfig_roomname', type: 'text-single', label: 'Name', get: (c) => c.name, set: (c, v) => (c.name = v) },
  { var: 'muc#roomconfig_roomdesc', type: 'text-single', label: 'Description', get: (c) => c.description, set: (c, v) => (c.description = v) },
  { var: 'muc#roomconfig_persistentroom', type: 'boolean', label: 'Persistent', get: (c) => b(c.persistent), set: (c, v) => (c.persistent = bool(v)) },
  { var: 'muc#roomconfig_publicroom', type: 'boolean', label: 'Listed in the directory', get: (c) => b(c.public), set: (c, v) => (c.public = bool(v)) },
  { var: 'muc#roomconfig_membersonly', type: 'boolean', label: 'Members only', get: (c) => b(c.membersOnly), set: (c, v) => (c.membersOnly = bool(v)) },
  {
    var: 'muc#roomconfig_passwordprotectedroom',
    type: 'boolean',
    label: 'Password protected',
    get: (c) => b(c.password !== ''),
    set: (c, v) => {
      if (!bool(v)) c.password = '';
    },
  },
  { var: 'muc#roomconfig_roomsecret', type: 'text-private', label: 'Password', get: (c) => c.password, set: (c, v) => (c.password = v) },
  {
    var: 'muc#roomconfig_whois',
    type: 'list-single',
    label: 'Who may see real JIDs',
    options: ['moderators', 'anyone'],
    get: (c) => c.whois,
    set: (c, v) => (c.whois = v === 'anyone' ? 'anyone' : 'moderators'),
  },
  {
    var: 'muc#roomconfig_changesubject',
    type: 'boolean',
    label: 'Occupants may change the subject',
    get: (c) => b(c.changeSubject),
    set: (c, v) => (c.changeSubject = bool(v)),
  },
  {
    // Prosody's and ejabberd's list; a boolean (1/0, true/false) as well.
    var: 'muc#roomconfig_allowpm',
    type: 'list-single',
    label: 'Who may send private messages',
    options: [...PM_VALUES],
    get: pmValue,
    set: (c, v) => {
      c.allowPm = v !== 'none' && v !== '0' && v !== 'false';
      c.pmFrom = v === 'participants' ? 'participant' : v === 'moderators' ? 'moderator' : undefined;
    },
  },
  {
    var: 'muc#roomconfig_maxusers',
    type: 'text-single',
    label: 'Maximum occupants',
    get: (c) => String(c.maxUsers),
    set: (c, v) => {
      const n = Number.parseInt(v, 10);
      if (Number.isFinite(n) && n > 0) c.maxUsers = n;
    },
  },
  {
    var: 'muc#roomconfig_getmemberlist',
    type: 'list-multi',
    label: 'Roles that may read the member list',
    options: ['moderator', 'participant', 'visitor'],
    get: (c) => (c.getMemberList ?? []).join('\n'),
    set: (c, v) => (c.getMemberList = v.split('\n').filter((r): r is Role => r === 'moderator' || r === 'participant' || r === 'visitor')),
  },
  {
    var: 'muc#roomconfig_enablearchiving',
    type: 'boolean',
    label: 'Archive messages (history in MAM)',
    get: (c) => b(c.enableArchiving !== false),
    set: (c, v) => (c.enableArchiving = bool(v)),
  },
  {
    var: 'muc#roomconfig_moderatedroom',
    type: 'boolean',
    label: 'Moderated (newcomers are visitors until given voice)',
    get: (c) => b(!!c.moderated),
    set: (c, v) => (c.moderated = bool(v)),
  },
  {
    var: 'muc#roomconfig_allowinvites',
    type: 'boolean',
    label: 'Occupants may invite others',
    get: (c) => b(c.allowInvites ?? true),
    set: (c, v) => (c.allowInvites = bool(v)),
  },
];

/** The form of type 'form' with the room's current values (§10.2). */
export function configForm(c: RoomConfig): Element {
  return x(
    'x',
    { xmlns: NS.DATA, type: 'form' },
    x('title', {}, 'Room configuration'),
    x('field', { var: 'FORM_TYPE', type: 'hidden' }, x('value', {}, ROOMCONFIG)),
    ...FIELDS.map((f) =>
      x(
        'field',
        { var: f.var, type: f.type, label: f.label },
        ...(f.type === 'list-multi' ? f.get(c).split('\n').filter(Boolean) : [f.get(c)]).map((v) => x('value', {}, v)),
        ...(f.options ?? []).map((o) => x('option', {}, x('value', {}, o))),
      ),
    ),
  );
}

/** A submitted form applied to a config; unknown fields ignored. The password field is applied after the secret. */
export function applyConfig(c: RoomConfig, form: Element): RoomConfig {
  const next = { ...c };
  const values = new Map<string, string>();
  for (const f of form.getChildren('field'))
    values.set(
      f.attrs.var ?? '',
      f
        .getChildren('value')
        .map((v) => v.getText())
        .join('\n'),
    );
  const order = [
    ...FIELDS.filter((f) => f.var !== 'muc#roomconfig_passwordprotectedroom'),
    ...FIELDS.filter((f) => f.var === 'muc#roomconfig_passwordprotectedroom'),
  ];
  for (const f of order) {
    const v = values.get(f.var);
    if (v !== undefined) f.set(next, v);
  }
  return next;
}
