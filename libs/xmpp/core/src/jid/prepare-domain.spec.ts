// RFC 7622 §3.2 domainparts: IP literals, IPv4, IDNA2008 names via UTS #46.
import { domainToASCII } from 'node:url';
import { describe, it, expect } from 'vitest';
import { parseJid, prepareDomain } from './index';

describe('prepareDomain: accepted', () => {
  it.each([
    ['example.com', 'example.com'],
    ['EXAMPLE.com.', 'example.com'], // case-insensitive, one trailing dot stripped (§3.2.1)
    ['Example.COM', 'example.com'],
    ['localhost', 'localhost'],
    ['a-b.c--d.example', 'a-b.c--d.example'],
    ['123.example', '123.example'],
    ['127.0.0.1', '127.0.0.1'],
    ['192.168.255.0.', '192.168.255.0'],
    ['[::1]', '[::1]'],
    ['[2001:DB8:0:0:0:0:0:1]', '[2001:db8::1]'],
    ['[v1.fe80::a+en1]', '[v1.fe80::a+en1]'],
    ['xn--fuball-cta.example', 'fu\u00dfball.example'], // A-label → U-label
    ['XN--FUBALL-CTA.example', 'fu\u00dfball.example'],
    ['fu\u00dfball.example', 'fu\u00dfball.example'], // non-transitional: ß kept
    ['FU\u00dfBALL.example', 'fu\u00dfball.example'],
    ['b\u00fccher.example', 'b\u00fccher.example'],
    ['BU\u0308CHER.example', 'b\u00fccher.example'],
    ['\uff25\uff38\uff21\uff2d\uff30\uff2c\uff25\u3002com', 'example.com'], // fullwidth + ideographic full stop
    ['\u03c0.example', '\u03c0.example'],
    ['l\u00b7l.cat', 'l\u00b7l.cat'],
    ['\u05d0\u05d1.example', '\u05d0\u05d1.example'],
    ['a123.\u05d0\u05d1.example', 'a123.\u05d0\u05d1.example'],
    ['\u0915\u094d\u200d\u0937.example', '\u0915\u094d\u200d\u0937.example'],
  ])('%j → %j', (input, output) => {
    expect(prepareDomain(input)).toBe(output);
    expect(prepareDomain(output)).toBe(output);
  });
});

describe('prepareDomain: rejected', () => {
  it.each([
    ['', 'empty'],
    ['.', 'only the stripped dot'],
    ['example.com..', 'only one trailing dot is stripped'],
    ['a..b', 'empty label'],
    ['.example', 'empty first label'],
    ['-a.example', 'leading hyphen'],
    ['a-.example', 'trailing hyphen'],
    ['ab--cd.example', 'reserved LDH label'],
    ['xn--.example', 'bad A-label'],
    ['xn--abc-.example', 'bad A-label'],
    ['a_b.example', 'underscore'],
    ['a b.example', 'space'],
    ['a%20b.example', 'percent'],
    ['example.com:5222', 'port'],
    ['exa\uff0fmple.com', 'fullwidth solidus maps to /'],
    ['\u2474.example', 'maps to "(1)"'],
    ['1.2.3', 'numeric last label that is not an IPv4 address'],
    ['0x7f.1', 'WHATWG-style IPv4 number'],
    ['example.0x1', 'hex last label'],
    ['127.000.0.1', 'leading zeros are not an IPv4address'],
    ['256.0.0.1', 'octet out of range'],
    ['[::1', 'unterminated IP literal'],
    ['[::gg]', 'bad IPv6'],
    ['[fe80::1%25eth0]', 'zone identifiers are not allowed'],
    ['::1', 'IPv6 without brackets'],
    ['\ud83d\ude00.example', 'symbols are not PVALID in IDNA2008'],
    ['a\u00b7b.example', 'MIDDLE DOT not between l'],
    ['ab\u0640.example', 'TATWEEL is DISALLOWED in IDNA2008'],
    ['a\u200db.example', 'ZWJ without virama'],
    ['\u0301a.example', 'leading combining mark'],
    ['\u05d0\u05d1a.example', 'Bidi: mixed directions in a label'],
    ['123.\u05d0\u05d1.example', 'Bidi: in a Bidi domain name every label must satisfy the rule'],
    ['\u0661\u06f2.example', 'Arabic-Indic digits mixed with Extended Arabic-Indic digits'],
    ['\ud800.example', 'lone surrogate'],
    ['\u0378.example', 'unassigned'],
  ])('%j (%s)', (input) => {
    expect(prepareDomain(input)).toBeNull();
  });
});

describe('prepareDomain: lengths', () => {
  it('limits each label to 63 octets', () => {
    expect(prepareDomain(`${'a'.repeat(63)}.example`)).toBe(`${'a'.repeat(63)}.example`);
    expect(prepareDomain(`${'a'.repeat(64)}.example`)).toBeNull();
    expect(prepareDomain('A'.repeat(64))).toBeNull();
  });

  it('limits the A-label, not the number of U-label characters', () => {
    const short = '\u00fc'.repeat(20);
    const long = '\u00fc'.repeat(60);
    expect(domainToASCII(short).length).toBeLessThanOrEqual(63);
    expect(domainToASCII(long).length).toBeGreaterThan(63);
    expect(prepareDomain(`${short}.example`)).toBe(`${short}.example`);
    expect(prepareDomain(`${long}.example`)).toBeNull();
  });

  it('limits the whole domainpart to 1023 octets', () => {
    const label = 'a'.repeat(63);
    const d1023 = Array(16).fill(label).join('.'); // 16 × 63 + 15 dots
    expect(d1023.length).toBe(1023);
    expect(prepareDomain(d1023)).toBe(d1023);
    expect(prepareDomain(`${d1023}.`)).toBe(d1023);
    expect(prepareDomain(`${d1023}.b`)).toBeNull();
    const uLabel = '\u00fc'.repeat(20); // 40 octets each in UTF-8
    const big = Array(26).fill(uLabel).join('.'); // 26 × 40 + 25 = 1065 octets
    expect(prepareDomain(big)).toBeNull();
    expect(parseJid(`juliet@${d1023}`).domain).toBe(d1023);
    expect(() => parseJid(`juliet@${d1023}.b`)).toThrow(/1023/);
  });
});
