// XEP-0045 §7.13 and §8.6 voice requests: a visitor sends the
// muc#request form to the room, the room hands it to the moderators as a
// form to fill, and a moderator who submits it with muc#request_allow true
// gives the occupant voice. The forms only; the decisions are roles.ts's.
import { NS, x, type Element } from '@cx/xmpp-core';
import type { Occupant } from './room';

export const MUC_REQUEST = 'http://jabber.org/protocol/muc#request';

/** The data form's fields by var (values joined by newlines). */
function fields(form: Element): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of form.getChildren('field'))
    out.set(
      f.attrs.var ?? '',
      f
        .getChildren('value')
        .map((v) => v.getText())
        .join('\n'),
    );
  return out;
}

/** The muc#request form of a message, if it carries one. */
export function requestForm(msg: Element): Element | undefined {
  return msg.getChildren('x', NS.DATA).find((f) => fields(f).get('FORM_TYPE') === MUC_REQUEST);
}

export type VoiceRequest =
  /** A visitor asks (§7.13). */
  | { kind: 'ask'; role: string }
  /** A moderator answers (§8.6): allow (or not) the occupant under this nick (or real JID). */
  | { kind: 'answer'; allow: boolean; nick: string; jid: string };

/** What a muc#request form says: a submitted form naming an occupant is a moderator's answer, one without is a request. */
export function readRequest(form: Element): VoiceRequest {
  const f = fields(form);
  const nick = f.get('muc#roomnick') ?? '';
  const jid = f.get('muc#jid') ?? '';
  const allowed = f.get('muc#request_allow');
  if (allowed !== undefined && (nick || jid)) return { kind: 'answer', allow: allowed === '1' || allowed === 'true', nick, jid };
  return { kind: 'ask', role: f.get('muc#role') || 'participant' };
}

/** §8.6: the form a moderator gets for an occupant's request (the real JID only when the moderator may see it, which moderators may). */
export function approvalForm(o: Occupant): Element {
  const field = (v: string, type: string, label: string, value: string) => x('field', { var: v, type, label }, x('value', {}, value));
  return x(
    'x',
    { xmlns: NS.DATA, type: 'form' },
    x('title', {}, 'Voice request'),
    x('instructions', {}, 'To approve this request for voice, select the "Grant voice to this person?" checkbox and submit the form.'),
    x('field', { var: 'FORM_TYPE', type: 'hidden' }, x('value', {}, MUC_REQUEST)),
    field('muc#role', 'list-single', 'Requested role', 'participant'),
    field('muc#jid', 'jid-single', 'User ID', o.jid),
    field('muc#roomnick', 'text-single', 'Room Nickname', o.nick),
    field('muc#request_allow', 'boolean', 'Grant voice to this person?', 'false'),
  );
}
