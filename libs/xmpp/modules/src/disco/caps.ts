// XEP-0115 §5.1: the verification string of a disco#info result, so the caps
// <c/> in stream features matches what disco#info answers.
import { createHash } from 'node:crypto';
import type { Identity } from '../host';

export interface DiscoInfo {
  identities: ReadonlyArray<Identity & { lang?: string }>;
  features: readonly string[];
}

export function capsVer(info: DiscoInfo): string {
  const ids = info.identities.map((i) => `${i.category}/${i.type}/${i.lang ?? ''}/${i.name ?? ''}`).sort();
  const features = [...info.features].sort();
  const s = [...ids, ...features].map((v) => `${v}<`).join('');
  return createHash('sha1').update(s, 'utf8').digest('base64');
}
