// One SetPresence request applied to a session entry. The directed-presence
// recipients (RFC 6121 §4.6.2, remembered so they get unavailable when the
// session ends) are bounded in number and bytes: the entry is rewritten in the
// KV bucket on every change, so one client sending directed presence to
// thousands of JIDs must not grow it (and every write) without end. Past the
// bound a new recipient is refused (the router bounces the presence with
// resource-constraint) rather than an older one forgotten, which would leave
// that one believing the user online forever.
import { Counter } from 'prom-client';
import { sessionv1 as proto } from '@cx/proto';
import { encodeSessions, type SessionEntry, type UserSessions } from '@cx/session-directory';

const refusedDirected = new Counter({
  name: 'xmpp_session_directed_refused_total',
  help: 'Directed presences refused because the session already has as many recipients as MAX_DIRECTED_PRESENCES / MAX_DIRECTED_PRESENCE_BYTES allow',
});

export interface DirectedLimits {
  maxCount: number;
  maxBytes: number;
}

export interface Applied {
  entry: SessionEntry;
  /** Nothing changed: no write needed. */
  unchanged: boolean;
  /** directedAdd was refused by the bound. */
  refused: boolean;
}

function directedAfter(s: SessionEntry, req: proto.SetPresenceRequest, limits: DirectedLimits): { directed: string[]; refused: boolean } {
  let directed = req.available === false ? [] : s.directed;
  let refused = false;
  const add = req.directedAdd;
  if (add && !directed.includes(add)) {
    const bytes = directed.reduce((n, j) => n + Buffer.byteLength(j), Buffer.byteLength(add));
    refused = directed.length >= limits.maxCount || bytes > limits.maxBytes;
    if (!refused) directed = [...directed, add];
  }
  if (req.directedRemove && directed.includes(req.directedRemove)) directed = directed.filter((j) => j !== req.directedRemove);
  return { directed, refused };
}

/** Apply the fields of a SetPresence request that are set. */
export function applyPresence(s: SessionEntry, req: proto.SetPresenceRequest, limits: DirectedLimits): Applied {
  const { directed, refused } = directedAfter(s, req, limits);
  const entry: SessionEntry = {
    ...s,
    directed,
    available: req.available ?? s.available,
    priority: req.priority ?? s.priority,
    interested: req.interested ?? s.interested,
    carbons: req.carbons ?? s.carbons,
    presence: req.presence ?? (req.available === false ? Buffer.alloc(0) : s.presence),
  };
  const unchanged =
    directed === s.directed &&
    entry.available === s.available &&
    entry.priority === s.priority &&
    entry.interested === s.interested &&
    entry.carbons === s.carbons &&
    entry.presence === s.presence;
  return { entry, unchanged, refused };
}

const refusedEntry = new Counter({
  name: 'xmpp_session_entry_refused_total',
  help: "Binds and presence updates refused because the account's registry entry would pass MAX_USER_ENTRY_BYTES",
  labelNames: ['update'],
});

/**
 * Count what an update refused, once it is decided: the update callbacks run
 * again when a write conflicts or a cached read was stale, so they must not count.
 */
export function countRefused(r: { directedRefused?: boolean; tooLarge?: boolean }, update: 'bind' | 'presence'): void {
  if (r.tooLarge) refusedEntry.inc({ update });
  else if (r.directedRefused) refusedDirected.inc();
}

/**
 * Would `next` make the account's entry larger than `maxBytes` (and larger
 * than it is: an update that shrinks it, such as going unavailable, always
 * passes)?
 */
export function entryTooLarge(cur: UserSessions, next: UserSessions, maxBytes: number): boolean {
  const after = encodeSessions(next).length;
  return after > maxBytes && after > encodeSessions(cur).length;
}
