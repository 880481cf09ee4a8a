// Public API of @cx/xml-stream: the XMPP stream parser (RFC 6120 §4, §11) and the
// single-element parser used by WebSocket framing (RFC 7395 §3.3).
export { XmlStreamParser } from './stream-parser';
export { parseElement, isParseError } from './parse-element';
export {
  DEFAULT_MAX_ATTRIBUTES,
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_NAMESPACE_DECLARATIONS,
  DEFAULT_MAX_STANZA_BYTES,
  STREAMS_NS,
  sizeLimitText,
  type ParseElementError,
  type ParseElementOptions,
  type ParserLimit,
  type StanzaLimits,
  type StreamErrorCondition,
  type StreamParserEvents,
  type StreamParserOptions,
} from './types';
