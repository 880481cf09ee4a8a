// RFC 2831 §7.1-7.2 directive list syntax: quoted strings, escapes, empty list elements, LWS.
import { describe, it, expect } from 'vitest';
import { formatDirectives, parseDirectives } from './digest-md5-directives';

describe('parseDirectives', () => {
  it('parses quoted and bare values with whitespace and empty elements', () => {
    const d = parseDirectives(' a = "x, \\"y\\" \\\\z" ,, B=tok , realm="r1",realm="r2",\t');
    expect(d).toEqual(
      new Map([
        ['a', ['x, "y" \\z']],
        ['b', ['tok']],
        ['realm', ['r1', 'r2']],
      ]),
    );
  });

  it.each([['a="x'], ['a=x y'], ['=x'], ['a'], ['a="x"b'], ['a="\\']])('rejects %j', (text) => {
    expect(parseDirectives(text)).toBeNull();
  });

  it('round-trips formatted values', () => {
    const text = formatDirectives(
      [
        ['u', 'a"b\\c'],
        ['nc', '00000001'],
      ],
      new Set(['nc']),
    );
    expect(text).toBe('u="a\\"b\\\\c",nc=00000001');
    expect(parseDirectives(text)).toEqual(
      new Map([
        ['u', ['a"b\\c']],
        ['nc', ['00000001']],
      ]),
    );
  });
});
