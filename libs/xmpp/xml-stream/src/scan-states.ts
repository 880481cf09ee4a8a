// States and contract of the streaming XML scanner (XML 1.0 §2.8 prolog, §3.1 tags,
// §2.7 CDATA, §2.6 PIs; RFC 6120 §11).
import type { ParserLimit, StreamErrorCondition } from './types';

export const TEXT = 0; // character data, looking for '<'
export const LT = 1; // just after '<'
export const START_NAME = 2; // inside a start-tag name
export const TAG = 3; // inside a start tag, between attributes
export const SELF_CLOSE = 4; // after '/' in a start tag
export const ATTR_NAME = 5;
export const ATTR_EQ = 6; // after an attribute name, expecting '='
export const ATTR_QUOTE = 7; // after '=', expecting a quote
export const ATTR_VALUE = 8;
export const END_NAME = 9; // inside an end-tag name
export const END_SPACE = 10; // after an end-tag name, expecting '>'
export const BANG = 11; // after '<!'
export const CDATA = 12;
export const PI = 13; // after '<?'
export const DECL = 14; // inside '<?xml ... ?>'
export const DONE = 15; // the document ended; further input is ignored
export const FAILED = 16; // an error was reported; further input is ignored

export interface ScanHandler {
  /** depth: nesting level of the element (0 for the document root). */
  startTag(name: string, attrs: Record<string, string>, selfClosing: boolean, depth: number): void;
  endTag(name: string, depth: number): void;
  text(text: string): void;
  error(condition: StreamErrorCondition, text: string, limit?: ParserLimit): void;
}

export interface ScannerOptions {
  /** Elements at this depth are the size-limited items; text at or above it must be blank. */
  itemDepth: number;
  maxBytes: number;
  maxDepth: number;
  /** Most attributes on one element (0: no limit). */
  maxAttrs: number;
  /** Whether an XML declaration may precede the root element. */
  allowDecl: boolean;
}
