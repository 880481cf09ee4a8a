// An iq to an occupant's JID (a vCard for its avatar, a version query) goes
// on to the occupant's real full JID, from the asker's occupant JID, and the
// answer comes back the same way (XEP-0045 §7.2 keeps real JIDs hidden; as
// Prosody does). The forwarded id carries the asker's full JID, the target's
// and the original id, signed with the room's salt: whichever replica owns
// the room when the answer comes maps it back without keeping state, and an
// answer with a forged id, or from anyone but the asked occupant, is dropped.
import { createHmac } from 'node:crypto';

export interface Forwarded {
  /** The asker's real full JID. */
  asker: string;
  /** The asked occupant's real full JID: only an answer from it is taken. */
  target: string;
  /** The asker's own iq id. */
  id: string;
}

const PREFIX = 'muc-fwd-';

function mac(key: string, body: string): string {
  return createHmac('sha256', key).update(body).digest('base64url').slice(0, 22);
}

export function forwardId(key: string, f: Forwarded): string {
  const body = Buffer.from(JSON.stringify([f.asker, f.target, f.id])).toString('base64url');
  return `${PREFIX}${body}.${mac(key, body)}`;
}

/** The forwarded iq an answer's id names, or null when it is not one of ours (or altered). */
export function readForwardId(key: string, id: string | undefined): Forwarded | null {
  if (!id?.startsWith(PREFIX)) return null;
  const [body, sig] = id.slice(PREFIX.length).split('.');
  if (!body || sig !== mac(key, body)) return null;
  try {
    const [asker, target, orig] = JSON.parse(Buffer.from(body, 'base64url').toString()) as string[];
    return typeof asker === 'string' && typeof target === 'string' && typeof orig === 'string' ? { asker, target, id: orig } : null;
  } catch {
    return null;
  }
}
