// Scanner states for '<!' and '<?' markup.
// RFC 6120 §11.1: comments, processing instructions, internal or external DTD subsets
// and entity declarations are restricted XML; XML 1.0 §2.7 (CDATA sections are allowed),
// §2.8 (the XML declaration, only at the start of the document).
import { cookCData } from './char-data';
import type { Scanner } from './scanner';
import * as S from './scan-states';
import { checkXmlDecl } from './xml-decl';

const CDATA_OPEN = '[CDATA[';
const DTD_KEYWORDS = ['DOCTYPE', 'ENTITY', 'ELEMENT', 'ATTLIST', 'NOTATION'];
const BANG_LOOKAHEAD = 8; // length of 'NOTATION', the longest keyword

function bangMarkup(s: Scanner, head: string): number | 'wait' {
  if (head.startsWith('--')) return s.fail('restricted-xml', 'comments are not allowed');
  if (head.startsWith(CDATA_OPEN)) {
    if (s.stack.length <= s.opts.itemDepth) {
      return s.fail('not-well-formed', 'CDATA sections are only allowed inside a stanza');
    }
    s.state = S.CDATA;
    return CDATA_OPEN.length;
  }
  if (DTD_KEYWORDS.some((k) => head.startsWith(k))) {
    return s.fail('restricted-xml', 'document type and entity declarations are not allowed');
  }
  const candidates = ['--', CDATA_OPEN, ...DTD_KEYWORDS];
  return candidates.some((k) => k.startsWith(head)) ? 'wait' : s.fail('not-well-formed', "invalid markup after '<!'");
}

/** After '<!': a CDATA section, or restricted or invalid markup. */
export function scanBang(s: Scanner, data: string, pos: number): number {
  const had = s.pending.length;
  const head = s.pending + data.slice(pos, pos + BANG_LOOKAHEAD - had);
  const atChunkEnd = pos + head.length - had === data.length;
  const r = bangMarkup(s, head);
  if (r === 'wait') {
    if (!atChunkEnd) return s.fail('not-well-formed', "invalid markup after '<!'");
    s.pending = head;
    return data.length;
  }
  if (r < 0) return r;
  s.pending = '';
  return pos + r - had;
}

/**
 * Finds `terminator` from pos; when absent, keeps the chunk pending except its last
 * terminator.length - 1 chars, which are carried over to be re-scanned with the next chunk.
 */
function findTerminator(s: Scanner, data: string, pos: number, terminator: string): number {
  const end = data.indexOf(terminator, pos);
  if (end !== -1) return end;
  const keep = Math.max(pos, data.length - (terminator.length - 1));
  s.pending += data.slice(pos, keep);
  s.carry = data.slice(keep);
  return -1;
}

export function scanCData(s: Scanner, data: string, pos: number): number {
  const end = findTerminator(s, data, pos, ']]>');
  if (end === -1) return data.length;
  return s.emitText(s.takePending(data.slice(pos, end)), data, end + 3, cookCData);
}

/** After '<?' where a declaration is allowed: it must be '<?xml' followed by white space. */
export function scanPi(s: Scanner, data: string, pos: number): number {
  const had = s.pending.length;
  const head = s.pending + data.slice(pos, pos + 4 - had);
  if (head.length < 4) {
    s.pending = head;
    return data.length;
  }
  if (!/^xml[ \t\r\n]$/.test(head)) return s.fail('restricted-xml', 'processing instructions are not allowed');
  s.pending = head;
  s.state = S.DECL;
  return pos + 4 - had;
}

export function scanDecl(s: Scanner, data: string, pos: number): number {
  const end = findTerminator(s, data, pos, '?>');
  if (end === -1) return data.length;
  const problem = checkXmlDecl(s.takePending(data.slice(pos, end)));
  if (problem !== null) return s.fail(problem.condition, problem.text);
  s.declAllowed = false;
  return s.closeMarkup(data, end + 2) ? end + 2 : -1;
}
