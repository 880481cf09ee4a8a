// The client-to-server stream as data: states (ejabberd's names), the events
// the edge feeds in, and the actions it must carry out. No I/O happens here.
import type { Element, StanzaErrorType, StreamErrorCondition } from '@cx/xmpp-core';

export type C2sStateName =
  | 'wait_for_stream'
  | 'wait_for_feature_request'
  | 'wait_for_sasl_response'
  | 'wait_for_bind'
  | 'wait_for_session'
  | 'session_established'
  | 'closed';

export interface C2sState {
  readonly name: C2sStateName;
  /** The id of the current stream (a new one after each restart). */
  readonly streamId: string;
  /** Our stream header has been sent on the current stream. */
  readonly opened: boolean;
  readonly lang: string;
  /** The client's 'from' on its stream header, if any. */
  readonly peer?: string;
  /** Set once SASL succeeds: the prepared local part. */
  readonly username?: string;
  /** Set once a resource is bound. */
  readonly jid?: string;
  readonly authFailures: number;
  /** SASL attempts refused on this stream because the mechanism or binding type cannot be used on it. */
  readonly authRefusals?: number;
  readonly mechanism?: string;
  /** The stream is encrypted (STARTTLS done, or a direct TLS connection). */
  readonly secure: boolean;
  /** Stream management (XEP-0198) is enabled or resumed on this stream. */
  readonly sm?: boolean;
  /** Our last ping to the client (XEP-0199): its id and when it was sent. */
  readonly ping?: { readonly id: string; readonly sentAt: number };
}

export type SaslResult =
  | { kind: 'challenge'; data: Buffer }
  | { kind: 'success'; username: string; data?: Buffer }
  /**
   * reason: 'credentials' = a wrong password (for username), 'refused' = the client's choice cannot be served here,
   * 'unavailable' = the auth service did not answer (temporary-auth-failure); the last two count only against maxAuthRefusals.
   */
  | { kind: 'failure'; condition: string; text?: string; reason?: 'credentials' | 'refused' | 'unavailable'; username?: string };

export type AccountOp = 'form' | 'register' | 'passwd' | 'remove';

export type C2sEvent =
  | { type: 'stream-open'; name: string; attrs: Record<string, string> }
  | { type: 'element'; el: Element }
  | { type: 'stream-close' }
  | { type: 'parse-error'; condition: StreamErrorCondition; text?: string }
  | { type: 'sasl-result'; result: SaslResult }
  | { type: 'bind-result'; iq: Element; jid?: string; condition?: string; errorType?: StanzaErrorType; text?: string }
  | {
      type: 'account-result';
      iq: Element;
      op: AccountOp;
      ok: boolean;
      condition?: string;
      errorType?: StanzaErrorType;
      text?: string;
      open?: boolean;
      instructions?: string;
    }
  | { type: 'kick'; condition: StreamErrorCondition; text?: string }
  | { type: 'socket-closed' }
  | { type: 'sm-resumed'; jid: string }
  | { type: 'sm-enable-failed' }
  /** About once a second: the time, how long the client has sent nothing, and a number for a ping id. */
  | { type: 'liveness'; now: number; idleMs: number; seq: number };

export type C2sAction =
  | { type: 'send'; el: Element | string }
  | { type: 'close'; condition?: StreamErrorCondition; text?: string }
  | { type: 'restart' }
  | { type: 'starttls' }
  | { type: 'csi'; active: boolean }
  | { type: 'sasl-start'; mechanism: string; initial: Buffer | null }
  | { type: 'sasl-step'; data: Buffer }
  | { type: 'sasl-abort' }
  | { type: 'bind'; iq: Element; resource: string }
  | { type: 'account'; iq: Element; op: AccountOp; username?: string; password?: string }
  | { type: 'route'; el: Element }
  /** An answer given here (a ping's) that must not overtake what the client sent before: written once that is routed. */
  | { type: 'send-after-routed'; el: Element }
  | { type: 'sm-enable'; resume: boolean; max?: number }
  | { type: 'sm-request' }
  | { type: 'sm-ack'; h: number }
  | { type: 'sm-resume'; previd: string; h: number }
  /** A configured bound was reached (counted by the edge: xmpp_edge_limits_hit_total). */
  | { type: 'limit-hit'; limit: 'ping-timeout' }
  | { type: 'ended' };

export interface Transition {
  state: C2sState;
  actions: C2sAction[];
}

export interface C2sContext {
  readonly domain: string;
  /** Mechanisms the auth service offers, in preference order. */
  readonly mechanisms: readonly string[];
  readonly registrationOpen: boolean;
  /** Failed SASL attempts allowed on one stream before it is closed (RFC 6120 §6.4.5). */
  readonly maxAuthFailures: number;
  /** Refused SASL attempts (a mechanism or channel-binding type this stream cannot use) allowed before the stream is closed (default 10). */
  readonly maxAuthRefusals?: number;
  readonly caps?: { node: string; ver: string; hash: string };
  /** STARTTLS is available (a certificate is configured). */
  readonly tls: boolean;
  /** Clients must encrypt before authenticating or registering (RFC 6120 §5.3.1). */
  readonly requireEncryption: boolean;
  /** PLAIN and DIGEST-MD5 are offered on streams without TLS too (default: TLS only). */
  readonly allowPlaintextAuth?: boolean;
  /** Channel-binding types this connection's TLS offers (RFC 5929, RFC 9266): -PLUS and XEP-0440 need one. */
  readonly channelBindings?: readonly string[];
  /** Stream management (XEP-0198) is offered after binding. */
  readonly streamManagement?: boolean;
  /** A bound client silent this long is pinged (XEP-0199; 0 or unset: never). */
  readonly pingIntervalMs?: number;
  /** A pinged client that stays silent this long after the ping is closed with connection-timeout. */
  readonly pingTimeoutMs?: number;
  /** The router's ping module is enabled: a client's ping to the server or its own account is answered here (XEP-0199). */
  readonly answerPings?: boolean;
  newStreamId(): string;
}

type Handler<I> = (state: C2sState, input: I, ctx: C2sContext) => Transition;

/** Where an element handler applies: the states, the element, and optionally an iq payload. */
export interface ElementRoute {
  readonly states: readonly C2sStateName[];
  readonly name: string;
  readonly xmlns?: string;
  /** For iq: the namespace of the payload child. */
  readonly payloadNs?: string;
  readonly handle: Handler<Element>;
}

/** One stream feature (an RFC section or a XEP): what it advertises and what it handles. */
export interface C2sModule {
  readonly name: string;
  readonly spec: string;
  /** Stream features it advertises before authentication. */
  preAuthFeatures?(ctx: C2sContext, state: C2sState): Element[];
  /** Stream features it advertises after authentication. */
  postAuthFeatures?(ctx: C2sContext): Element[];
  readonly elements?: readonly ElementRoute[];
  readonly results?: Partial<{ [T in C2sEvent['type']]: Handler<Extract<C2sEvent, { type: T }>> }>;
}
