// XEP-0363 slots without state: the PUT URL carries an expiring HMAC-SHA256
// (UPLOAD_SECRET, shared by the routers and the upload service) over
// everything the PUT must match: the path, the size, the content type, the
// expiry and the uploader's bare JID. Any replica of the upload service
// checks it; nothing about a slot is kept anywhere (ejabberd and Openfire
// keep slots in one node's memory, which breaks with several replicas).
import { createHmac, timingSafeEqual } from 'node:crypto';

/** What a slot allows: one PUT of `size` bytes of `type` to `path` by `jid` until `expiresAt` (s since the epoch). */
export interface SlotGrant {
  path: string;
  size: number;
  type: string;
  jid: string;
  expiresAt: number;
}

function mac(g: SlotGrant, secret: string): string {
  // Fields joined by a byte no field can hold (paths are percent-encoded, types and JIDs are checked).
  const text = ['v1', g.path, String(g.size), g.type, g.jid, String(g.expiresAt)].join('\n');
  return createHmac('sha256', secret).update(text, 'utf8').digest('base64url');
}

/** The query string of a PUT URL: `u=<jid>&v=<expiry>.<hmac>`. */
export function signGrant(g: SlotGrant, secret: string): string {
  return `u=${encodeURIComponent(g.jid)}&v=${g.expiresAt}.${mac(g, secret)}`;
}

export type GrantCheck = { ok: true; jid: string; expiresAt: number } | { ok: false; reason: 'missing' | 'expired' | 'bad-signature' };

/**
 * Check a PUT: `query` as it came (URLSearchParams), with the size and type
 * the request declares (Content-Length, Content-Type); `now` in ms.
 */
export function checkGrant(req: { path: string; size: number; type: string; query: URLSearchParams }, secret: string, now = Date.now()): GrantCheck {
  const jid = req.query.get('u');
  const v = req.query.get('v') ?? '';
  const dot = v.indexOf('.');
  if (!jid || dot <= 0) return { ok: false, reason: 'missing' };
  const expiresAt = Number(v.slice(0, dot));
  if (!Number.isSafeInteger(expiresAt)) return { ok: false, reason: 'missing' };
  const want = Buffer.from(mac({ path: req.path, size: req.size, type: req.type, jid, expiresAt }, secret));
  const got = Buffer.from(v.slice(dot + 1));
  if (got.length !== want.length || !timingSafeEqual(got, want)) return { ok: false, reason: 'bad-signature' };
  if (expiresAt * 1000 < now) return { ok: false, reason: 'expired' };
  return { ok: true, jid, expiresAt };
}
