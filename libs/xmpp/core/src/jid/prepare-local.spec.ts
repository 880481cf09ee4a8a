// RFC 8265 §3.3 (UsernameCaseMapped) and RFC 7622 §3.3.1 localpart rules.
import { describe, it, expect } from 'vitest';
import { prepareLocal } from './index';

describe('prepareLocal: RFC 8265 UsernameCaseMapped mappings', () => {
  it.each([
    ['\uff4a\uff55\uff4c\uff49\uff45\uff54', 'juliet'], // fullwidth → ASCII (width mapping)
    ['JULIET', 'juliet'], // case mapping
    ['Juliet', 'juliet'],
    ['\uff2a\uff35\uff2c\uff29\uff25\uff34', 'juliet'], // fullwidth capitals: width then case
    ['e\u0301', '\u00e9'], // combining sequence → NFC
    ['E\u0301', '\u00e9'],
    ['\u00c5', '\u00e5'],
    ['A\u030a', '\u00e5'],
    ['\u212b', '\u00e5'], // ANGSTROM SIGN: NFC singleton, then lowercase already applied
    ['\uff76\uff9e', '\u30ac'], // halfwidth katakana + voiced mark → composed GA
    ['\u1100\u1161', '\uac00'], // conjoining jamo compose under NFC
    ['\u0130', 'i\u0307'], // Unicode toLowerCase of İ
    ['\u03a3\u0391\u03a3', '\u03c3\u03b1\u03c2'], // toLowerCase applies Final_Sigma
    ['stra\u00dfe', 'stra\u00dfe'], // ß is PVALID and not folded
    ['foo\\20bar', 'foo\\20bar'], // XEP-0106 escapes are ordinary ASCII
    ['a!#$%()*+,-.;=?[\\]^_`{|}~', 'a!#$%()*+,-.;=?[\\]^_`{|}~'],
    ['l\u00b7l', 'l\u00b7l'], // MIDDLE DOT between two 'l' (RFC 5892 A.3)
    ['\u0915\u094d\u200d\u0937', '\u0915\u094d\u200d\u0937'], // ZWJ after a virama (A.2)
    ['\u0915\u094d\u200c\u0937', '\u0915\u094d\u200c\u0937'], // ZWNJ after a virama (A.1)
    ['\u0628\u200c\u0628', '\u0628\u200c\u0628'], // ZWNJ between dual-joining letters (A.1)
    ['\u0375\u03b1', '\u0375\u03b1'], // KERAIA before Greek (A.4)
    ['\u05d0\u05f3', '\u05d0\u05f3'], // GERESH after Hebrew (A.5)
    ['\u30ab\u30fb\u30ab', '\u30ab\u30fb\u30ab'], // KATAKANA MIDDLE DOT with Katakana (A.7)
    ['\u0627\u0661\u0662', '\u0627\u0661\u0662'], // Arabic-Indic digits alone (A.8)
    ['\u05d0\u05d1', '\u05d0\u05d1'], // RTL only
    ['\u05d0\u05d11', '\u05d0\u05d11'], // RTL ending in a European digit
  ])('%j → %j', (input, output) => {
    expect(prepareLocal(input)).toBe(output);
    expect(prepareLocal(output)).toBe(output); // idempotent
  });
});

describe('prepareLocal: rejected strings', () => {
  it.each([
    ['', 'empty'],
    ['foo bar', 'U+0020 is a space (IdentifierClass)'],
    ['foo\u00a0bar', 'NO-BREAK SPACE (not mapped by this profile)'],
    ['foo\u3000bar', 'IDEOGRAPHIC SPACE maps to U+0020'],
    ['a\tb', 'control'],
    ['a\u0000b', 'NUL'],
    ['"juliet"', '" prohibited by RFC 7622'],
    ['a&b', '&'],
    ["a'b", "'"],
    ['a/b', '/'],
    ['a:b', ':'],
    ['a<b', '<'],
    ['a>b', '>'],
    ['a@b', '@'],
    ['a\uff20b', 'FULLWIDTH @ maps to @ before the RFC 7622 check'],
    ['a\uff0fb', 'FULLWIDTH / maps to /'],
    ['henry\u2163', 'ROMAN NUMERAL FOUR has a compatibility decomposition'],
    ['\ufb00', 'LATIN SMALL LIGATURE FF has a compatibility decomposition'],
    ['\u00aa', 'FEMININE ORDINAL INDICATOR has a compatibility decomposition'],
    ['\u265a', 'symbol So'],
    ['\u00a9', 'symbol'],
    ['\u20ac', 'currency symbol Sc'],
    ['\u00bf', 'punctuation outside ASCII7'],
    ['\u2028', 'LINE SEPARATOR'],
    ['\u00ad', 'default ignorable'],
    ['\u200b', 'ZERO WIDTH SPACE (ignorable)'],
    ['a\u200db', 'ZWJ without virama'],
    ['a\u200cb', 'ZWNJ without virama or joining context'],
    ['a\u00b7b', 'MIDDLE DOT not between l'],
    ['\u0375a', 'KERAIA before non-Greek'],
    ['a\u05f3', 'GERESH after non-Hebrew'],
    ['a\u30fbb', 'KATAKANA MIDDLE DOT without kana/Han'],
    ['\u0661\u06f2', 'Arabic-Indic mixed with Extended Arabic-Indic digits'],
    ['\u0640', 'ARABIC TATWEEL (RFC 5892 exception: DISALLOWED)'],
    ['\u1100', 'old Hangul jamo'],
    ['\uffa1\uffc2', 'halfwidth Hangul maps to compatibility jamo, which are not letters here'],
    ['\ue000', 'private use'],
    ['\ufdd0', 'noncharacter'],
    ['\ud800', 'lone surrogate'],
    ['\u0378', 'unassigned'],
    ['\u01c5', 'titlecase DŽ lowercases but has a compatibility decomposition'],
    ['\u05d0\u05d1a', 'Bidi: RTL mixed with LTR'],
    ['a\u05d0\u05d1', 'Bidi: LTR mixed with RTL'],
    ['1\u05d0\u05d1', 'Bidi: must not start with a digit'],
    ['\u05d0\u05d1-', 'Bidi: must not end with a separator'],
    ['\u05d0\u05d11\u0661', 'Bidi: EN and AN together'],
  ])('%j (%s)', (input) => {
    expect(prepareLocal(input)).toBeNull();
  });
});

describe('prepareLocal: length (RFC 7622 §3.3: 1 to 1023 octets)', () => {
  it('accepts 1023 octets and rejects 1024', () => {
    expect(prepareLocal('a'.repeat(1023))).toBe('a'.repeat(1023));
    expect(prepareLocal('a'.repeat(1024))).toBeNull();
    expect(prepareLocal(`${'\u00e9'.repeat(511)}a`)).toBe(`${'\u00e9'.repeat(511)}a`); // 1023 octets
    expect(prepareLocal('\u00e9'.repeat(512))).toBeNull(); // 1024 octets
  });

  it('counts octets after preparation', () => {
    // 'e' + U+0301 is 3 octets, NFC 'é' is 2: 512 × 2 = 1024 octets after NFC.
    expect(prepareLocal('e\u0301'.repeat(512))).toBeNull();
    expect(prepareLocal(`${'e\u0301'.repeat(511)}a`)).toBe(`${'\u00e9'.repeat(511)}a`);
    // 1023 fullwidth letters are 3069 octets before width mapping, 1023 after.
    expect(prepareLocal('\uff41'.repeat(1023))).toBe('a'.repeat(1023));
  });
});
