// Validation and decoding of character data and attribute values.
// XML 1.0 §2.4 (character data, ']]>'), §2.11 (end-of-line handling), §3.3.3 (attribute
// value normalization), §4.1 (character and entity references), §4.6 (predefined entities);
// RFC 6120 §11.1 (no entity declarations, so only the predefined entities exist).
import { clip, describeChar, findIllegalChar, isXmlCodePoint } from './xml-chars';

/** Why a piece of character data was rejected (always 'not-well-formed'). */
export interface Rejected {
  bad: string;
}

const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const DEC_RE = /^#[0-9]+$/;
const HEX_RE = /^#x[0-9a-fA-F]+$/;

function decodeRef(ref: string): string | null {
  if (Object.hasOwn(PREDEFINED, ref)) return PREDEFINED[ref] ?? null;
  let cp: number;
  if (DEC_RE.test(ref)) cp = parseInt(ref.slice(1), 10);
  else if (HEX_RE.test(ref)) cp = parseInt(ref.slice(2), 16);
  else return null;
  return isXmlCodePoint(cp) ? String.fromCodePoint(cp) : null;
}

/** Replaces the predefined entities and character references; rejects anything else. */
export function unescapeStrict(s: string): string | Rejected {
  let amp = s.indexOf('&');
  if (amp === -1) return s;
  let out = '';
  let prev = 0;
  while (amp !== -1) {
    const semi = s.indexOf(';', amp + 1);
    if (semi === -1) return { bad: `unterminated reference '${clip(s.slice(amp), 12)}'` };
    const ref = s.slice(amp + 1, semi);
    const ch = decodeRef(ref);
    if (ch === null) return { bad: `invalid reference '&${clip(ref, 12)};'` };
    out += s.slice(prev, amp) + ch;
    prev = semi + 1;
    amp = s.indexOf('&', prev);
  }
  return out + s.slice(prev);
}

function illegal(s: string): Rejected | null {
  const i = findIllegalChar(s);
  return i === -1 ? null : { bad: `illegal character ${describeChar(s, i)}` };
}

function normalizeNewlines(s: string): string {
  return s.indexOf('\r') === -1 ? s : s.replace(/\r\n?/g, '\n');
}

/** Character data between tags, as written (entities still escaped). */
export function cookText(raw: string): string | Rejected {
  const bad = illegal(raw);
  if (bad !== null) return bad;
  if (raw.indexOf(']]>') !== -1) return { bad: "']]>' is not allowed in character data" };
  return unescapeStrict(normalizeNewlines(raw));
}

/** The content of a CDATA section (no references are recognised inside it). */
export function cookCData(raw: string): string | Rejected {
  return illegal(raw) ?? normalizeNewlines(raw);
}

const ATTR_WS_RE = /[\t\n\r]/;

/** An attribute value between its quotes. */
export function cookAttr(raw: string): string | Rejected {
  const bad = illegal(raw);
  if (bad !== null) return bad;
  if (raw.indexOf('<') !== -1) return { bad: "'<' is not allowed in attribute values" };
  const norm = ATTR_WS_RE.test(raw) ? normalizeNewlines(raw).replace(/[\t\n]/g, ' ') : raw;
  return unescapeStrict(norm);
}
