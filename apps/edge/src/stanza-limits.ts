// What one stream may make the edge hold while it reads a stanza (issue 9 #7, #8):
// bytes (MAX_STANZA_BYTES), the estimated memory of the element being built, and
// attributes and namespace declarations per element. Until the stream is authenticated
// the size limits are much lower (PREAUTH_MAX_STANZA_BYTES): SASL, STARTTLS and
// in-band registration need a few hundred bytes, and an unauthenticated peer is
// nobody the server can hold to account. Crossing any of them is policy-violation
// (RFC 6120 §4.9.3.12).
import type { ParserLimit, StanzaLimits, StreamParserOptions } from '@cx/xml-stream';

export interface StanzaPolicy {
  maxStanzaBytes: number;
  preauthMaxStanzaBytes: number;
  maxAttributes: number;
  maxNamespaceDeclarations: number;
}

/**
 * Once authenticated, the element being built may take up to this many times
 * MAX_STANZA_BYTES in memory: text-heavy stanzas cost about their size, dense markup
 * (a roster item, a data-form field) 3-6 times it, 256 KiB of `<a/>` 40 times it.
 */
export const DOM_BYTES_PER_STANZA_BYTE = 8;

export function stanzaPolicy(config: {
  MAX_STANZA_BYTES: number;
  PREAUTH_MAX_STANZA_BYTES: number;
  MAX_XML_ATTRIBUTES: number;
  MAX_XML_NAMESPACE_DECLARATIONS: number;
}): StanzaPolicy {
  return {
    maxStanzaBytes: config.MAX_STANZA_BYTES,
    preauthMaxStanzaBytes: Math.min(config.PREAUTH_MAX_STANZA_BYTES, config.MAX_STANZA_BYTES),
    maxAttributes: config.MAX_XML_ATTRIBUTES,
    maxNamespaceDeclarations: config.MAX_XML_NAMESPACE_DECLARATIONS,
  };
}

/** The parser's options for a new (unauthenticated) stream. */
export function preauthParserOptions(p: StanzaPolicy): StreamParserOptions {
  const max = p.preauthMaxStanzaBytes;
  return { maxStanzaBytes: max, maxDomBytes: max, maxAttributes: p.maxAttributes, maxNamespaceDeclarations: p.maxNamespaceDeclarations };
}

/** The size limits once the stream is authenticated. */
export function authenticatedLimits(p: StanzaPolicy): StanzaLimits {
  return { maxStanzaBytes: p.maxStanzaBytes, maxDomBytes: p.maxStanzaBytes * DOM_BYTES_PER_STANZA_BYTE };
}

/** The label of xmpp_edge_limits_total for a parser limit, e.g. 'preauth-stanza-size'. */
export function limitLabel(limit: ParserLimit, authenticated: boolean): string {
  return authenticated ? `xml-${limit}` : `preauth-xml-${limit}`;
}
