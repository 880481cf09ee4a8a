// RFC 7622 §3.5: the examples of valid JIDs (Table 1) and of strings that
// violate the JID rules (Table 2), with the canonical form each valid JID
// prepares to.
import { describe, it, expect } from 'vitest';
import { InvalidJidError, parseJid, tryParseJid } from './index';

const VALID: ReadonlyArray<readonly [input: string, local: string, domain: string, resource: string]> = [
  ['juliet@example.com', 'juliet', 'example.com', ''], // 1: a bare JID
  ['juliet@example.com/foo', 'juliet', 'example.com', 'foo'], // 2: a full JID
  ['juliet@example.com/foo bar', 'juliet', 'example.com', 'foo bar'], // 3: space in resourcepart
  ['juliet@example.com/foo@bar', 'juliet', 'example.com', 'foo@bar'], // 4: '@' in resourcepart
  ['foo\\20bar@example.com', 'foo\\20bar', 'example.com', ''], // 5: XEP-0106 escaped space
  ['fussball@example.com', 'fussball', 'example.com', ''], // 6
  ['fu\u00dfball@example.com', 'fu\u00dfball', 'example.com', ''], // 7: eszett is kept
  ['\u03c0@example.com', '\u03c0', 'example.com', ''], // 8: GREEK SMALL LETTER PI
  ['\u03a3@example.com/foo', '\u03c3', 'example.com', 'foo'], // 9: CAPITAL SIGMA → small sigma
  ['\u03c3@example.com/foo', '\u03c3', 'example.com', 'foo'], // 10: GREEK SMALL LETTER SIGMA
  ['\u03c2@example.com/foo', '\u03c2', 'example.com', 'foo'], // 11: FINAL SIGMA stays final sigma
  ['king@example.com/\u265a', 'king', 'example.com', '\u265a'], // 12: BLACK CHESS KING resource
  ['example.com', '', 'example.com', ''], // 13: domainpart only
  ['example.com/foobar', '', 'example.com', 'foobar'], // 14
  ['a.example.com/b@example.net', '', 'a.example.com', 'b@example.net'], // 15
];

const INVALID: ReadonlyArray<readonly [input: string, part: string]> = [
  ['"juliet"@example.com', 'local'], // 16: quotation marks in localpart
  ['foo bar@example.com', 'local'], // 17: space in localpart
  ['juliet@example.com/ foo', 'resource'], // 18: leading space in resourcepart
  ['@example.com/', 'local'], // 19: zero-length localpart and resourcepart
  ['henry\u2163@example.com', 'local'], // 20: ROMAN NUMERAL FOUR
  ['\u265a@example.com', 'local'], // 21: BLACK CHESS KING localpart
  ['juliet@', 'domain'], // 22: localpart without domainpart
  ['/foobar', 'domain'], // 23: resourcepart without domainpart
];

describe('RFC 7622 §3.5 Table 1: valid JIDs', () => {
  for (const [input, local, domain, resource] of VALID) {
    it(`accepts ${JSON.stringify(input)}`, () => {
      const j = parseJid(input);
      expect([j.local, j.domain, j.resource]).toEqual([local, domain, resource]);
      expect(tryParseJid(input)?.toString()).toBe(j.toString());
      // Prepared output is stable: parsing the canonical form gives the same JID.
      expect(parseJid(j.toString()).equals(j)).toBe(true);
    });
  }

  it('treats capital and small sigma as equal but final sigma as distinct', () => {
    expect(parseJid('\u03a3@example.com').equals(parseJid('\u03c3@example.com'))).toBe(true);
    expect(parseJid('\u03c2@example.com').equals(parseJid('\u03c3@example.com'))).toBe(false);
  });

  it('does not fold eszett: fussball and fußball are different JIDs', () => {
    expect(parseJid('fussball@example.com').equals(parseJid('fu\u00dfball@example.com'))).toBe(false);
  });
});

describe('RFC 7622 §3.5 Table 2: strings that violate the JID rules', () => {
  for (const [input, part] of INVALID) {
    it(`rejects ${JSON.stringify(input)} (${part})`, () => {
      expect(tryParseJid(input)).toBeNull();
      let error: unknown;
      try {
        parseJid(input);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InvalidJidError);
      expect((error as InvalidJidError).name).toBe('InvalidJidError');
      expect((error as InvalidJidError).part).toBe(part);
      expect((error as InvalidJidError).message).toMatch(/Invalid JID/);
    });
  }
});

describe('RFC 7622 §3.1: empty parts and separators', () => {
  it.each([
    ['', 'jid'],
    ['@example.com', 'local'],
    ['example.com/', 'resource'],
    ['juliet@example.com/', 'resource'],
    ['@', 'domain'],
    ['/', 'domain'],
    ['a@b@example.com', 'domain'], // the domainpart is everything after the first '@'
  ])('rejects %j in part %s', (input, part) => {
    expect(() => parseJid(input)).toThrow(InvalidJidError);
    try {
      parseJid(input);
    } catch (e) {
      expect((e as InvalidJidError).part).toBe(part);
    }
  });

  it('splits the resource at the first slash and keeps later slashes and at-signs', () => {
    const j = parseJid('juliet@example.com/a/b@c/d');
    expect([j.local, j.domain, j.resource]).toEqual(['juliet', 'example.com', 'a/b@c/d']);
    const k = parseJid('example.com/user@host');
    expect([k.local, k.domain, k.resource]).toEqual(['', 'example.com', 'user@host']);
  });
});
