// The skip table each archive entry carries (header Cx-Peers) so a query
// filtered by `with` pages backwards in steps of that peer's messages, not of
// the whole archive: for the PEERS most recently seen other parties before
// this entry, the sequence of each one's latest entry. Derived from the
// previous entry's table when appending (the chain is linear, so it is
// exact). A peer missing from an entry's table has no entry newer than the
// oldest one listed: the query jumps there and looks again.
import { createHash } from 'node:crypto';

export const PEERS = 16;

/** A short key of a peer's bare JID (a collision only costs a visit: the entry's own Cx-With decides). */
export function peerKey(jid: string): string {
  const hit = keys.get(jid);
  if (hit !== undefined) return hit;
  const bare = jid.split('/')[0].toLowerCase();
  const key = createHash('sha256').update(bare).digest('base64url').slice(0, 8);
  if (keys.size >= 10_000) keys.clear();
  keys.set(jid, key);
  return key;
}

/** Keys of JIDs seen lately (a JID is hashed once per burst, not per message). */
const keys = new Map<string, string>();

/** Parse "key:seq key:seq …" (most recent first). */
export function parseTable(h: string | undefined): Array<[string, number]> {
  if (!h) return [];
  const out: Array<[string, number]> = [];
  for (const part of h.split(' ')) {
    const i = part.lastIndexOf(':');
    const seq = parseInt(part.slice(i + 1), 36);
    if (i > 0 && seq > 0) out.push([part.slice(0, i), seq]);
  }
  return out;
}

/** The table of the entry after `prev` (its sequence, own table and its messages' peer keys, oldest first). */
export function successorTable(prev: { seq: number; table: string; keys: readonly string[] } | undefined): string {
  if (!prev) return '';
  let t = parseTable(prev.table);
  for (const key of prev.keys) t = [[key, prev.seq], ...t.filter(([k]) => k !== key)];
  return t
    .slice(0, PEERS)
    .map(([k, s]) => `${k}:${s.toString(36)}`)
    .join(' ');
}

/**
 * Where to look next, backwards from an entry, for `key`'s messages: its
 * latest entry before this one when the table knows it; else the oldest entry
 * the table lists (nothing of `key` is newer); 0 when the table is empty and
 * the plain chain must be followed.
 */
export function jumpFor(table: string | undefined, key: string): { seq: number; exact: boolean } {
  const t = parseTable(table);
  const hit = t.find(([k]) => k === key);
  if (hit) return { seq: hit[1], exact: true };
  if (t.length < PEERS) return { seq: 0, exact: true }; // every peer before this entry is listed: none of key
  return { seq: Math.min(...t.map(([, s]) => s)), exact: false };
}
