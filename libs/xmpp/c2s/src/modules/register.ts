// XEP-0077 In-Band Registration: the form, registering before authentication,
// and, once authenticated, changing the password and cancelling the account.
// The auth service does the work (action 'account'; event 'account-result').
// A password travels in it, so it follows PLAIN's policy: without TLS (and
// unless allowPlaintextAuth) registration and password change are refused with
// policy-violation, and in-band registration is not advertised.
import { child, errorReply, iqResult, isStanzaErrorCondition, NS, StanzaError, x, type Element } from '@cx/xmpp-core';
import { send, stay } from '../stream';
import type { AccountOp, C2sContext, C2sEvent, C2sModule, C2sState, Transition } from '../types';
import { routeStanza } from './established';
import { passwordsAllowed } from './sasl';

function reject(
  state: C2sState,
  iq: Element,
  ctx: C2sContext,
  condition: 'bad-request' | 'not-allowed' | 'policy-violation' | 'service-unavailable',
  text?: string,
): Transition {
  return stay(state, send(errorReply(iq, new StanzaError(condition, text), ctx.domain)));
}

function account(state: C2sState, iq: Element, op: AccountOp, username?: string, password?: string): Transition {
  return stay(state, { type: 'account', iq, op, username, password });
}

const CLEAR_TEXT = 'encrypt the stream (STARTTLS) first: passwords are not accepted in clear text';

function onIq(state: C2sState, iq: Element, ctx: C2sContext): Transition {
  const authed = state.jid !== undefined;
  const to = iq.attrs.to;
  // Addressed to someone else: not ours, route it.
  if (authed && to && to !== ctx.domain && to !== state.jid && to !== state.jid?.split('/')[0]) return routeStanza(state, iq, ctx);
  const query = child(iq, 'query', NS.REGISTER) as Element;
  if (!authed && ctx.requireEncryption && !state.secure) return reject(state, iq, ctx, 'not-allowed', 'encrypt the stream (STARTTLS) first');
  if (iq.attrs.type === 'get') {
    if (!authed && !ctx.registrationOpen) return reject(state, iq, ctx, 'service-unavailable', 'registration is closed');
    if (!authed && !passwordsAllowed(state, ctx)) return reject(state, iq, ctx, 'policy-violation', CLEAR_TEXT);
    return account(state, iq, 'form');
  }
  if (iq.attrs.type !== 'set') return authed ? routeStanza(state, iq, ctx) : stay(state);
  if (child(query, 'remove'))
    return authed ? account(state, iq, 'remove', state.username) : reject(state, iq, ctx, 'not-allowed', 'authenticate to cancel a registration');
  const username = child(query, 'username')?.getText() ?? '';
  const password = child(query, 'password')?.getText() ?? '';
  if (!username || !password) return reject(state, iq, ctx, 'bad-request', 'username and password are required');
  if (!passwordsAllowed(state, ctx)) return reject(state, iq, ctx, 'policy-violation', CLEAR_TEXT);
  if (!authed)
    return ctx.registrationOpen ? account(state, iq, 'register', username, password) : reject(state, iq, ctx, 'service-unavailable', 'registration is closed');
  return account(state, iq, 'passwd', state.username, password);
}

function form(state: C2sState, instructions: string | undefined): Element {
  if (state.username !== undefined) {
    return x('query', { xmlns: NS.REGISTER }, x('registered'), x('username', {}, state.username), x('password'));
  }
  return x('query', { xmlns: NS.REGISTER }, x('instructions', {}, instructions || 'Choose a username and password.'), x('username'), x('password'));
}

function onResult(state: C2sState, e: Extract<C2sEvent, { type: 'account-result' }>, ctx: C2sContext): Transition {
  const from = e.iq.attrs.to ?? ctx.domain;
  if (!e.ok) {
    const cond = e.condition && isStanzaErrorCondition(e.condition) ? e.condition : 'internal-server-error';
    return stay(state, send(errorReply(e.iq, new StanzaError(cond, e.text, e.errorType), from)));
  }
  if (e.op === 'form') {
    if (state.username === undefined && !e.open) return reject(state, e.iq, ctx, 'service-unavailable', 'registration is closed');
    return stay(state, send(iqResult(e.iq, form(state, e.instructions), e.iq.attrs.to)));
  }
  const reply = iqResult(e.iq, undefined, e.iq.attrs.to);
  // XEP-0077 §3.2: after cancelling, the account is gone; so is the stream.
  if (e.op === 'remove') return { state: { ...state, name: 'closed' }, actions: [send(reply), { type: 'close' }, { type: 'ended' }] };
  return stay(state, send(reply));
}

const iqStates = ['wait_for_feature_request', 'wait_for_session', 'session_established'] as const;

export const register: C2sModule = {
  name: 'register',
  spec: 'XEP-0077',
  preAuthFeatures: (ctx, state) =>
    ctx.registrationOpen && passwordsAllowed(state, ctx) && (state.secure || !ctx.requireEncryption) ? [x('register', { xmlns: NS.REGISTER_FEATURE })] : [],
  elements: [{ states: iqStates, name: 'iq', xmlns: NS.CLIENT, payloadNs: NS.REGISTER, handle: onIq }],
  results: { 'account-result': onResult },
};
