// Parses one standalone element, e.g. a WebSocket message (RFC 7395 §3.3.3: each
// message is one complete XML element) with the same strict rules as the stream
// parser (RFC 6120 §11).
import type { Element } from 'ltx';
import { ElementBuilder } from './element-builder';
import { Scanner } from './scanner';
import {
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_STANZA_BYTES,
  sizeLimitText,
  type ParseElementError,
  type ParseElementOptions,
  type ParserLimit,
  type StreamErrorCondition,
} from './types';

/** Parse one standalone element from a string. Returns the element or the error condition. */
export function parseElement(xml: string, opts: ParseElementOptions = {}): Element | ParseElementError {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_STANZA_BYTES;
  if (xml.length > maxBytes) return { error: 'policy-violation', text: sizeLimitText(maxBytes), limit: 'stanza-size' };
  let result: Element | null = null;
  let error: ParseElementError | null = null;
  const fail = (condition: StreamErrorCondition, text: string, limit?: ParserLimit): void => {
    scanner.fail(condition, text, limit);
  };
  const builder = new ElementBuilder(
    { baseDepth: 0, maxNamespaceDeclarations: opts.maxNamespaceDeclarations ?? 0, maxDomBytes: opts.maxDomBytes ?? 0 },
    (el) => {
      result = el;
    },
    (p) => fail(p.condition, p.text, p.limit),
  );
  const scanner: Scanner = new Scanner(
    {
      startTag: (name, attrs, selfClosing, depth) =>
        result !== null ? fail('not-well-formed', 'only one element is allowed') : builder.start(name, attrs, selfClosing, depth),
      endTag: (_name, depth) => builder.end(depth),
      text: (text) => builder.text(text),
      error: (condition, text, limit) => {
        error = limit === undefined ? { error: condition, text } : { error: condition, text, limit };
      },
    },
    { itemDepth: 0, maxBytes, maxDepth: opts.maxDepth ?? DEFAULT_MAX_DEPTH, maxAttrs: opts.maxAttributes ?? 0, allowDecl: false },
  );
  scanner.write(xml);
  if (error !== null) return error;
  if (result === null || scanner.midItem) return { error: 'not-well-formed', text: 'incomplete element' };
  return result;
}

/** Narrows a parseElement result to the error case. */
export function isParseError(r: Element | ParseElementError): r is ParseElementError {
  return typeof (r as Partial<ParseElementError>).error === 'string';
}
