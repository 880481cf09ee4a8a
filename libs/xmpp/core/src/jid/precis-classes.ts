// RFC 8264 §8 (code point calculation) and §9 (derived categories A–R) for
// the PRECIS IdentifierClass and FreeformClass, including the RFC 5892 §2.6
// Exceptions (F). Properties come from the engine's Unicode tables through
// property escapes; Hangul_Syllable_Type (I) is given as ranges.

import { contextRuleAllows } from './precis-context';
import { cpName } from './errors';

/** PRECIS derived property values. FREE = ID_DIS / FREE_PVAL (RFC 8264 §8). */
export const PVALID = 0;
export const FREE = 1;
export const CONTEXTJ = 2;
export const CONTEXTO = 3;
export const DISALLOWED = 4;
export const UNASSIGNED = 5;
export type Derived = 0 | 1 | 2 | 3 | 4 | 5;

/** RFC 5892 §2.6 Exceptions (F). */
const EXCEPTIONS = new Map<number, Derived>();
for (const cp of [0x00df, 0x03c2, 0x06fd, 0x06fe, 0x0f0b, 0x3007]) EXCEPTIONS.set(cp, PVALID);
for (const cp of [0x00b7, 0x0375, 0x05f3, 0x05f4, 0x30fb]) EXCEPTIONS.set(cp, CONTEXTO);
for (let cp = 0x0660; cp <= 0x0669; cp++) EXCEPTIONS.set(cp, CONTEXTO);
for (let cp = 0x06f0; cp <= 0x06f9; cp++) EXCEPTIONS.set(cp, CONTEXTO);
for (const cp of [0x0640, 0x07fa, 0x302e, 0x302f, 0x3031, 0x3032, 0x3033, 0x3034, 0x3035, 0x303b]) {
  EXCEPTIONS.set(cp, DISALLOWED);
}

const RE_UNASSIGNED = /\p{Cn}/u; // (J), noncharacters fall to (M) anyway
const RE_IGNORABLE = /[\p{Default_Ignorable_Code_Point}\p{Noncharacter_Code_Point}]/u; // (M)
const RE_CONTROL = /\p{Cc}/u; // (L)
const RE_LETTER_DIGITS = /[\p{Ll}\p{Lu}\p{Lo}\p{Nd}\p{Lm}\p{Mn}\p{Mc}]/u; // (A)
const RE_OTHER_LETTER_DIGITS = /[\p{Lt}\p{Nl}\p{No}\p{Me}]/u; // (R)
const RE_SPACES = /\p{Zs}/u; // (N)
const RE_SYMBOLS = /[\p{Sm}\p{Sc}\p{Sk}\p{So}]/u; // (O)
const RE_PUNCTUATION = /\p{P}/u; // (P)

/** (I) OldHangulJamo: Hangul_Syllable_Type L, V or T. */
function isOldHangulJamo(cp: number): boolean {
  return (cp >= 0x1100 && cp <= 0x11ff) || (cp >= 0xa960 && cp <= 0xa97f) || (cp >= 0xd7b0 && cp <= 0xd7ff);
}

/** RFC 8264 §8: the derived property of one code point (ch is that code point as a string). */
export function derivedProperty(ch: string, cp: number): Derived {
  const exception = EXCEPTIONS.get(cp);
  if (exception !== undefined) return exception;
  if (cp >= 0x21 && cp <= 0x7e) return PVALID; // (K) ASCII7
  if (cp < 0x80) return DISALLOWED; // controls and U+0020 (a Space: FREE, below)
  if (RE_UNASSIGNED.test(ch) && !RE_IGNORABLE.test(ch)) return UNASSIGNED;
  if (cp === 0x200c || cp === 0x200d) return CONTEXTJ; // (H) JoinControl
  if (isOldHangulJamo(cp)) return DISALLOWED;
  if (RE_IGNORABLE.test(ch)) return DISALLOWED;
  if (RE_CONTROL.test(ch)) return DISALLOWED;
  if (ch.normalize('NFKC') !== ch) return FREE; // (Q) HasCompat
  if (RE_LETTER_DIGITS.test(ch)) return PVALID;
  if (RE_OTHER_LETTER_DIGITS.test(ch)) return FREE;
  if (RE_SPACES.test(ch) || RE_SYMBOLS.test(ch) || RE_PUNCTUATION.test(ch)) return FREE;
  return DISALLOWED;
}

/** String classes: IdentifierClass (RFC 8264 §4.2), FreeformClass (§4.3), and IDNA2008 U-labels (RFC 5892). */
export type StringClass = 'identifier' | 'freeform' | 'idna';

/**
 * Checks every code point of an already mapped/normalized string against a
 * string class, including the RFC 5892 Appendix A contextual rules.
 * Returns null when the string is allowed, else a reason.
 */
export function checkStringClass(s: string, cls: StringClass): string | null {
  let needsContext = false;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    let d: Derived;
    if (cp === 0x20)
      d = FREE; // (N) Spaces; U+0020 is not in ASCII7
    else d = derivedProperty(ch, cp);
    if (cls === 'idna' && !idnaAllows(cp, d)) return `${cpName(cp)} is not allowed in a domain label`;
    if (d === PVALID) continue;
    if (d === FREE && cls === 'freeform') continue;
    if (d === CONTEXTJ || d === CONTEXTO) {
      needsContext = true;
      continue;
    }
    if (d === UNASSIGNED) return `${cpName(cp)} is unassigned`;
    return `${cpName(cp)} is not allowed in ${cls === 'freeform' ? 'FreeformClass' : 'IdentifierClass'}`;
  }
  if (needsContext) {
    const cps = Array.from(s, (c) => c.codePointAt(0)!);
    for (let i = 0; i < cps.length; i++) {
      const cp = cps[i]!;
      const d = cp >= 0x80 ? derivedProperty(String.fromCodePoint(cp), cp) : PVALID;
      if ((d === CONTEXTJ || d === CONTEXTO) && !contextRuleAllows(cps, i)) {
        return `${cpName(cp)} is not allowed in this context (RFC 5892 Appendix A)`;
      }
    }
  }
  return null;
}

/**
 * RFC 5892 §2 differences from IdentifierClass: ASCII is limited to LDH
 * (letters, digits, hyphen) and the IgnorableBlocks (D) are DISALLOWED.
 */
function idnaAllows(cp: number, d: Derived): boolean {
  if (cp < 0x80) return (cp >= 0x61 && cp <= 0x7a) || (cp >= 0x30 && cp <= 0x39) || cp === 0x2d;
  if ((cp >= 0x20d0 && cp <= 0x20ff) || (cp >= 0x1d100 && cp <= 0x1d24f)) return false;
  return d !== FREE;
}
