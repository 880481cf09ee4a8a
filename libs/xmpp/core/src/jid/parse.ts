// RFC 7622 §3.1: parsing a JID string into localpart, domainpart and
// resourcepart (split at the first '/', then at the first '@' before it),
// preparing each part (§3.2–§3.4) and rejecting empty parts whose separator
// is present, e.g. "@example.com" or "example.com/".

import { InvalidJidError } from './errors';
import { Jid, PREPARED } from './jid';
import { prepareDomainOrThrow, slowPrepareDomain } from './prepare-domain';
import { prepareLocalOrThrow, slowPrepareLocal } from './prepare-local';
import { prepareResourceOrThrow, slowPrepareResource } from './prepare-resource';

/**
 * Upper bound on input length (UTF-16 code units), far above the 3 × 1023
 * octet maximum of a prepared JID; it only bounds the work spent on garbage.
 */
export const MAX_JID_INPUT = 12_288;

interface Preparers {
  local(s: string): string;
  domain(s: string): string;
  resource(s: string): string;
}

const FAST: Preparers = {
  local: prepareLocalOrThrow,
  domain: prepareDomainOrThrow,
  resource: prepareResourceOrThrow,
};
const SLOW: Preparers = { local: slowPrepareLocal, domain: slowPrepareDomain, resource: slowPrepareResource };

function parseWith(input: string, prep: Preparers): Jid {
  if (typeof input !== 'string' || input.length === 0) throw new InvalidJidError('jid', 'Invalid JID: empty');
  if (input.length > MAX_JID_INPUT) throw new InvalidJidError('jid', 'Invalid JID: too long');
  const slash = input.indexOf('/');
  const head = slash === -1 ? input : input.slice(0, slash);
  const at = head.indexOf('@');
  const domain = prep.domain(at === -1 ? head : head.slice(at + 1));
  const local = at === -1 ? '' : prep.local(head.slice(0, at));
  const resource = slash === -1 ? '' : prep.resource(input.slice(slash + 1));
  return new Jid(PREPARED, local, domain, resource);
}

/** Parses and prepares a JID string; throws InvalidJidError. */
export function parseJid(input: string): Jid {
  return parseWith(input, FAST);
}

/** Like parseJid() but returns null for invalid input. */
export function tryParseJid(input: string): Jid | null {
  try {
    return parseWith(input, FAST);
  } catch (e) {
    if (e instanceof InvalidJidError) return null;
    throw e;
  }
}

/** parseJid() without any fast path or cache; exported for equivalence tests only. */
export function parseJidSlow(input: string): Jid {
  return parseWith(input, SLOW);
}

/**
 * Builds a JID from separate parts, preparing each. An empty local or
 * resource means "absent"; throws InvalidJidError.
 */
export function jid(local: string, domain: string, resource?: string): Jid {
  return new Jid(
    PREPARED,
    local === '' ? '' : prepareLocalOrThrow(local),
    prepareDomainOrThrow(domain),
    resource === undefined || resource === '' ? '' : prepareResourceOrThrow(resource),
  );
}
