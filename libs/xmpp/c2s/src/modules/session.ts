// Legacy session establishment (RFC 3921 §3, kept optional by
// draft-cridland-xmpp-session): advertised with <optional/>, answered with a result.
import { errorReply, iqResult, NS, StanzaError, x, type Element } from '@cx/xmpp-core';
import { send, stay } from '../stream';
import type { C2sContext, C2sModule, C2sState, Transition } from '../types';

function onSession(state: C2sState, iq: Element, ctx: C2sContext): Transition {
  if (iq.attrs.type !== 'set') return stay(state, send(errorReply(iq, new StanzaError('bad-request'), ctx.domain)));
  const reply = iqResult(iq, undefined, ctx.domain);
  reply.attrs.to = state.jid as string;
  return stay({ ...state, name: 'session_established' }, send(reply));
}

export const session: C2sModule = {
  name: 'session',
  spec: 'RFC 3921 §3',
  postAuthFeatures: () => [x('session', { xmlns: NS.SESSION }, x('optional'))],
  elements: [{ states: ['wait_for_session', 'session_established'], name: 'iq', xmlns: NS.CLIENT, payloadNs: NS.SESSION, handle: onSession }],
};
