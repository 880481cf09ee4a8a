// Every NATS subject and JetStream KV bucket the services use, in one place
// (documented in docs/architecture.md).
import { createHash } from 'node:crypto';

export const subjects = {
  /** Deliveries and kicks for one edge process (EdgeMessage protobuf). */
  edge: (edgeId: string) => `xmpp.edge.${edgeId}`,
  /** SessionBound events, published by the session service. */
  sessionBound: 'xmpp.session.bound',
  /** SessionEnded events, published by the session service. */
  sessionEnded: 'xmpp.session.ended',
  /** PresenceChanged events, published by the router. */
  presenceChanged: 'xmpp.presence.changed',
  /**
   * OfflineHandled requests: stored offline messages that reached the client,
   * from the edge to one router (queue group), which deletes them and replies.
   * Not under xmpp.offline.> (the subjects of the stream xmpp_offline).
   */
  offlineHandled: 'xmpp.offline-handled',
} as const;

export const buckets = {
  /** bare JID → UserSessions: who is online on which edge. */
  sessions: 'xmpp_sessions',
  /** edge id → EdgeHeartbeat, with a TTL: which edges are alive. */
  edges: 'xmpp_edges',
  /** username → Account (SCRAM keys, DIGEST-MD5 HA1). */
  accounts: 'xmpp_accounts',
  /** external component domain → ComponentRoute: the edge and connection serving it (XEP-0114). */
  components: 'xmpp_components',
} as const;

/**
 * nats-server closes a connection whose protocol line (PUB/HPUB/MSG with the
 * subject, a reply inbox and sizes) exceeds 4096 bytes (max_control_line), so
 * one oversized key or subject would disconnect the whole service. Keys are
 * kept to this many characters: the bucket or stream prefix, the JetStream API
 * prefix and the reply inbox fit in what is left.
 */
export const MAX_KEY_CHARS = 3200;

/**
 * KV keys allow only [-/_=.a-zA-Z0-9] and use '.' as a token separator, while
 * JIDs are Unicode. Keep [a-zA-Z0-9_-] and write every other UTF-8 byte as =XX,
 * so keys stay readable (juliet=40example=2Ecom) and the mapping is reversible.
 * An input whose encoding would be longer than MAX_KEY_CHARS becomes its hash
 * (hashKey): JID parts are at most 1023 bytes (RFC 7622), so a prepared local
 * part (3069 characters at worst) is never hashed and keeps its old key.
 */
export function encodeKey(s: string): string {
  if (s.length > MAX_KEY_CHARS) return hashKey(s); // every UTF-16 unit encodes to at least one character
  if (/^[a-zA-Z0-9_-]+$/.test(s)) return s;
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[a-zA-Z0-9_-]/.test(c) ? c : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    if (out.length > MAX_KEY_CHARS) return hashKey(s);
  }
  return out;
}

const HASHED = '=h';

/**
 * One key token for any string, of fixed length: '=h' and the SHA-256 of its
 * UTF-8 in hex. encodeKey never writes '=h' (its escapes are '=' and two
 * upper-case hex digits), so a hashed key cannot equal an encoded one. For
 * what can be long or arbitrary (an XML namespace); it cannot be decoded.
 */
export function hashKey(s: string): string {
  return HASHED + createHash('sha256').update(s, 'utf8').digest('hex');
}

/** The string encodeKey encoded; a hashed key (hashKey) is returned as it is. */
export function decodeKey(key: string): string {
  if (!key.includes('=') || key.startsWith(HASHED)) return key;
  const bytes: number[] = [];
  for (let i = 0; i < key.length; i++) {
    if (key[i] === '=') {
      bytes.push(parseInt(key.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(key.charCodeAt(i));
  }
  return Buffer.from(bytes).toString('utf8');
}
