// SASLprep examples from RFC 4013 §3, plus mapping and prohibition cases from RFC 4013 §2.
import { describe, it, expect } from 'vitest';
import { saslPrep } from './saslprep';

describe('saslPrep (RFC 4013 §3 examples)', () => {
  it.each([
    ['I\u00ADX', 'IX'], // SOFT HYPHEN mapped to nothing
    ['user', 'user'],
    ['USER', 'USER'],
    ['\u00AA', 'a'], // NFKC
    ['\u2168', 'IX'], // NFKC
  ])('%j -> %j', (input, output) => {
    expect(saslPrep(input)).toBe(output);
  });

  it.each([
    ['\u0007', 'prohibited'], // ASCII control
    ['\u0627\u0031', 'right-to-left'], // bidi rule
  ])('%j is rejected (%s)', (input, message) => {
    expect(() => saslPrep(input)).toThrow(message);
  });
});

describe('saslPrep mapping and prohibited output', () => {
  it('maps non-ASCII spaces to SPACE and removes zero-width characters', () => {
    expect(saslPrep('a\u00A0b\u3000c')).toBe('a b c');
    expect(saslPrep('a\u200Bb\uFEFFc\u200Dd')).toBe('abcd');
  });

  it.each([
    ['\u0000', 'NUL'],
    ['\u007F', 'DEL'],
    ['\u0085', 'C1 control'],
    ['\uE000', 'private use'],
    ['\uFFFE', 'non-character'],
    ['\u{1FFFF}', 'plane non-character'],
    ['\uD800', 'lone surrogate'],
    ['\u2FF0', 'ideographic description'],
    ['\u202E', 'bidi override'],
    ['\u{E0041}', 'tag'],
    ['\u{10FFFD}', 'supplementary private use'],
  ])('rejects %j (%s)', (input) => {
    expect(() => saslPrep(`pass${input}word`)).toThrow(/prohibited/);
  });

  it('accepts right-to-left text that follows the bidi rule, and ordinary Unicode', () => {
    expect(saslPrep('\u0627\u0644\u0639')).toBe('\u0627\u0644\u0639');
    expect(saslPrep('\u05D0 1 \u05D1')).toBe('\u05D0 1 \u05D1');
    expect(saslPrep('pässwörd ключ 密码')).toBe('pässwörd ключ 密码');
    expect(() => saslPrep('abc\u05D0')).toThrow(/mixed/);
  });
});
