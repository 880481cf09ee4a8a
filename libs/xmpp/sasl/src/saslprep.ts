// SASLprep, RFC 4013 §2 (profile of RFC 3454 stringprep): mapping §2.1, NFKC §2.2,
// prohibited output §2.3, bidirectional check §2.4 (RFC 3454 §6).
// Not implemented: the unassigned code point check (§2.5), which only applies to stored strings.
import { MAPPED_TO_NOTHING, NON_ASCII_SPACE, PROHIBITED, RAND_AL_CAT, inRanges, isPlaneNonCharacter } from './saslprep-tables';

// LCat (RFC 3454 D.2) approximated as letters that are not R/AL and not from RTL scripts.
const RTL_SCRIPT = /[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}]/u;
const LETTER = /\p{L}/u;

function codePoints(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const cp = s.codePointAt(i) ?? 0;
    out.push(cp);
    if (cp > 0xffff) i++;
  }
  return out;
}

function map(s: string): string {
  let out = '';
  for (const cp of codePoints(s)) {
    if (inRanges(cp, MAPPED_TO_NOTHING)) continue;
    out += inRanges(cp, NON_ASCII_SPACE) ? ' ' : String.fromCodePoint(cp);
  }
  return out;
}

function isRandAL(cp: number): boolean {
  return inRanges(cp, RAND_AL_CAT);
}

function isL(cp: number): boolean {
  const ch = String.fromCodePoint(cp);
  return !isRandAL(cp) && LETTER.test(ch) && !RTL_SCRIPT.test(ch);
}

function checkProhibited(cps: readonly number[]): void {
  for (const cp of cps) {
    if (inRanges(cp, PROHIBITED) || isPlaneNonCharacter(cp)) {
      throw new Error(`SASLprep: prohibited character U+${cp.toString(16).toUpperCase().padStart(4, '0')}`);
    }
  }
}

function checkBidi(cps: readonly number[]): void {
  if (!cps.some(isRandAL)) return;
  if (cps.some(isL)) throw new Error('SASLprep: mixed left-to-right and right-to-left text');
  if (!isRandAL(cps[0]) || !isRandAL(cps[cps.length - 1])) {
    throw new Error('SASLprep: right-to-left text must start and end with a right-to-left character');
  }
}

/** Prepares a username or password per RFC 4013. Throws on prohibited output. */
export function saslPrep(s: string): string {
  const prepared = map(s).normalize('NFKC');
  const cps = codePoints(prepared);
  checkProhibited(cps);
  checkBidi(cps);
  return prepared;
}
