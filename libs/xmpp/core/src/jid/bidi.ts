// RFC 5893 §2: the Bidi Rule, applied by the PRECIS UsernameCaseMapped
// profile (RFC 8265 §3.3.3 step 5) to strings with right-to-left characters
// and by IDNA2008 (RFC 5891 §4.2.3.4) to every label of a Bidi domain name.
// JavaScript regexes have no Bidi_Class property, so the class is derived
// from the general category and the right-to-left blocks; this is exact for
// the letters, marks and digits that the identifier classes admit.

export type BidiClass = 'L' | 'R' | 'AL' | 'AN' | 'EN' | 'ES' | 'CS' | 'ET' | 'ON' | 'BN' | 'NSM' | 'WS';

const RE_NSM = /[\p{Mn}\p{Me}]/u;
const RE_STRONG_LTR = /[\p{L}\p{Mc}\p{Nd}\p{Nl}]/u;
const RE_SPACE = /\p{Zs}/u;
const RE_IGNORABLE = /[\p{Default_Ignorable_Code_Point}\p{Cc}]/u;

/** Blocks whose letters are Arabic Letter (AL). */
const AL_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x0600, 0x07bf],
  [0x0860, 0x08ff],
  [0xfb50, 0xfdcf],
  [0xfdf0, 0xfdff],
  [0xfe70, 0xfeff],
  [0x10d00, 0x10d3f],
  [0x10ec0, 0x10eff],
  [0x10f30, 0x10f6f],
  [0x1ec70, 0x1ecbf],
  [0x1ed00, 0x1ed4f],
  [0x1ee00, 0x1eeff],
];
/** Blocks whose letters are Right-to-left (R) (when not in AL_RANGES). */
const R_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x0590, 0x05ff],
  [0x07c0, 0x085f],
  [0xfb1d, 0xfb4f],
  [0x10800, 0x10fff],
  [0x1e800, 0x1efff],
];
/** Arabic Number (AN) code points. */
const AN_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x0600, 0x0605],
  [0x0660, 0x0669],
  [0x066b, 0x066c],
  [0x06dd, 0x06dd],
  [0x0890, 0x0891],
  [0x08e2, 0x08e2],
  [0x10d30, 0x10d39],
  [0x10e60, 0x10e7e],
];

function inRanges(cp: number, ranges: ReadonlyArray<readonly [number, number]>): boolean {
  for (const [lo, hi] of ranges) if (cp >= lo && cp <= hi) return true;
  return false;
}

function asciiClass(cp: number): BidiClass {
  if ((cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a)) return 'L';
  if (cp >= 0x30 && cp <= 0x39) return 'EN';
  if (cp === 0x2b || cp === 0x2d) return 'ES';
  if (cp === 0x23 || cp === 0x24 || cp === 0x25) return 'ET';
  if (cp === 0x2c || cp === 0x2e || cp === 0x2f || cp === 0x3a) return 'CS';
  if (cp === 0x20) return 'WS';
  if (cp < 0x20 || cp === 0x7f) return 'BN';
  return 'ON';
}

/** Bidi_Class of one code point (see the file comment for the approximation). */
export function bidiClass(cp: number): BidiClass {
  if (cp < 0x80) return asciiClass(cp);
  const ch = String.fromCodePoint(cp);
  if (RE_NSM.test(ch)) return 'NSM';
  if (inRanges(cp, AN_RANGES)) return 'AN';
  if (cp >= 0x06f0 && cp <= 0x06f9) return 'EN';
  if (inRanges(cp, AL_RANGES)) return 'AL';
  if (inRanges(cp, R_RANGES)) return 'R';
  if (RE_STRONG_LTR.test(ch)) return 'L';
  if (RE_SPACE.test(ch)) return 'WS';
  if (RE_IGNORABLE.test(ch)) return 'BN';
  return 'ON';
}

const RTL_ALLOWED = new Set<BidiClass>(['R', 'AL', 'AN', 'EN', 'ES', 'CS', 'ET', 'ON', 'BN', 'NSM']);
const LTR_ALLOWED = new Set<BidiClass>(['L', 'EN', 'ES', 'CS', 'ET', 'ON', 'BN', 'NSM']);

function classes(label: string): BidiClass[] {
  return Array.from(label, (c) => bidiClass(c.codePointAt(0)!));
}

function isRtl(cls: readonly BidiClass[]): boolean {
  return cls.some((c) => c === 'R' || c === 'AL' || c === 'AN');
}

/** RFC 5893 §2 conditions 1–6 for one label; returns a reason or null. */
function checkLabel(cls: readonly BidiClass[]): string | null {
  const first = cls[0];
  if (first !== 'L' && first !== 'R' && first !== 'AL') return 'must start with a strong character';
  let end = cls.length - 1;
  while (end > 0 && cls[end] === 'NSM') end--;
  const last = cls[end]!;
  if (first === 'L') {
    if (!cls.every((c) => LTR_ALLOWED.has(c))) return 'mixes left-to-right and right-to-left characters';
    if (last !== 'L' && last !== 'EN') return 'must end with a letter or digit';
    return null;
  }
  if (!cls.every((c) => RTL_ALLOWED.has(c))) return 'mixes right-to-left and left-to-right characters';
  if (last !== 'R' && last !== 'AL' && last !== 'EN' && last !== 'AN') {
    return 'must end with a right-to-left character or a digit';
  }
  if (cls.includes('EN') && cls.includes('AN')) return 'mixes European and Arabic-Indic digits';
  return null;
}

/**
 * Applies the Bidi Rule when any label contains an R, AL or AN character
 * (then every label must satisfy it). Returns a reason, or null when fine.
 */
export function checkBidiRule(labels: readonly string[]): string | null {
  const all = labels.map(classes);
  if (!all.some(isRtl)) return null;
  for (const cls of all) {
    if (cls.length === 0) continue;
    const reason = checkLabel(cls);
    if (reason !== null) return `violates the Bidi Rule (RFC 5893): ${reason}`;
  }
  return null;
}

/** Cheap pre-test: could the string contain right-to-left characters at all? */
export function mayContainRtl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x0590 && c <= 0x08ff) return true;
    if (c >= 0xfb1d && c <= 0xfeff) return true;
    // High surrogates of U+10800–U+10FFF and U+1E800–U+1EFFF.
    if ((c >= 0xd802 && c <= 0xd803) || (c >= 0xd83a && c <= 0xd83b)) return true;
  }
  return false;
}
