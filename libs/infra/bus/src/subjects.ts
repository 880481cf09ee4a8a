// Every NATS subject and JetStream KV bucket the services use, in one place
// (documented in docs/architecture.md).

export const subjects = {
  /** Deliveries and kicks for one edge process (EdgeMessage protobuf). */
  edge: (edgeId: string) => `xmpp.edge.${edgeId}`,
  /** SessionBound events, published by the session service. */
  sessionBound: 'xmpp.session.bound',
  /** SessionEnded events, published by the session service. */
  sessionEnded: 'xmpp.session.ended',
  /** PresenceChanged events, published by the router. */
  presenceChanged: 'xmpp.presence.changed',
} as const;

export const buckets = {
  /** bare JID → UserSessions: who is online on which edge. */
  sessions: 'xmpp_sessions',
  /** edge id → EdgeHeartbeat, with a TTL: which edges are alive. */
  edges: 'xmpp_edges',
  /** username → Account (SCRAM keys, DIGEST-MD5 HA1). */
  accounts: 'xmpp_accounts',
} as const;

/**
 * KV keys allow only [-/_=.a-zA-Z0-9] and use '.' as a token separator, while
 * JIDs are Unicode. Keep [a-zA-Z0-9_-] and write every other UTF-8 byte as =XX,
 * so keys stay readable (juliet=40example=2Ecom) and the mapping is reversible.
 */
export function encodeKey(s: string): string {
  if (/^[a-zA-Z0-9_-]+$/.test(s)) return s;
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[a-zA-Z0-9_-]/.test(c) ? c : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function decodeKey(key: string): string {
  if (!key.includes('=')) return key;
  const bytes: number[] = [];
  for (let i = 0; i < key.length; i++) {
    if (key[i] === '=') {
      bytes.push(parseInt(key.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(key.charCodeAt(i));
  }
  return Buffer.from(bytes).toString('utf8');
}
