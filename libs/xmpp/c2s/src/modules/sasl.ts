// RFC 6120 §6: SASL negotiation. The edge relays payloads to the auth service
// (actions sasl-start/sasl-step/sasl-abort) and feeds back sasl-result.
// What a stream offers follows its security: -PLUS mechanisms (RFC 5802 §6) only
// where the connection has a channel binding, PLAIN and DIGEST-MD5 only over TLS
// unless allowPlaintextAuth says otherwise.
import { NS, x, type Element } from '@cx/xmpp-core';
import { fail, send, stay } from '../stream';
import type { C2sContext, C2sModule, C2sState, SaslResult, Transition } from '../types';

const SASL_CONDITIONS = new Set([
  'aborted',
  'account-disabled',
  'credentials-expired',
  'encryption-required',
  'incorrect-encoding',
  'invalid-authzid',
  'invalid-mechanism',
  'malformed-request',
  'mechanism-too-weak',
  'not-authorized',
  'temporary-auth-failure',
]);

/** Mechanisms that expose the password or its equivalent to a passive or active attacker without TLS. */
const NEED_TLS = new Set(['PLAIN', 'DIGEST-MD5']);

/** Passwords may be sent on this stream: it is encrypted, or plaintext authentication is allowed. */
export function passwordsAllowed(state: C2sState, ctx: C2sContext): boolean {
  return state.secure || ctx.allowPlaintextAuth === true;
}

/** The mechanisms this stream may use, in the auth service's order. */
export function usableMechanisms(ctx: C2sContext, state: C2sState): string[] {
  const bound = state.secure && (ctx.channelBindings?.length ?? 0) > 0;
  const weakOk = passwordsAllowed(state, ctx);
  return ctx.mechanisms.filter((m) => (m.endsWith('-PLUS') ? bound : weakOk || !NEED_TLS.has(m)));
}

/** Why a mechanism this stream may not use is refused: RFC 6120 §6.5.4 when TLS would allow it. */
function refusal(ctx: C2sContext, mechanism: string): string {
  return NEED_TLS.has(mechanism) && ctx.mechanisms.includes(mechanism) ? 'encryption-required' : 'invalid-mechanism';
}

export function saslFailure(condition: string, text?: string): Element {
  const cond = SASL_CONDITIONS.has(condition) ? condition : 'temporary-auth-failure';
  return x('failure', { xmlns: NS.SASL }, x(cond), text ? x('text', { 'xml:lang': 'en' }, text) : null);
}

/** RFC 6120 §6.4.2: base64 with '=' meaning empty; anything else malformed is incorrect-encoding. */
export function decodeSaslPayload(s: string): Buffer | null {
  const t = s.trim();
  if (t === '=') return Buffer.alloc(0);
  if (t.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(t)) return null;
  return Buffer.from(t, 'base64');
}

export function encodeSaslPayload(b: Buffer | undefined): string {
  return !b || b.length === 0 ? '=' : b.toString('base64');
}

/** Default bound on refused attempts per stream (ctx.maxAuthRefusals). */
export const DEFAULT_MAX_AUTH_REFUSALS = 10;

/**
 * A refused choice (a mechanism or binding type this stream cannot use): not a failed attempt in
 * the sense of RFC 6120 §6.4.5, so the client may go on to another mechanism, but bounded.
 */
function refuse(state: C2sState, ctx: C2sContext, failure: Element): Transition {
  const refusals = (state.authRefusals ?? 0) + 1;
  const next: C2sState = { ...state, name: 'wait_for_feature_request', mechanism: undefined, authRefusals: refusals };
  if (refusals <= (ctx.maxAuthRefusals ?? DEFAULT_MAX_AUTH_REFUSALS)) return stay(next, send(failure));
  const closed = fail(next, ctx, 'policy-violation', 'too many refused authentication attempts');
  return { state: closed.state, actions: [send(failure), ...closed.actions] };
}

function onAuth(state: C2sState, el: Element, ctx: C2sContext): Transition {
  if (ctx.requireEncryption && !state.secure) return refuse(state, ctx, saslFailure('encryption-required'));
  const mechanism = el.attrs.mechanism ?? '';
  if (!usableMechanisms(ctx, state).includes(mechanism)) return refuse(state, ctx, saslFailure(refusal(ctx, mechanism)));
  const body = el.getText();
  const initial = body === '' ? null : decodeSaslPayload(body);
  if (body !== '' && initial === null) return stay(state, send(saslFailure('incorrect-encoding')));
  return { state: { ...state, name: 'wait_for_sasl_response', mechanism }, actions: [{ type: 'sasl-start', mechanism, initial }] };
}

function onResponse(state: C2sState, el: Element): Transition {
  const data = decodeSaslPayload(el.getText() || '=');
  if (data === null) return abortWith(state, 'incorrect-encoding');
  return stay(state, { type: 'sasl-step', data });
}

function abortWith(state: C2sState, condition: string): Transition {
  return {
    state: { ...state, name: 'wait_for_feature_request', mechanism: undefined },
    actions: [{ type: 'sasl-abort' }, send(saslFailure(condition))],
  };
}

function onResult(state: C2sState, result: SaslResult, ctx: C2sContext): Transition {
  if (state.name !== 'wait_for_sasl_response') return stay(state);
  if (result.kind === 'challenge') return stay(state, send(x('challenge', { xmlns: NS.SASL }, encodeSaslPayload(result.data))));
  if (result.kind === 'success') {
    const success = x('success', { xmlns: NS.SASL }, result.data?.length ? result.data.toString('base64') : null);
    // RFC 6120 §6.4.6: the stream restarts; the client sends a new header.
    const next: C2sState = {
      ...state,
      name: 'wait_for_stream',
      opened: false,
      username: result.username,
      streamId: ctx.newStreamId(),
      authFailures: 0,
      authRefusals: 0,
    };
    return { state: next, actions: [send(success), { type: 'restart' }] };
  }
  // Not a failed attempt (RFC 6120 §6.4.5): nothing was decided about the client's credentials.
  if (result.reason === 'refused' || result.reason === 'unavailable') return refuse(state, ctx, saslFailure(result.condition, result.text));
  const failures = state.authFailures + 1;
  const next: C2sState = { ...state, name: 'wait_for_feature_request', mechanism: undefined, authFailures: failures };
  const sent = send(saslFailure(result.condition, result.text));
  if (failures >= ctx.maxAuthFailures) {
    const closed = fail(next, ctx, 'not-authorized', 'too many failed authentication attempts');
    return { state: closed.state, actions: [sent, ...closed.actions] };
  }
  return stay(next, sent);
}

function mechanismsFeature(ctx: C2sContext, state: C2sState): Element[] {
  const usable = usableMechanisms(ctx, state);
  if (usable.length === 0 || (ctx.requireEncryption && !state.secure)) return [];
  return [x('mechanisms', { xmlns: NS.SASL }, ...usable.map((m) => x('mechanism', {}, m)))];
}

export const sasl: C2sModule = {
  name: 'sasl',
  spec: 'RFC 6120 §6',
  preAuthFeatures: mechanismsFeature,
  elements: [
    { states: ['wait_for_feature_request'], name: 'auth', xmlns: NS.SASL, handle: onAuth },
    { states: ['wait_for_sasl_response'], name: 'response', xmlns: NS.SASL, handle: (s, el) => onResponse(s, el) },
    { states: ['wait_for_sasl_response'], name: 'abort', xmlns: NS.SASL, handle: (s) => abortWith(s, 'aborted') },
    {
      states: ['wait_for_sasl_response'],
      name: 'auth',
      xmlns: NS.SASL,
      handle: (s, _el, ctx) => fail(s, ctx, 'policy-violation', 'an exchange is already in progress'),
    },
  ],
  results: { 'sasl-result': (s, e, ctx) => onResult(s, e.result, ctx) },
};
