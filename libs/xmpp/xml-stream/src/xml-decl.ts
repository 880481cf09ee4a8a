// The XML declaration allowed before the stream header.
// XML 1.0 §2.8 (XMLDecl), §4.3.3 (EncodingDecl); RFC 6120 §11.6 (UTF-8 only,
// otherwise 'unsupported-encoding', §4.9.3.22).
import type { StreamErrorCondition } from './types';

const S = '[ \\t\\r\\n]';
const DECL_RE = new RegExp(
  `^xml${S}+version${S}*=${S}*(["'])1\\.[0-9]+\\1` +
    `(?:${S}+encoding${S}*=${S}*(["'])([A-Za-z][A-Za-z0-9._-]*)\\2)?` +
    `(?:${S}+standalone${S}*=${S}*(["'])(?:yes|no)\\4)?${S}*$`,
);

export interface DeclProblem {
  condition: StreamErrorCondition;
  text: string;
}

/** Checks the text between '<?' and '?>' of an XML declaration. */
export function checkXmlDecl(body: string): DeclProblem | null {
  const m = DECL_RE.exec(body);
  if (m === null) return { condition: 'not-well-formed', text: 'malformed XML declaration' };
  const encoding = m[3];
  if (encoding !== undefined && encoding.toLowerCase() !== 'utf-8') {
    return { condition: 'unsupported-encoding', text: `encoding '${encoding}' is not supported, only UTF-8` };
  }
  return null;
}
