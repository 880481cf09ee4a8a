// RFC 6120 §5: STARTTLS. Offered before authentication when a certificate is
// configured (with <required/> when the policy asks for encryption); on
// <starttls/> the server answers <proceed/>, the edge negotiates TLS on the
// same socket, and the client opens a new stream over it.
import { NS, x, type Element } from '@cx/xmpp-core';
import { send } from '../stream';
import type { C2sContext, C2sModule, C2sState, Transition } from '../types';

function feature(ctx: C2sContext, state: C2sState): Element[] {
  if (!ctx.tls || state.secure) return [];
  return [x('starttls', { xmlns: NS.TLS }, ctx.requireEncryption ? x('required') : null)];
}

function onStarttls(state: C2sState, _el: Element, ctx: C2sContext): Transition {
  if (!ctx.tls || state.secure) {
    // §5.4.2.2: failure, then the stream is closed.
    return { state: { ...state, name: 'closed' }, actions: [send(x('failure', { xmlns: NS.TLS })), { type: 'close' }, { type: 'ended' }] };
  }
  const next: C2sState = { ...state, name: 'wait_for_stream', opened: false, secure: true, streamId: ctx.newStreamId() };
  return { state: next, actions: [send(x('proceed', { xmlns: NS.TLS })), { type: 'starttls' }] };
}

export const starttls: C2sModule = {
  name: 'starttls',
  spec: 'RFC 6120 §5',
  preAuthFeatures: feature,
  elements: [{ states: ['wait_for_feature_request'], name: 'starttls', xmlns: NS.TLS, handle: onStarttls }],
};
