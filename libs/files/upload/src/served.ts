// How a stored file is served (GET and HEAD) so that nothing uploaded can run
// on the upload service's origin: only allow-listed types keep their
// Content-Type (no HTML, no SVG, no XML), everything else is
// application/octet-stream; only images, audio and video show inline, the rest
// downloads (Content-Disposition: attachment); nosniff keeps browsers from
// guessing, and a sandboxing CSP disables script even if one tried.

const INLINE = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/avif',
  'image/heic',
  'image/heif',
  'image/bmp',
  'audio/mpeg',
  'audio/mp4',
  'audio/aac',
  'audio/ogg',
  'audio/opus',
  'audio/wav',
  'audio/webm',
  'audio/flac',
  'audio/x-m4a',
  'video/mp4',
  'video/webm',
  'video/ogg',
  'video/quicktime',
  'video/3gpp',
]);
/** Served with their type but as attachments. */
const AS_ATTACHMENT = new Set(['text/plain', 'application/pdf']);

/** The Content-Type and Content-Disposition a file of `type` named `name` is served with, plus the fixed safety headers. */
export function servedHeaders(type: string, name: string): Record<string, string> {
  const base = type.split(';')[0].trim().toLowerCase();
  const inline = INLINE.has(base);
  const kept = inline || AS_ATTACHMENT.has(base);
  const disposition = `${inline ? 'inline' : 'attachment'}; filename*=UTF-8''${encodeURIComponent(name)}`;
  return {
    'content-type': kept ? (base === 'text/plain' ? 'text/plain; charset=utf-8' : base) : 'application/octet-stream',
    'content-disposition': disposition,
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; sandbox",
    'cross-origin-resource-policy': 'cross-origin',
    'referrer-policy': 'no-referrer',
  };
}

/**
 * One range of a Range header (RFC 9110 §14.2) for a file of `size` bytes:
 * 'bytes=a-b', 'bytes=a-' or 'bytes=-n'. undefined: serve the whole file (no
 * header, another unit, several ranges); 'unsatisfiable': 416.
 */
export function parseRange(header: string | undefined, size: number): { first: number; last: number } | 'unsatisfiable' | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? '');
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const n = Number(m[2]);
    return n === 0 || size === 0 ? 'unsatisfiable' : { first: Math.max(0, size - n), last: size - 1 };
  }
  const first = Number(m[1]);
  const last = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (first >= size || last < first) return 'unsatisfiable';
  return { first, last };
}

/** CORS (browser clients upload and download from another origin): every response carries these. */
export const CORS_HEADERS: Readonly<Record<string, string>> = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, HEAD, PUT, OPTIONS',
  'access-control-allow-headers': 'Content-Type, Content-Length, Authorization, Range',
  'access-control-expose-headers': 'Content-Length, Content-Type, Content-Disposition, Content-Range, Accept-Ranges',
  'access-control-max-age': '86400',
};
