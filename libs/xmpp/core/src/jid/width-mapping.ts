// RFC 8265 §3.3.3 step 1 / RFC 8264 §9.11 Width Mapping Rule: map fullwidth
// and halfwidth code points (decomposition types <wide> and <narrow>) to
// their decomposition mappings. Only the one-step decomposition is applied
// (not full NFKC), so e.g. halfwidth Hangul maps to compatibility jamo.

/** U+FFA0–U+FFDC halfwidth Hangul → Hangul Compatibility Jamo (U+3164, U+3131…). */
function hangulTarget(cp: number): number | undefined {
  if (cp === 0xffa0) return 0x3164;
  if (cp >= 0xffa1 && cp <= 0xffbe) return 0x3131 + (cp - 0xffa1);
  if (cp >= 0xffc2 && cp <= 0xffc7) return 0x314f + (cp - 0xffc2);
  if (cp >= 0xffca && cp <= 0xffcf) return 0x3155 + (cp - 0xffca);
  if (cp >= 0xffd2 && cp <= 0xffd7) return 0x315b + (cp - 0xffd2);
  if (cp >= 0xffda && cp <= 0xffdc) return 0x3161 + (cp - 0xffda);
  return undefined;
}

/** U+FFE0–U+FFEE fullwidth signs and halfwidth forms. */
const SIGNS: Record<number, number> = {
  0xffe0: 0x00a2,
  0xffe1: 0x00a3,
  0xffe2: 0x00ac,
  0xffe3: 0x00af,
  0xffe4: 0x00a6,
  0xffe5: 0x00a5,
  0xffe6: 0x20a9,
  0xffe8: 0x2502,
  0xffe9: 0x2190,
  0xffea: 0x2191,
  0xffeb: 0x2192,
  0xffec: 0x2193,
  0xffed: 0x25a0,
  0xffee: 0x25cb,
};

/** The <wide>/<narrow> decomposition of one code point, or undefined. */
export function widthDecomposition(cp: number): string | undefined {
  if (cp === 0x3000) return ' '; // IDEOGRAPHIC SPACE <wide> U+0020
  if (cp < 0xff01 || cp > 0xffee) return undefined;
  if (cp <= 0xff5e) return String.fromCharCode(cp - 0xfee0); // fullwidth ASCII
  if (cp <= 0xff9f) return String.fromCodePoint(cp).normalize('NFKC'); // ⦅⦆, halfwidth CJK/katakana
  const target = cp <= 0xffdc ? hangulTarget(cp) : SIGNS[cp];
  return target === undefined ? undefined : String.fromCodePoint(target);
}

/** Applies the Width Mapping Rule to a whole string. */
export function mapWidth(s: string): string {
  let out = '';
  let last = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0x3000 && (c < 0xff01 || c > 0xffee)) continue;
    const mapped = widthDecomposition(c);
    if (mapped === undefined) continue;
    out += s.slice(last, i) + mapped;
    last = i + 1;
  }
  return last === 0 ? s : out + s.slice(last);
}
