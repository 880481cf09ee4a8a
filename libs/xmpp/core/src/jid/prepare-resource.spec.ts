// RFC 8265 §4.2 (OpaqueString) as used for resourceparts by RFC 7622 §3.4.
import { describe, it, expect } from 'vitest';
import { prepareResource } from './index';

describe('prepareResource: OpaqueString', () => {
  it.each([
    ['foo', 'foo'],
    ['Foo Bar', 'Foo Bar'], // no case mapping, U+0020 allowed inside
    ['a@b/c', 'a@b/c'],
    ['\u265a', '\u265a'], // symbols are FREE_PVAL
    ['\uff32', '\uff32'], // no width mapping
    ['\u2163', '\u2163'], // compatibility characters are FREE_PVAL
    ['\ufb00', '\ufb00'],
    ['\ud83d\ude00', '\ud83d\ude00'],
    ['A\u00a0B', 'A B'], // non-ASCII space → U+0020
    ['A\u2003B\u3000C', 'A B C'],
    ['Re\u0301s', 'R\u00e9s'], // NFC
    ['a\u05d0\u05d1', 'a\u05d0\u05d1'], // no Bidi Rule for OpaqueString
    ['\u0915\u094d\u200d\u0937', '\u0915\u094d\u200d\u0937'],
    ['l\u00b7l', 'l\u00b7l'],
    ['\u1100\u1161', '\uac00'],
  ])('%j → %j', (input, output) => {
    expect(prepareResource(input)).toBe(output);
    expect(prepareResource(output)).toBe(output);
  });

  it.each([
    ['', 'empty'],
    [' foo', 'leading space (RFC 7622 §3.5 example 18)'],
    ['foo ', 'trailing space'],
    ['\u00a0foo', 'non-ASCII space maps to a leading U+0020'],
    [' ', 'only a space'],
    ['a\tb', 'control'],
    ['a\nb', 'control'],
    ['a\u007fb', 'DEL'],
    ['a\u0085b', 'C1 control'],
    ['a\u00adb', 'default ignorable'],
    ['a\u200bb', 'ZERO WIDTH SPACE'],
    ['a\u202eb', 'bidi override (default ignorable)'],
    ['a\u200db', 'ZWJ without virama'],
    ['a\u00b7b', 'MIDDLE DOT not between l'],
    ['\u0640', 'ARABIC TATWEEL (exception DISALLOWED)'],
    ['\ue000', 'private use'],
    ['\ud800', 'lone surrogate'],
    ['\u0378', 'unassigned'],
    ['\u2028', 'LINE SEPARATOR'],
  ])('rejects %j (%s)', (input) => {
    expect(prepareResource(input)).toBeNull();
  });

  it('accepts 1023 octets and rejects 1024', () => {
    expect(prepareResource('r'.repeat(1023))).toBe('r'.repeat(1023));
    expect(prepareResource('r'.repeat(1024))).toBeNull();
    const emoji = '\ud83d\ude00'; // 4 octets
    expect(prepareResource(`${emoji.repeat(255)}abc`)).toBe(`${emoji.repeat(255)}abc`);
    expect(prepareResource(emoji.repeat(256))).toBeNull();
  });
});
