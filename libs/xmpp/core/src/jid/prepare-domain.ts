// RFC 7622 §3.2: the domainpart is an IP-literal ([IPv6] or [IPvFuture],
// RFC 3986 §3.2.2), an IPv4address, or an internationalized domain name
// (IDNA2008, RFC 5890–5893) prepared with UTS #46 mapping (node:url
// domainToASCII) and kept as U-labels. One trailing dot is stripped
// (§3.2.1); every A-label is at most 63 octets, the whole at most 1023.

import { isIPv6 } from 'node:net';
import { domainToASCII, domainToUnicode } from 'node:url';
import { checkBidiRule, mayContainRtl } from './bidi';
import { InvalidJidError, MAX_PART_OCTETS, utf8Length } from './errors';
import { checkStringClass } from './precis-classes';

const A_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const DEC_OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])';
const IPV4 = new RegExp(`^${DEC_OCTET}(?:\\.${DEC_OCTET}){3}$`);
const IPV_FUTURE = /^v[0-9a-f]+\.[a-z0-9\-._~!$&'()*+,;=:]+$/i;
/** A last label the WHATWG host parser would read as an IPv4 number. */
const NUMERIC_LABEL = /^(?:[0-9]+|0x[0-9a-f]*)$/i;
/** ASCII that can never appear in a domain name (anything but letters, digits, '-', '.'). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what this rejects
const NON_LDH_ASCII = /[\x00-\x2c\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]/;
const LABEL_SEPARATORS = /[.\u3002\uff0e\uff61]/;

const cache = new Map<string, string>();
const CACHE_MAX = 1024;

function fail(message: string): never {
  throw new InvalidJidError('domain', `Invalid JID domainpart: ${message}`);
}

function endsInNumber(domain: string): boolean {
  const labels = domain.split(LABEL_SEPARATORS);
  return NUMERIC_LABEL.test(labels[labels.length - 1]!);
}

/**
 * Fast path: IPv4 and ASCII NR-LDH host names only need lowercasing. One
 * pass, no allocation for lowercase input. Null = not handled here (the slow
 * path decides), e.g. "xn--" and other "??--" labels, numeric or "0x" last labels.
 */
export function fastPrepareDomain(s: string): string | null {
  let n = s.length;
  if (n > 0 && s.charCodeAt(n - 1) === 0x2e) n--; // one trailing dot
  if (n === 0 || n > MAX_PART_OCTETS) return null;
  let start = 0;
  let upper = false;
  let digitsOnly = true;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? s.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      const len = i - start;
      if (len === 0 || len > 63) return null;
      if (s.charCodeAt(start) === 0x2d || s.charCodeAt(i - 1) === 0x2d) return null;
      if (len >= 4 && s.charCodeAt(start + 2) === 0x2d && s.charCodeAt(start + 3) === 0x2d) return null;
      if (i < n) {
        start = i + 1;
        digitsOnly = true;
      }
    } else if (c >= 0x61 && c <= 0x7a) digitsOnly = false;
    else if (c >= 0x41 && c <= 0x5a) {
      digitsOnly = false;
      upper = true;
    } else if (c === 0x2d) digitsOnly = false;
    else if (c < 0x30 || c > 0x39) return null;
  }
  const d = n === s.length ? s : s.slice(0, n);
  if (digitsOnly) return IPV4.test(d) ? d : null;
  const c0 = s.charCodeAt(start);
  const c1 = s.charCodeAt(start + 1);
  if (c0 === 0x30 && (c1 === 0x78 || c1 === 0x58)) return null; // "0x…" last label: slow path
  return upper ? d.toLowerCase() : d;
}

function prepareIpLiteral(s: string): string {
  if (!s.endsWith(']')) fail('unterminated IP-literal');
  const inner = s.slice(1, -1);
  if (isIPv6(inner) && !inner.includes('%')) return new URL(`http://[${inner}]/`).hostname;
  if (IPV_FUTURE.test(inner)) return `[${inner.toLowerCase()}]`;
  fail('invalid IP-literal');
}

function prepareIdn(d: string): string {
  const compat = d.normalize('NFKC');
  if (NON_LDH_ASCII.test(compat)) fail('contains characters not allowed in domain names');
  if (endsInNumber(compat)) fail('the last label must not be numeric');
  const ascii = domainToASCII(d);
  if (ascii === '') fail('not a valid internationalized domain name');
  const aLabels = ascii.split('.');
  for (const label of aLabels) {
    if (label === '') fail('empty label');
    if (label.length > 63) fail('label exceeds 63 octets');
    if (!A_LABEL.test(label)) fail(`label "${label}" is not a valid host name label`);
    if (label[2] === '-' && label[3] === '-' && !label.startsWith('xn--')) fail(`reserved label "${label}"`);
  }
  if (NUMERIC_LABEL.test(aLabels[aLabels.length - 1]!)) fail('the last label must not be numeric');
  const unicode = domainToUnicode(ascii);
  if (unicode === '' || domainToASCII(unicode) !== ascii) fail('invalid A-label');
  const uLabels = unicode.split('.');
  for (const label of uLabels) {
    if (label.startsWith('xn--')) fail(`invalid A-label "${label}"`);
    const reason = checkStringClass(label, 'idna');
    if (reason !== null) fail(reason);
  }
  if (mayContainRtl(unicode)) {
    const reason = checkBidiRule(uLabels);
    if (reason !== null) fail(reason);
  }
  return unicode;
}

/** Full RFC 7622 §3.2 preparation; throws InvalidJidError. */
export function slowPrepareDomain(s: string): string {
  const d = s.endsWith('.') ? s.slice(0, -1) : s;
  if (d.length === 0) fail('empty');
  let prepared: string;
  if (d.startsWith('[')) prepared = prepareIpLiteral(d);
  else if (IPV4.test(d)) prepared = d;
  else prepared = prepareIdn(d);
  if (utf8Length(prepared) > MAX_PART_OCTETS) fail(`exceeds ${MAX_PART_OCTETS} octets`);
  return prepared;
}

/** Prepares a domainpart (fast path, then a small cache in front of the slow path); throws. */
export function prepareDomainOrThrow(s: string): string {
  const fast = fastPrepareDomain(s);
  if (fast !== null) return fast;
  const cached = cache.get(s);
  if (cached !== undefined) return cached;
  const prepared = slowPrepareDomain(s);
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(s, prepared);
  return prepared;
}

/** RFC 7622 §3.2 domainpart preparation; null when invalid. */
export function prepareDomain(s: string): string | null {
  try {
    return prepareDomainOrThrow(s);
  } catch (e) {
    if (e instanceof InvalidJidError) return null;
    throw e;
  }
}
