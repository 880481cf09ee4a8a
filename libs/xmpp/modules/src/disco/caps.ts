// XEP-0115 §5.1: the verification string of a disco#info result, so the caps
// <c/> in stream features matches what disco#info answers (and §6.2: a query
// on `<node>#<ver>` gets that same answer).
import { createHash } from 'node:crypto';
import type { Identity } from '../host';

export const CAPS_NODE = 'https://github.com/cloud-xmpp/cloud-xmpp';

export interface DiscoInfo {
  identities: ReadonlyArray<Identity & { lang?: string }>;
  features: readonly string[];
}

/** RFC 4790 i;octet: compare the UTF-8 bytes (JS string order is UTF-16 code units). */
function octets(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** §5.1 steps 2–3: identities by category, then type, then xml:lang; features in order, once each. */
export function capsString(info: DiscoInfo): string {
  const ids = [...info.identities]
    .sort((a, b) => octets(a.category, b.category) || octets(a.type, b.type) || octets(a.lang ?? '', b.lang ?? ''))
    .map((i) => `${i.category}/${i.type}/${i.lang ?? ''}/${i.name ?? ''}<`);
  const features = [...new Set(info.features)].sort(octets).map((f) => `${f}<`);
  return [...ids, ...features].join('');
}

export function capsVer(info: DiscoInfo): string {
  return createHash('sha1').update(capsString(info), 'utf8').digest('base64');
}
