// Errors as values carrying their XMPP condition: stream errors (RFC 6120
// §4.9.3), stanza errors (RFC 6120 §8.3.3) and their wire form.
import { NS } from './ns';
import { Element, x } from './xml';

export type StreamErrorCondition =
  | 'bad-format'
  | 'bad-namespace-prefix'
  | 'conflict'
  | 'connection-timeout'
  | 'host-gone'
  | 'host-unknown'
  | 'improper-addressing'
  | 'internal-server-error'
  | 'invalid-from'
  | 'invalid-namespace'
  | 'invalid-xml'
  | 'not-authorized'
  | 'not-well-formed'
  | 'policy-violation'
  | 'remote-connection-failed'
  | 'reset'
  | 'resource-constraint'
  | 'restricted-xml'
  | 'see-other-host'
  | 'system-shutdown'
  | 'undefined-condition'
  | 'unsupported-encoding'
  | 'unsupported-feature'
  | 'unsupported-stanza-type'
  | 'unsupported-version';

export class StreamError extends Error {
  override name = 'StreamError';
  constructor(
    readonly condition: StreamErrorCondition,
    readonly text?: string,
  ) {
    super(text ? `${condition}: ${text}` : condition);
  }
  toElement(): Element {
    // §4.9.3.19: see-other-host carries the other host as its character data.
    if (this.condition === 'see-other-host') return x('stream:error', {}, x(this.condition, { xmlns: NS.STREAM_ERRORS }, this.text ?? null));
    return x(
      'stream:error',
      {},
      x(this.condition, { xmlns: NS.STREAM_ERRORS }),
      this.text ? x('text', { xmlns: NS.STREAM_ERRORS, 'xml:lang': 'en' }, this.text) : null,
    );
  }
}

export type StanzaErrorType = 'auth' | 'cancel' | 'continue' | 'modify' | 'wait';

/** Each defined condition with the error type RFC 6120 §8.3.3 gives it. */
export const stanzaErrorTypes = {
  'bad-request': 'modify',
  conflict: 'cancel',
  'feature-not-implemented': 'cancel',
  forbidden: 'auth',
  gone: 'cancel',
  'internal-server-error': 'cancel',
  'item-not-found': 'cancel',
  'jid-malformed': 'modify',
  'not-acceptable': 'modify',
  'not-allowed': 'cancel',
  'not-authorized': 'auth',
  'policy-violation': 'modify',
  'recipient-unavailable': 'wait',
  redirect: 'modify',
  'registration-required': 'auth',
  'remote-server-not-found': 'cancel',
  'remote-server-timeout': 'wait',
  'resource-constraint': 'wait',
  'service-unavailable': 'cancel',
  'subscription-required': 'auth',
  'undefined-condition': 'cancel',
  'unexpected-request': 'wait',
} as const satisfies Record<string, StanzaErrorType>;

export type StanzaErrorCondition = keyof typeof stanzaErrorTypes;

export class StanzaError extends Error {
  override name = 'StanzaError';
  readonly type: StanzaErrorType;
  constructor(
    readonly condition: StanzaErrorCondition,
    readonly text?: string,
    type?: StanzaErrorType,
  ) {
    super(text ? `${condition}: ${text}` : condition);
    this.type = type ?? stanzaErrorTypes[condition];
  }
  toElement(by?: string): Element {
    return x(
      'error',
      { type: this.type, by },
      x(this.condition, { xmlns: NS.STANZA_ERRORS }),
      this.text ? x('text', { xmlns: NS.STANZA_ERRORS, 'xml:lang': 'en' }, this.text) : null,
    );
  }
}

export function isStanzaErrorCondition(s: string): s is StanzaErrorCondition {
  return Object.prototype.hasOwnProperty.call(stanzaErrorTypes, s);
}

/**
 * The error reply to a stanza (RFC 6120 §8.3.1): addresses swapped, type
 * 'error', the original payload kept so the sender can see what failed.
 */
export function errorReply(stanza: Element, err: StanzaError, from?: string): Element {
  const reply = x(stanza.name, { xmlns: stanza.attrs.xmlns, type: 'error', id: stanza.attrs.id, to: stanza.attrs.from, from: from ?? stanza.attrs.to });
  for (const c of stanza.children) if (typeof c !== 'string' && c.name !== 'error') reply.cnode(c);
  reply.cnode(err.toElement());
  return reply;
}

/** An iq result reply with an optional payload. */
export function iqResult(iq: Element, payload?: Element, from?: string): Element {
  return x('iq', { type: 'result', id: iq.attrs.id, to: iq.attrs.from, from: from ?? iq.attrs.to }, payload);
}
