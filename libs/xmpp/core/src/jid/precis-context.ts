// RFC 5892 Appendix A: contextual rules for CONTEXTJ (A.1, A.2) and
// CONTEXTO (A.3–A.9) code points, as used by PRECIS (RFC 8264 §9.6, §9.8)
// and by IDNA2008 domain labels. The label is the whole string here.

const RE_GREEK = /\p{Script=Greek}/u;
const RE_HEBREW = /\p{Script=Hebrew}/u;
const RE_HIRA_KATA_HAN = /[\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Han}]/u;
/** Joining_Type T (transparent): by definition Mn, Me and Cf not otherwise listed. */
const RE_TRANSPARENT = /[\p{Mn}\p{Me}\p{Cf}]/u;
/** Letters of the cursive (joining) scripts; treated as Joining_Type D unless listed below. */
const RE_JOINING_SCRIPT =
  /[\p{Script=Arabic}\p{Script=Syriac}\p{Script=Nko}\p{Script=Mongolian}\p{Script=Mandaic}\p{Script=Manichaean}\p{Script=Psalter_Pahlavi}\p{Script=Adlam}\p{Script=Hanifi_Rohingya}\p{Script=Sogdian}\p{Script=Phags_Pa}]/u;
const RE_LETTER = /\p{L}/u;

/** Arabic and Syriac letters of Joining_Type R (right-joining only) and U (non-joining). */
const RIGHT_JOINING: ReadonlyArray<readonly [number, number]> = [
  [0x0622, 0x0625],
  [0x0627, 0x0627],
  [0x0629, 0x0629],
  [0x062f, 0x0632],
  [0x0648, 0x0648],
  [0x0671, 0x0673],
  [0x0675, 0x0677],
  [0x0688, 0x0699],
  [0x06c0, 0x06c0],
  [0x06c3, 0x06cb],
  [0x06cd, 0x06cd],
  [0x06cf, 0x06cf],
  [0x06d2, 0x06d3],
  [0x06d5, 0x06d5],
  [0x06ee, 0x06ef],
  [0x0710, 0x0710],
  [0x0715, 0x0719],
  [0x071e, 0x071e],
  [0x0728, 0x0728],
  [0x072a, 0x072a],
  [0x072c, 0x072c],
  [0x072f, 0x072f],
  [0x074d, 0x074d],
  [0x0759, 0x075b],
  [0x076b, 0x076c],
  [0x0771, 0x0771],
  [0x0773, 0x0774],
  [0x0778, 0x0779],
  [0x08aa, 0x08ac],
  [0x08ae, 0x08ae],
  [0x08b1, 0x08b2],
  [0x08b9, 0x08b9],
];
const NON_JOINING = new Set([0x0621, 0x0674]);

function inRanges(cp: number, ranges: ReadonlyArray<readonly [number, number]>): boolean {
  for (const [lo, hi] of ranges) if (cp >= lo && cp <= hi) return true;
  return false;
}

function str(cp: number | undefined): string {
  return cp === undefined ? '' : String.fromCodePoint(cp);
}

/**
 * Canonical_Combining_Class(cp) == Virama (9), derived without tables from
 * canonical reordering: a mark of class 9 sorts after U+3099 (class 8) and
 * before U+05B0 (class 10).
 */
export function isVirama(cp: number | undefined): boolean {
  if (cp === undefined || cp === 0x3099 || cp === 0x05b0) return false;
  const x = String.fromCodePoint(cp);
  return `a${x}\u3099`.normalize('NFD') === `a\u3099${x}` && `a\u05b0${x}`.normalize('NFD') === `a${x}\u05b0`;
}

function joiningLetter(cp: number): boolean {
  const ch = String.fromCodePoint(cp);
  return RE_LETTER.test(ch) && RE_JOINING_SCRIPT.test(ch) && !NON_JOINING.has(cp);
}

/** A.1 second clause: (L|D) T* ZWNJ T* (R|D). */
function zwnjJoins(cps: readonly number[], i: number): boolean {
  let b = i - 1;
  while (b >= 0 && RE_TRANSPARENT.test(str(cps[b]))) b--;
  let a = i + 1;
  while (a < cps.length && RE_TRANSPARENT.test(str(cps[a]))) a++;
  if (b < 0 || a >= cps.length) return false;
  const before = cps[b]!;
  const after = cps[a]!;
  return joiningLetter(before) && !inRanges(before, RIGHT_JOINING) && joiningLetter(after);
}

/** True when the CONTEXTJ/CONTEXTO code point at cps[i] satisfies its rule. */
export function contextRuleAllows(cps: readonly number[], i: number): boolean {
  const cp = cps[i]!;
  const before = cps[i - 1];
  const after = cps[i + 1];
  switch (cp) {
    case 0x200c: // A.1 ZERO WIDTH NON-JOINER
      return isVirama(before) || zwnjJoins(cps, i);
    case 0x200d: // A.2 ZERO WIDTH JOINER
      return isVirama(before);
    case 0x00b7: // A.3 MIDDLE DOT: only between two 'l'
      return before === 0x6c && after === 0x6c;
    case 0x0375: // A.4 GREEK LOWER NUMERAL SIGN (KERAIA)
      return RE_GREEK.test(str(after));
    case 0x05f3: // A.5 HEBREW PUNCTUATION GERESH
    case 0x05f4: // A.6 HEBREW PUNCTUATION GERSHAYIM
      return RE_HEBREW.test(str(before));
    case 0x30fb: // A.7 KATAKANA MIDDLE DOT
      return cps.some((c) => c !== 0x30fb && RE_HIRA_KATA_HAN.test(String.fromCodePoint(c)));
    default:
      if (cp >= 0x0660 && cp <= 0x0669) return !cps.some((c) => c >= 0x06f0 && c <= 0x06f9); // A.8
      if (cp >= 0x06f0 && cp <= 0x06f9) return !cps.some((c) => c >= 0x0660 && c <= 0x0669); // A.9
      return false;
  }
}
