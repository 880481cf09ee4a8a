// Scanner states for attributes and end tags.
// XML 1.0 §3.1 (Attribute, ETag, unique attribute names), §2.3 (AttValue must be quoted).
import { cookAttr } from './char-data';
import type { Scanner } from './scanner';
import * as S from './scan-states';
import { nameEnd, readName, skipSpace } from './scan-tags';
import { clip, isQName } from './xml-chars';

export function scanAttrName(s: Scanner, data: string, pos: number): number {
  const end = nameEnd(data, pos);
  const name = readName(s, data, pos, end);
  if (name === null) return end;
  if (!isQName(name)) return s.fail('not-well-formed', `invalid attribute name '${clip(name)}'`);
  s.attrName = name;
  s.state = S.ATTR_EQ;
  return end;
}

export function scanAttrEq(s: Scanner, data: string, pos: number): number {
  const i = skipSpace(data, pos);
  if (i === data.length) return i;
  if (data.charCodeAt(i) !== 0x3d /* = */) {
    return s.fail('not-well-formed', `attribute '${clip(s.attrName)}' has no value`);
  }
  s.state = S.ATTR_QUOTE;
  return i + 1;
}

export function scanAttrQuote(s: Scanner, data: string, pos: number): number {
  const i = skipSpace(data, pos);
  if (i === data.length) return i;
  const c = data[i];
  if (c !== '"' && c !== "'") {
    return s.fail('not-well-formed', `value of attribute '${clip(s.attrName)}' is not quoted`);
  }
  s.quote = c;
  s.state = S.ATTR_VALUE;
  return i + 1;
}

function setAttr(attrs: Record<string, string>, name: string, value: string): void {
  if (name === '__proto__') {
    Object.defineProperty(attrs, name, { value, enumerable: true, writable: true, configurable: true });
  } else {
    attrs[name] = value;
  }
}

export function scanAttrValue(s: Scanner, data: string, pos: number): number {
  const q = data.indexOf(s.quote, pos);
  if (q === -1) {
    s.pending += data.slice(pos);
    return data.length;
  }
  const value = cookAttr(s.takePending(data.slice(pos, q)));
  if (typeof value !== 'string') return s.reject(value);
  if (Object.hasOwn(s.attrs, s.attrName)) {
    return s.fail('not-well-formed', `duplicate attribute '${clip(s.attrName)}'`);
  }
  const max = s.opts.maxAttrs;
  if (max > 0 && ++s.attrCount > max) {
    return s.fail('policy-violation', `more than ${max} attributes on <${clip(s.tagName)}>`, 'attributes');
  }
  setAttr(s.attrs, s.attrName, value);
  s.sawSpace = false;
  s.state = S.TAG;
  return q + 1;
}

export function scanEndName(s: Scanner, data: string, pos: number): number {
  const top = s.stack[s.stack.length - 1];
  // Fast path: the expected name followed by '>' within this chunk.
  if (s.pending === '' && top !== undefined && data.startsWith(top, pos) && data.charCodeAt(pos + top.length) === 0x3e) {
    return s.closeTag(top, data, pos + top.length + 1);
  }
  const end = nameEnd(data, pos);
  const name = readName(s, data, pos, end);
  if (name === null) return end;
  s.tagName = name;
  s.state = S.END_SPACE;
  return end;
}

export function scanEndSpace(s: Scanner, data: string, pos: number): number {
  const i = skipSpace(data, pos);
  if (i === data.length) return i;
  if (data.charCodeAt(i) !== 0x3e) return s.fail('not-well-formed', `unexpected '${data[i]}' in end tag`);
  return s.closeTag(s.tagName, data, i + 1);
}
