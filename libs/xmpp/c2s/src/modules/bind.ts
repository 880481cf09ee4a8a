// RFC 6120 §7: resource binding. The session service binds (action 'bind');
// bind-result carries the full JID or an error condition (with its type and
// text when the edge chooses them: type wait when the session service is
// unavailable, so the client binds again later, RFC 6120 §8.3.2).
import { child, errorReply, iqResult, isStanzaErrorCondition, NS, prepareResource, StanzaError, x, type Element, type StanzaErrorType } from '@cx/xmpp-core';
import { send, stay } from '../stream';
import type { C2sContext, C2sModule, C2sState, Transition } from '../types';
import { routeStanza } from './established';

function onBind(state: C2sState, iq: Element, ctx: C2sContext): Transition {
  if (iq.attrs.type !== 'set' || !iq.attrs.id) {
    return stay(state, send(errorReply(iq, new StanzaError('bad-request', 'bind with an iq of type set'), ctx.domain)));
  }
  const requested = child(child(iq, 'bind', NS.BIND) as Element, 'resource')?.getText() ?? '';
  if (requested === '') return stay(state, { type: 'bind', iq, resource: '' });
  const resource = prepareResource(requested);
  // RFC 6120 §7.7.2.1: a resource that cannot be prepared is bad-request.
  if (resource === null) return stay(state, send(errorReply(iq, new StanzaError('bad-request', 'invalid resource'), ctx.domain)));
  return stay(state, { type: 'bind', iq, resource });
}

interface BindOutcome {
  jid?: string;
  condition?: string;
  errorType?: StanzaErrorType;
  text?: string;
}

function onBindResult(state: C2sState, iq: Element, ctx: C2sContext, r: BindOutcome): Transition {
  if (state.name !== 'wait_for_bind' || state.jid) return stay(state);
  const jid = r.jid;
  if (!jid) {
    const cond = r.condition && isStanzaErrorCondition(r.condition) ? r.condition : 'internal-server-error';
    return stay(state, send(errorReply(iq, new StanzaError(cond, r.text, r.errorType), ctx.domain)));
  }
  const reply = iqResult(iq, x('bind', { xmlns: NS.BIND }, x('jid', {}, jid)));
  delete reply.attrs.from;
  delete reply.attrs.to;
  return { state: { ...state, name: 'wait_for_session', jid }, actions: [send(reply)] };
}

export const bind: C2sModule = {
  name: 'bind',
  spec: 'RFC 6120 §7',
  postAuthFeatures: () => [x('bind', { xmlns: NS.BIND })],
  elements: [
    { states: ['wait_for_bind'], name: 'iq', xmlns: NS.CLIENT, payloadNs: NS.BIND, handle: onBind },
    // One resource per stream (RFC 6120 §7.1): a second bind is not allowed.
    {
      states: ['wait_for_session', 'session_established'],
      name: 'iq',
      xmlns: NS.CLIENT,
      payloadNs: NS.BIND,
      handle: (s, iq, ctx) =>
        iq.attrs.to
          ? routeStanza(s, iq, ctx)
          : stay(s, send(errorReply(iq, new StanzaError('not-allowed', 'a resource is already bound to this stream'), ctx.domain))),
    },
  ],
  results: { 'bind-result': (s, e, ctx) => onBindResult(s, e.iq, ctx, e) },
};
