// Public types and defaults of the XMPP stream parser.
// RFC 6120 §4.9.3 (stream error conditions), §11 (XML usage), §13.12 (stanza size limits).
import type { Element } from 'ltx';

/** The stream error conditions this parser can report (RFC 6120 §4.9.3). */
export type StreamErrorCondition =
  | 'not-well-formed'
  | 'restricted-xml'
  | 'policy-violation'
  | 'invalid-namespace'
  | 'bad-format'
  | 'unsupported-encoding';

export interface StreamParserEvents {
  /** The `<stream:stream ...>` open tag (name as written, e.g. 'stream:stream'). */
  onStreamStart(name: string, attrs: Record<string, string>): void;
  /** Each complete depth-1 child of the stream root. */
  onStanza(el: Element): void;
  /** `</stream:stream>`. */
  onStreamEnd(): void;
  /** After an error the parser ignores all further input. */
  onError(condition: StreamErrorCondition, text: string): void;
}

export interface StreamParserOptions {
  /** Maximum UTF-8 size of one top-level stanza (and of the stream header). */
  maxStanzaBytes?: number;
  /** Maximum element nesting inside one stanza (the stanza itself is level 1). */
  maxDepth?: number;
}

export interface ParseElementOptions {
  /** Maximum UTF-8 size of the element. */
  maxBytes?: number;
  /** Maximum element nesting (the element itself is level 1). */
  maxDepth?: number;
}

export interface ParseElementError {
  error: StreamErrorCondition;
  text: string;
}

export const DEFAULT_MAX_STANZA_BYTES = 262144;
export const DEFAULT_MAX_DEPTH = 256;
export const STREAMS_NS = 'http://etherx.jabber.org/streams';

/** Text of the 'policy-violation' error reported when the size limit is crossed. */
export function sizeLimitText(maxBytes: number): string {
  return `stanza exceeds the maximum size of ${maxBytes} bytes`;
}
