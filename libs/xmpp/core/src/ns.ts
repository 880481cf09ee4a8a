// XML namespaces used on the wire (RFC 6120, RFC 6121 and the XEPs cited).
export const NS = {
  CLIENT: 'jabber:client',
  STREAMS: 'http://etherx.jabber.org/streams',
  STREAM_ERRORS: 'urn:ietf:params:xml:ns:xmpp-streams', // RFC 6120 §4.9.3
  STANZA_ERRORS: 'urn:ietf:params:xml:ns:xmpp-stanzas', // RFC 6120 §8.3.3
  SASL: 'urn:ietf:params:xml:ns:xmpp-sasl', // RFC 6120 §6
  TLS: 'urn:ietf:params:xml:ns:xmpp-tls', // RFC 6120 §5
  BIND: 'urn:ietf:params:xml:ns:xmpp-bind', // RFC 6120 §7
  SESSION: 'urn:ietf:params:xml:ns:xmpp-session', // RFC 3921 §3, draft-cridland-xmpp-session
  REGISTER: 'jabber:iq:register', // XEP-0077
  REGISTER_FEATURE: 'http://jabber.org/features/iq-register', // XEP-0077 §9
  CAPS: 'http://jabber.org/protocol/caps', // XEP-0115
  DISCO_INFO: 'http://jabber.org/protocol/disco#info', // XEP-0030
  DISCO_ITEMS: 'http://jabber.org/protocol/disco#items', // XEP-0030
  PING: 'urn:xmpp:ping', // XEP-0199
  DATA: 'jabber:x:data', // XEP-0004
  DELAY: 'urn:xmpp:delay', // XEP-0203
  FORWARD: 'urn:xmpp:forward:0', // XEP-0297
  HINTS: 'urn:xmpp:hints', // XEP-0334
  CHATSTATES: 'http://jabber.org/protocol/chatstates', // XEP-0085
  SID: 'urn:xmpp:sid:0', // XEP-0359
  XML: 'http://www.w3.org/XML/1998/namespace',
} as const;
