// The two conversions every service repeats: serialized stanza bytes to an
// element, and an element to the envelope the router routes (routerv1.Stanza,
// with the addressing fields copied out so routing need not parse the XML).
import type { routerv1 } from '@cx/proto';
import { parseElement, type ParseElementOptions } from '@cx/xml-stream';
import type { Element } from '@cx/xmpp-core';
import { stanzaKind } from './kind';

/** One serialized element (as stored or delivered) parsed back; undefined if it is not well-formed. */
export function elementFromBytes(xml: Uint8Array, opts?: ParseElementOptions): Element | undefined {
  const r = parseElement(Buffer.from(xml.buffer, xml.byteOffset, xml.byteLength).toString('utf8'), opts);
  return 'error' in r ? undefined : r;
}

export interface EnvelopeFields {
  /** The sending session's full JID, as stamped by the edge. */
  from: string;
  connectionId: string;
  /** The element serialized, when the caller already has it (else serialized here). */
  xml?: Buffer;
  /** The address to route to (default: the element's 'to'). */
  to?: string;
  /** Routed again because its session was gone (RFC 6121 §8.5.3.2). */
  undeliverable?: boolean;
  smIn?: number;
  traceparent?: string;
  shared?: boolean;
  /** From an external component's connection (XEP-0114). */
  component?: boolean;
}

/** The routed envelope of a stanza: kind, addressing and the bytes. */
export function routedStanza(el: Element, f: EnvelopeFields): routerv1.Stanza {
  return {
    kind: stanzaKind(el.name),
    from: f.from,
    to: f.to ?? el.attrs.to ?? '',
    type: el.attrs.type ?? '',
    id: el.attrs.id ?? '',
    xml: f.xml ?? Buffer.from(el.toString(), 'utf8'),
    connectionId: f.connectionId,
    undeliverable: f.undeliverable ?? false,
    smIn: f.smIn ?? 0,
    traceparent: f.traceparent ?? '',
    shared: f.shared ?? false,
    component: f.component,
  };
}
