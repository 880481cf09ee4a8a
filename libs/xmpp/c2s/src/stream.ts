// RFC 6120 §4: stream headers, features and closing with a stream error.
import { NS, StreamError, x, type Element, type StreamErrorCondition } from '@cx/xmpp-core';
import type { C2sAction, C2sContext, C2sModule, C2sState, Transition } from './types';

/** Our response stream header (RFC 6120 §4.7): unique id, from, version, xml:lang, to. */
export function streamHeader(state: C2sState, ctx: C2sContext): string {
  const to = state.peer ? ` to='${escapeAttr(state.peer)}'` : '';
  return (
    `<?xml version='1.0'?><stream:stream xmlns='${NS.CLIENT}' xmlns:stream='${NS.STREAMS}'` +
    ` id='${state.streamId}' from='${escapeAttr(ctx.domain)}'${to} version='1.0' xml:lang='${escapeAttr(state.lang)}'>`
  );
}

export function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/'/g, '&apos;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
}

export function featuresElement(state: C2sState, ctx: C2sContext, modules: readonly C2sModule[]): Element {
  const authed = state.username !== undefined;
  const children = modules.flatMap((m) => (authed ? m.postAuthFeatures?.(ctx) : m.preAuthFeatures?.(ctx, state)) ?? []);
  return x('stream:features', {}, ...children);
}

/** The features depend only on the context and the phase: serialize them once per change of either. */
const featuresCache = new WeakMap<C2sContext, { key: string; xml: string[] }>();

export function features(state: C2sState, ctx: C2sContext, modules: readonly C2sModule[]): string {
  const key = `${ctx.mechanisms.join(' ')}|${ctx.registrationOpen}|${ctx.caps?.ver ?? ''}|${ctx.tls}|${ctx.requireEncryption}|${ctx.allowPlaintextAuth}|${ctx.channelBindings}|${ctx.streamManagement}`;
  let c = featuresCache.get(ctx);
  if (!c || c.key !== key) {
    const variant = (username: string | undefined, secure: boolean) => featuresElement({ ...state, username, secure }, ctx, modules).toString();
    featuresCache.set(ctx, (c = { key, xml: [variant(undefined, false), variant(undefined, true), variant('', false), variant('', true)] }));
  }
  return c.xml[(state.username === undefined ? 0 : 2) + (state.secure ? 1 : 0)];
}

/** Close the stream with a stream error; our header goes first if it was not sent (RFC 6120 §4.9.1.1). */
export function fail(state: C2sState, ctx: C2sContext, condition: StreamErrorCondition, text?: string): Transition {
  const actions: C2sAction[] = [];
  if (!state.opened && state.name !== 'closed') actions.push({ type: 'send', el: streamHeader(state, ctx) });
  actions.push({ type: 'send', el: new StreamError(condition, text).toElement() }, { type: 'close', condition, text }, { type: 'ended' });
  return { state: { ...state, name: 'closed', opened: true }, actions };
}

export function stay(state: C2sState, ...actions: C2sAction[]): Transition {
  return { state, actions };
}

export function send(el: Element | string): C2sAction {
  return { type: 'send', el };
}
