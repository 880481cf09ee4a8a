// Character classes of XML 1.0 (Fifth Edition) §2.2 (Char), §2.3 (S, Name) and
// Namespaces in XML 1.0 §3 (NCName, QName), as used by RFC 6120 §11.

const START =
  'A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF' +
  '\\u200C\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF' +
  '\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}';
const REST = START + '\\-.0-9\\u00B7\\u0300-\\u036F\\u203F\\u2040';
const NCNAME = `[${START}][${REST}]*`;
// eslint-disable-next-line no-misleading-character-class -- ranges of combining marks, not a joined sequence
const QNAME_RE = new RegExp(`^(?:${NCNAME}:)?${NCNAME}$`, 'u');
const ASCII_QNAME_RE = /^(?:[A-Za-z_][\w.-]*:)?[A-Za-z_][\w.-]*$/;

// Chars outside XML 1.0 §2.2 Char that a JS string can hold: C0 controls other than
// TAB/LF/CR, U+FFFE, U+FFFF and unpaired surrogates.
// eslint-disable-next-line no-control-regex
const ILLEGAL_RE = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A qualified name: NCName or NCName ':' NCName. */
export function isQName(name: string): boolean {
  return ASCII_QNAME_RE.test(name) || QNAME_RE.test(name);
}

/** Index of the first char that is not an XML Char, or -1. */
export function findIllegalChar(s: string): number {
  const m = ILLEGAL_RE.exec(s);
  return m === null ? -1 : m.index;
}

/** Whether a code point is an XML Char (§2.2). */
export function isXmlCodePoint(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

/** XML white space (§2.3 S) as a char code test. */
export function isSpaceCode(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
}

/** Whether s[from, to) is only XML white space. */
export function isBlank(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    if (!isSpaceCode(s.charCodeAt(i))) return false;
  }
  return true;
}

/** Whether a char code may start a tag name; the full name is checked by isQName. */
export function mayStartName(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c >= 0xc0;
}

/** 'U+0001' style description of the char at s[i]. */
export function describeChar(s: string, i: number): string {
  const cp = s.codePointAt(i) ?? 0;
  return 'U+' + cp.toString(16).toUpperCase().padStart(4, '0');
}

/** Shortens user input echoed in error texts. */
export function clip(s: string, max = 40): string {
  return s.length <= max ? s : s.slice(0, max) + '...';
}
