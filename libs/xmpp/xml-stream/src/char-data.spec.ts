// Unit tests for character data decoding (XML 1.0 §2.4, §2.11, §3.3.3, §4.1, §4.6).
import { describe, expect, it } from 'vitest';
import { cookAttr, cookCData, cookText, unescapeStrict } from './char-data';
import { isQName } from './xml-chars';

describe('char-data', () => {
  it('unescapes the predefined entities and character references', () => {
    expect(unescapeStrict('&amp;&lt;&gt;&quot;&apos;&#65;&#x42;&#x1F600;&#0000067;')).toBe('&<>"\'AB\u{1F600}C');
    expect(unescapeStrict('plain')).toBe('plain');
  });

  it.each(['&nbsp;', '&#xD800;', '&#xFFFE;', '&#x110000;', '&#8;', '&#;', '&#x;', '&#12a;', '& ;', '&amp'])('rejects %s', (s) => {
    expect(typeof unescapeStrict(s)).toBe('object');
  });

  it('rejects ]]> in text but not in CDATA', () => {
    expect(typeof cookText('a]]>b')).toBe('object');
    expect(cookText('a]]b>')).toBe('a]]b>');
    expect(cookCData('a]]b&amp;')).toBe('a]]b&amp;');
  });

  it('normalizes white space in attribute values but keeps references', () => {
    expect(cookAttr('a\tb\r\nc\nd&#9;&#10;')).toBe('a b c d\t\n');
  });

  it('validates qualified names', () => {
    for (const ok of ['a', 'stream:stream', '_x.y-z9', '\u00e9l\u00e8ve', 'a:\u4e2d']) expect(isQName(ok), ok).toBe(true);
    for (const bad of ['', '1a', ':a', 'a:', 'a:b:c', '-a', 'a b', 'a<b', 'a:1b']) expect(isQName(bad), bad).toBe(false);
  });
});
