// Public types and defaults of the XMPP stream parser.
// RFC 6120 §4.9.3 (stream error conditions), §11 (XML usage), §13.12 (stanza size limits).
import type { Element } from 'ltx';

/** The stream error conditions this parser can report (RFC 6120 §4.9.3). */
export type StreamErrorCondition = 'not-well-formed' | 'restricted-xml' | 'policy-violation' | 'invalid-namespace' | 'bad-format' | 'unsupported-encoding';

export interface StreamParserEvents {
  /** The `<stream:stream ...>` open tag (name as written, e.g. 'stream:stream'). */
  onStreamStart(name: string, attrs: Record<string, string>): void;
  /** Each complete depth-1 child of the stream root. */
  onStanza(el: Element): void;
  /** `</stream:stream>`. */
  onStreamEnd(): void;
  /** After an error the parser ignores all further input; `limit` names the configured limit crossed, if any. */
  onError(condition: StreamErrorCondition, text: string, limit?: ParserLimit): void;
}

/** The configured limits whose crossing ends a stream with 'policy-violation' (RFC 6120 §4.9.3.12). */
export type ParserLimit = 'stanza-size' | 'dom-size' | 'depth' | 'attributes' | 'namespace-declarations';

/** The limits that may change while a stream is open (e.g. once it is authenticated). */
export interface StanzaLimits {
  /** Maximum UTF-8 size of one top-level stanza (and of the stream header). */
  maxStanzaBytes?: number;
  /** Maximum estimated memory of the element being built (domCost; 0: no limit). */
  maxDomBytes?: number;
}

export interface StreamParserOptions extends StanzaLimits {
  /** Maximum element nesting inside one stanza (the stanza itself is level 1). */
  maxDepth?: number;
  /** Most attributes, namespace declarations included, on one element (0: no limit). */
  maxAttributes?: number;
  /** Most prefixed namespace declarations (xmlns:p) on one element (0: no limit). */
  maxNamespaceDeclarations?: number;
}

export interface ParseElementOptions {
  /** Maximum UTF-8 size of the element. */
  maxBytes?: number;
  /** Maximum element nesting (the element itself is level 1). */
  maxDepth?: number;
  /**
   * As in StreamParserOptions, but no limit by default: the server re-parses stanzas it
   * accepted (offline, carbons), which may carry the stream header's declarations too.
   */
  maxDomBytes?: number;
  maxAttributes?: number;
  maxNamespaceDeclarations?: number;
}

export interface ParseElementError {
  error: StreamErrorCondition;
  text: string;
  limit?: ParserLimit;
}

/** A problem found while building elements, with the stream error condition it calls for. */
export interface BuildProblem {
  condition: StreamErrorCondition;
  text: string;
  limit?: ParserLimit;
}

export const DEFAULT_MAX_STANZA_BYTES = 262144;
export const DEFAULT_MAX_DEPTH = 256;
export const DEFAULT_MAX_ATTRIBUTES = 64;
export const DEFAULT_MAX_NAMESPACE_DECLARATIONS = 32;
export const STREAMS_NS = 'http://etherx.jabber.org/streams';

/** Text of the 'policy-violation' error reported when the size limit is crossed. */
export function sizeLimitText(maxBytes: number): string {
  return `stanza exceeds the maximum size of ${maxBytes} bytes`;
}
