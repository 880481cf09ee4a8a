// Scanner states for start tags and the names of tags and attributes.
// XML 1.0 §3.1 (STag, EmptyElemTag: attributes separated by white space), §2.3 (Name);
// Namespaces in XML 1.0 §3 (QName).
import type { Scanner } from './scanner';
import * as S from './scan-states';
import { clip, isQName, isSpaceCode } from './xml-chars';

/** Index of the first char that ends a name (white space, '/', '>', '=', '<', controls). */
export function nameEnd(data: string, pos: number): number {
  for (let i = pos; i < data.length; i++) {
    const c = data.charCodeAt(i);
    if (c <= 0x20 || c === 0x2f || c === 0x3e || c === 0x3d || c === 0x3c) return i;
  }
  return data.length;
}

/** Index of the first non-white-space char at or after pos, or data.length. */
export function skipSpace(data: string, pos: number): number {
  let i = pos;
  while (i < data.length && isSpaceCode(data.charCodeAt(i))) i++;
  return i;
}

/**
 * Reads a name that ends at a delimiter; returns the name, or null when the chunk
 * ended first (the piece is kept pending).
 */
export function readName(s: Scanner, data: string, pos: number, end: number): string | null {
  if (end === data.length) {
    s.pending += data.slice(pos);
    return null;
  }
  return s.takePending(data.slice(pos, end));
}

export function scanStartName(s: Scanner, data: string, pos: number): number {
  const end = nameEnd(data, pos);
  const name = readName(s, data, pos, end);
  if (name === null) return end;
  if (!isQName(name)) return s.fail('not-well-formed', `invalid element name '${clip(name)}'`);
  s.tagName = name;
  s.attrs = {};
  s.attrCount = 0;
  s.sawSpace = false;
  s.state = S.TAG;
  return end;
}

export function scanTag(s: Scanner, data: string, pos: number): number {
  for (let i = pos; i < data.length; i++) {
    const c = data.charCodeAt(i);
    if (isSpaceCode(c)) {
      s.sawSpace = true;
    } else if (c === 0x3e /* > */) {
      return s.openTag(data, i + 1, false);
    } else if (c === 0x2f /* / */) {
      s.state = S.SELF_CLOSE;
      return i + 1;
    } else if (!s.sawSpace) {
      return s.fail('not-well-formed', `unexpected '${data[i]}' in <${clip(s.tagName)}>`);
    } else {
      s.state = S.ATTR_NAME;
      return i;
    }
  }
  return data.length;
}

export function scanSelfClose(s: Scanner, data: string, pos: number): number {
  if (data.charCodeAt(pos) === 0x3e) return s.openTag(data, pos + 1, true);
  return s.fail('not-well-formed', `expected '>' after '/' in <${clip(s.tagName)}>`);
}
