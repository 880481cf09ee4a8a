// XEP-0049 storage of one user as one document (namespace → XML fragment) in
// one KV value: the bounds on namespaces and bytes per user are checked on the
// whole, and no namespace (which may be kilobytes long) becomes part of a key.
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export type PrivateDoc = Map<string, string>;

export interface PrivateLimits {
  maxItems: number;
  maxBytes: number;
}

/** The stored document (pairs, so that no namespace can clash with an object property). */
export function decodePrivate(bytes: Uint8Array | null): PrivateDoc {
  if (!bytes || bytes.length === 0) return new Map();
  const parsed = JSON.parse(decoder.decode(bytes)) as { items?: Array<[string, string]> };
  return new Map(Array.isArray(parsed.items) ? parsed.items : []);
}

export function encodePrivate(doc: PrivateDoc): Uint8Array {
  return encoder.encode(JSON.stringify({ v: 1, items: [...doc] }));
}

export type PutOutcome = { ok: true; bytes: Uint8Array } | { ok: false; exceeded: 'items' | 'bytes' };

/** The document with `fragments` stored (replacing the same namespaces), unless it would exceed a bound. */
export function putFragments(doc: PrivateDoc, fragments: ReadonlyArray<readonly [string, string]>, limits: PrivateLimits): PutOutcome {
  const next = new Map(doc);
  for (const [ns, xml] of fragments) next.set(ns, xml);
  if (next.size > limits.maxItems && next.size > doc.size) return { ok: false, exceeded: 'items' };
  const bytes = encodePrivate(next);
  if (bytes.length > limits.maxBytes && bytes.length > encodePrivate(doc).length) return { ok: false, exceeded: 'bytes' };
  return { ok: true, bytes };
}
