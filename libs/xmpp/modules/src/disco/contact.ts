// XEP-0157 Contact Addresses for XMPP Services: the domain's disco#info
// carries a `http://jabber.org/network/serverinfo` form (XEP-0128) listing the
// addresses to reach the people running the service, from configuration
// (CONTACT_ABUSE, CONTACT_ADMIN, …: comma-separated URIs such as
// xmpp:admin@example.org or mailto:abuse@example.org). The router answers with
// it and the edge hashes it into the caps (XEP-0115 §5.4), so both read the
// same settings.
import type { Setting } from '@cx/config';
import type { InfoForm } from './form';

export const NS_SERVERINFO = 'http://jabber.org/network/serverinfo';

/** The XEP-0157 §3 fields, in the registry's order. */
export const CONTACT_KINDS = ['abuse', 'admin', 'feedback', 'sales', 'security', 'support'] as const;
export type ContactKind = (typeof CONTACT_KINDS)[number];

/** The configured addresses by kind (a kind not configured is absent or empty). */
export type ContactAddresses = Partial<Record<ContactKind, readonly string[]>>;

/** RFC 3986 §3.1: a scheme, then something. */
const URI = /^[a-z][a-z0-9+.-]*:\S+$/i;

/** A comma-separated list of URIs; anything else is a configuration error. */
function uriList(description: string): Setting<string[]> {
  return {
    kind: 'comma-separated list of URIs',
    default: [],
    description,
    parse(raw) {
      const uris = raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const bad = uris.filter((u) => !URI.test(u) || !URL.canParse(u));
      if (bad.length) throw new Error(`not a URI (such as xmpp:admin@example.org or mailto:admin@example.org): ${bad.map((b) => `"${b}"`).join(', ')}`);
      return uris;
    },
  };
}

const purpose: Record<ContactKind, string> = {
  abuse: 'abuse reports',
  admin: 'the administrators',
  feedback: 'feedback',
  sales: 'sales',
  security: 'security reports',
  support: 'user support',
};

/** CONTACT_ABUSE … CONTACT_SUPPORT, for the router and the edge (its caps include them). */
export const contactSettings = Object.fromEntries(
  CONTACT_KINDS.map((k) => [
    `CONTACT_${k.toUpperCase()}`,
    uriList(`XEP-0157: addresses for ${purpose[k]} in the domain's disco#info (comma-separated URIs, xmpp: or mailto: or https:); empty: none`),
  ]),
) as Record<`CONTACT_${Uppercase<ContactKind>}`, Setting<string[]>>;

/** The addresses a loaded configuration holds. */
export function contactAddresses(config: Record<`CONTACT_${Uppercase<ContactKind>}`, readonly string[]>): ContactAddresses {
  return Object.fromEntries(CONTACT_KINDS.map((k) => [k, config[`CONTACT_${k.toUpperCase() as Uppercase<ContactKind>}`]]));
}

/** The serverinfo form: a list-multi field per kind configured; none configured: no form. */
export function contactForm(contacts: ContactAddresses = {}): InfoForm[] {
  const fields = CONTACT_KINDS.filter((k) => contacts[k]?.length).map((k) => ({ var: `${k}-addresses`, type: 'list-multi', values: contacts[k] ?? [] }));
  return fields.length ? [{ formType: NS_SERVERINFO, fields }] : [];
}
