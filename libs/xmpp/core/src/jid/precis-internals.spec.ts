// Internals of RFC 8264 §9 classes, RFC 5892 Appendix A rules, the RFC 8264
// §9.11 width mapping and the RFC 5893 Bidi Rule, checked against the
// engine's Unicode data where possible.
import { describe, it, expect } from 'vitest';
import { bidiClass, checkBidiRule } from './bidi';
import { isVirama } from './precis-context';
import { CONTEXTJ, CONTEXTO, derivedProperty, DISALLOWED, FREE, PVALID, UNASSIGNED } from './precis-classes';
import { mapWidth, widthDecomposition } from './width-mapping';

const d = (ch: string) => derivedProperty(ch, ch.codePointAt(0)!);

describe('derivedProperty (RFC 8264 §8)', () => {
  it.each([
    ['a', PVALID],
    ['~', PVALID],
    ['\u00df', PVALID],
    ['\u03c2', PVALID],
    ['\u3007', PVALID],
    ['\u00e9', PVALID],
    ['\u4e2d', PVALID],
    ['\u0301', PVALID],
    ['\u02b9', PVALID],
    [' ', DISALLOWED],
    ['\u00a0', FREE],
    ['\u2163', FREE],
    ['\u265a', FREE],
    ['\u00bf', FREE],
    ['\u01c5', FREE],
    ['\u20dd', FREE],
    ['\u200c', CONTEXTJ],
    ['\u200d', CONTEXTJ],
    ['\u00b7', CONTEXTO],
    ['\u0661', CONTEXTO],
    ['\u06f1', CONTEXTO],
    ['\u30fb', CONTEXTO],
    ['\u0640', DISALLOWED],
    ['\u302e', DISALLOWED],
    ['\u1100', DISALLOWED],
    ['\u00ad', DISALLOWED],
    ['\ufdd0', DISALLOWED],
    ['\uffff', DISALLOWED],
    ['\u0085', DISALLOWED],
    ['\u2028', DISALLOWED],
    ['\ue000', DISALLOWED],
    ['\ud800', DISALLOWED],
    ['\u0600', DISALLOWED],
    ['\u0378', UNASSIGNED],
  ] as const)('%j → %i', (ch, expected) => {
    expect(d(ch)).toBe(expected);
  });
});

describe('isVirama (Canonical_Combining_Class = 9)', () => {
  it('recognises viramas and nothing else nearby', () => {
    for (const cp of [0x094d, 0x09cd, 0x0a4d, 0x0bcd, 0x0d4d, 0x0e3a, 0x1039, 0x17d2, 0xa806]) {
      expect(isVirama(cp), cp.toString(16)).toBe(true);
    }
    for (const cp of [0x093c, 0x0901, 0x0301, 0x3099, 0x05b0, 0x0061, 0x094c]) {
      expect(isVirama(cp), cp.toString(16)).toBe(false);
    }
    expect(isVirama(undefined)).toBe(false);
  });
});

describe('width mapping (one-step <wide>/<narrow> decomposition)', () => {
  it('agrees with NFKD for every code point of the block and U+3000', () => {
    for (const cp of [0x3000, ...Array.from({ length: 0xffef - 0xff01 }, (_, i) => 0xff01 + i)]) {
      const ch = String.fromCodePoint(cp);
      const nfkd = ch.normalize('NFKD');
      const mapped = widthDecomposition(cp);
      if (nfkd === ch) {
        expect(mapped, cp.toString(16)).toBeUndefined();
      } else {
        expect(mapped, cp.toString(16)).toBeDefined();
        expect(mapped!.normalize('NFKD'), cp.toString(16)).toBe(nfkd); // same full decomposition
        expect([...mapped!].length).toBe(1); // but only one step
      }
    }
  });

  it('maps within strings and leaves other text alone', () => {
    expect(mapWidth('\uff41b\uff43\u3000\uffa1')).toBe('abc \u3131');
    const plain = 'plain text';
    expect(mapWidth(plain)).toBe(plain);
  });
});

describe('Bidi Rule (RFC 5893 §2)', () => {
  it('classifies the characters identifiers use', () => {
    expect(['a', '1', '-', '.', '\u05d0', '\u0627', '\u0661', '\u06f1', '\u0301', '\u0915', '\u0966'].map((c) => bidiClass(c.codePointAt(0)!))).toEqual([
      'L',
      'EN',
      'ES',
      'CS',
      'R',
      'AL',
      'AN',
      'EN',
      'NSM',
      'L',
      'L',
    ]);
  });

  it.each([
    [['abc'], true],
    [['\u05d0\u05d1'], true],
    [['\u05d0\u05d1\u0301'], true],
    [['\u0627\u0661'], true],
    [['\u05d0-\u05d1'], true],
    [['\u05d0\u05d1', 'abc'], true],
    [['\u05d0\u05d1', '1abc'], false],
    [['\u05d0a'], false],
    [['a\u05d0'], false],
    [['1\u05d0'], false],
    [['\u05d0-'], false],
    [['\u0627\u0661\u06f1'], false],
  ])('%j → %s', (labels, ok) => {
    expect(checkBidiRule(labels) === null).toBe(ok);
  });
});
