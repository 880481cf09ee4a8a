// XEP-0115 §5.1: the verification string of a disco#info result, so the caps
// <c/> in stream features matches what disco#info answers (and §6.2: a query
// on `<node>#<ver>` gets that same answer). Extended information forms
// (XEP-0128, such as the XEP-0157 contact addresses) are part of it (§5.4).
import { createHash } from 'node:crypto';
import type { Identity } from '../host';
import type { InfoForm } from './form';

export const CAPS_NODE = 'https://github.com/cloud-xmpp/cloud-xmpp';

export interface DiscoInfo {
  identities: ReadonlyArray<Identity & { lang?: string }>;
  features: readonly string[];
  forms?: readonly InfoForm[];
}

/** RFC 4790 i;octet: compare the UTF-8 bytes (JS string order is UTF-16 code units). */
function octets(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** §5.4 step 3.6: forms by FORM_TYPE; in each, the FORM_TYPE, then the fields by var, each with its values in order. */
function formStrings(forms: readonly InfoForm[]): string[] {
  return [...forms]
    .sort((a, b) => octets(a.formType, b.formType))
    .flatMap((f) => [f.formType, ...[...f.fields].sort((a, b) => octets(a.var, b.var)).flatMap((field) => [field.var, ...[...field.values].sort(octets)])])
    .map((s) => `${s}<`);
}

/** §5.1 steps 2–3: identities by category, then type, then xml:lang; features in order, once each; then the forms. */
export function capsString(info: DiscoInfo): string {
  const ids = [...info.identities]
    .sort((a, b) => octets(a.category, b.category) || octets(a.type, b.type) || octets(a.lang ?? '', b.lang ?? ''))
    .map((i) => `${i.category}/${i.type}/${i.lang ?? ''}/${i.name ?? ''}<`);
  const features = [...new Set(info.features)].sort(octets).map((f) => `${f}<`);
  return [...ids, ...features, ...formStrings(info.forms ?? [])].join('');
}

export function capsVer(info: DiscoInfo): string {
  return createHash('sha1').update(capsString(info), 'utf8').digest('base64');
}
