// Scanner states for character data and the char after '<'.
// XML 1.0 §2.4 (character data), §2.8 (only white space outside the root element);
// RFC 6120 §11.7 (white space between stanzas), §11.1 (no PIs besides the declaration).
import type { Scanner } from './scanner';
import * as S from './scan-states';
import { isBlank, mayStartName } from './xml-chars';

export function scanText(s: Scanner, data: string, pos: number): number {
  const lt = data.indexOf('<', pos);
  const end = lt === -1 ? data.length : lt;
  const depth = s.stack.length;
  if (depth <= s.opts.itemDepth) {
    if (!isBlank(data, pos, end)) {
      const where = depth === 0 ? 'outside the root element' : 'between stanzas';
      return s.fail('not-well-formed', `character data is not allowed ${where}`);
    }
  } else if (end > pos || s.pending !== '') {
    if (lt === -1) {
      s.pending += data.slice(pos);
      return data.length;
    }
    // Emit the text first; the next step finds the '<' at lt again.
    return s.emitText(s.takePending(data.slice(pos, lt)), data, lt);
  }
  if (lt === -1) return data.length;
  if (depth <= s.opts.itemDepth) s.beginItem(lt);
  s.state = S.LT;
  return lt + 1;
}

export function scanLt(s: Scanner, data: string, pos: number): number {
  const c = data.charCodeAt(pos);
  if (c === 0x2f /* / */) {
    s.state = S.END_NAME;
    return pos + 1;
  }
  if (c === 0x21 /* ! */) {
    s.state = S.BANG;
    return pos + 1;
  }
  if (c === 0x3f /* ? */) {
    if (!s.declAllowed) return s.fail('restricted-xml', 'processing instructions are not allowed');
    s.state = S.PI;
    return pos + 1;
  }
  if (mayStartName(c)) {
    s.state = S.START_NAME;
    return pos;
  }
  return s.fail('not-well-formed', `unexpected character '${data[pos]}' after '<'`);
}
