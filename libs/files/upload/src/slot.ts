// A slot (XEP-0363 §5): the PUT URL (signed, signature.ts) and the GET URL of
// a new file. Paths are /upload/<random id>/<file name>: the id makes the URL
// unguessable (a GET needs no authentication, §6), the name keeps what the
// user called it.
import { randomBytes } from 'node:crypto';
import { signGrant } from './signature';

export const UPLOAD_PATH = '/upload/';
const MAX_NAME_CHARS = 128;
const DEFAULT_TYPE = 'application/octet-stream';

export interface SlotRequest {
  filename: string;
  size: number;
  /** As the client sent it ('' when absent). */
  contentType: string;
  /** The uploader's bare JID. */
  jid: string;
}

export interface Slot {
  put: string;
  get: string;
  /** The type the PUT must carry. */
  type: string;
  expiresAt: number;
}

/** The file name as stored: its last path segment, no control characters, at most 128 characters; 'file' when nothing is left. */
export function safeFilename(name: string): string {
  const last = name.split(/[/\\]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const clean = [...last.replace(/[\u0000-\u001f\u007f]/g, '').trim()].slice(0, MAX_NAME_CHARS).join('');
  return clean === '' || clean === '.' || clean === '..' ? 'file' : clean;
}

/** A MIME type as RFC 6838 spells it, with parameters; lower-cased. undefined: not one. */
export function normalType(type: string): string | undefined {
  const t = type.trim();
  if (t === '') return DEFAULT_TYPE;
  if (t.length > 255 || !/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*(\s*;.*)?$/i.test(t)) return undefined;
  return t.toLowerCase();
}

/** Make a slot; `publicUrl` is where clients reach the upload service (no trailing slash needed). */
export function makeSlot(req: SlotRequest, o: { publicUrl: string; secret: string; ttlS: number; now?: number }): Slot | undefined {
  const type = normalType(req.contentType);
  if (!type) return undefined;
  const path = `${UPLOAD_PATH}${randomBytes(18).toString('base64url')}/${encodeURIComponent(safeFilename(req.filename))}`;
  const expiresAt = Math.floor((o.now ?? Date.now()) / 1000) + o.ttlS;
  const base = o.publicUrl.replace(/\/+$/, '');
  const query = signGrant({ path, size: req.size, type, jid: req.jid, expiresAt }, o.secret);
  return { put: `${base}${path}?${query}`, get: `${base}${path}`, type, expiresAt };
}

/** The id of an upload path (/upload/<id>/<name>), or undefined when it is not one. */
export function fileIdOf(path: string): string | undefined {
  if (!path.startsWith(UPLOAD_PATH)) return undefined;
  const rest = path.slice(UPLOAD_PATH.length).split('/');
  if (rest.length !== 2 || !/^[A-Za-z0-9_-]{24}$/.test(rest[0]) || rest[1] === '') return undefined;
  return rest[0];
}
