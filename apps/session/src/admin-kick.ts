// Admin kick (xmppctl kick, like ejabberdctl kick_session): end one session
// or every session of an account for real. The edge holding the connection
// closes it with the stream error; the entry is removed here at once, so a
// stream-managed session cannot be resumed, a detached one (no connection)
// ends too, and SessionEnded is published as for any session that ends.
import { tryParseJid } from '@cx/xmpp-core';
import type { sessionv1 } from '@cx/proto';
import { kick, unbind, type SessionDeps } from './session-service';

/** RFC 6120 §4.9.3 conditions an operator may close a stream with. */
const CONDITIONS = new Set(['policy-violation', 'not-authorized', 'conflict', 'system-shutdown', 'reset', 'undefined-condition']);

export async function adminKick(req: sessionv1.KickRequest, d: SessionDeps): Promise<sessionv1.KickResponse> {
  const jid = tryParseJid(req.jid);
  const condition = req.condition || 'policy-violation';
  if (!jid || !jid.local) return { kicked: [], errorCondition: 'jid-malformed' };
  if (!CONDITIONS.has(condition)) return { kicked: [], errorCondition: 'bad-request' };
  const bare = jid.bare.toString();
  const { sessions } = await d.directory.lookup(bare);
  const kicked: string[] = [];
  for (const s of sessions) {
    if (jid.resource && s.resource !== jid.resource) continue;
    const full = `${bare}/${s.resource}`;
    kick(d.bus, s, condition, req.text);
    if (await unbind(full, s.connectionId, 'kicked', d)) kicked.push(full);
  }
  d.log.info({ jid: req.jid, condition, kicked: kicked.length }, 'admin kick');
  return { kicked, errorCondition: '' };
}
