// XEP-0199 from the server's side: a bound client that has sent nothing for
// pingIntervalMs gets <iq type='get'><ping/></iq>; one still silent
// pingTimeoutMs after it is closed with connection-timeout (anything the
// client sends counts as an answer). The edge feeds 'liveness' about once a
// second with how long the client has been silent; the answer to our ping is
// ours and never reaches the router.
// And from the client's side: with the router's ping module enabled
// (ctx.answerPings), a ping to the server or to the client's own account is
// answered here, as ejabberd answers it in the c2s process: the one reply the
// router would give, without the round trip through it (every login of a
// client that pings after its initial presence made one). It is written once
// a router has confirmed what the client sent before it, as the router's
// answer would be: clients without stream management use a ping to learn
// that what they sent was taken.
import { iqResult, NS, x, type Element } from '@cx/xmpp-core';
import { fail, send, stay } from '../stream';
import { routeStanza } from './established';
import type { C2sContext, C2sEvent, C2sModule, C2sState, Transition } from '../types';

export const NS_PING = 'urn:xmpp:ping';

const bound = ['wait_for_session', 'session_established'] as const;

function isBound(state: C2sState): boolean {
  return state.name === 'session_established' || state.name === 'wait_for_session';
}

function onLiveness(state: C2sState, e: Extract<C2sEvent, { type: 'liveness' }>, ctx: C2sContext): Transition {
  const interval = ctx.pingIntervalMs ?? 0;
  if (interval <= 0 || !isBound(state)) return stay(state);
  const p = state.ping;
  // Unanswered: nothing heard since it was sent.
  if (p && e.now - e.idleMs < p.sentAt) {
    if (e.now - p.sentAt <= (ctx.pingTimeoutMs ?? 0)) return stay(state);
    const t = fail(state, ctx, 'connection-timeout', 'no answer to a ping');
    return { state: t.state, actions: [{ type: 'limit-hit', limit: 'ping-timeout' }, ...t.actions] };
  }
  if (e.idleMs < interval) return stay(state);
  const id = `c2s-ping-${e.seq.toString(36)}`;
  const ping = x('iq', { type: 'get', id, from: ctx.domain, to: state.jid as string }, x('ping', { xmlns: NS_PING }));
  return stay({ ...state, ping: { id, sentAt: e.now } }, send(ping));
}

/** A result or error with the id of our latest ping (late ones too): not routed. */
function isPingAnswer(state: C2sState, el: Element): boolean {
  const type = el.attrs.type;
  return state.ping !== undefined && el.attrs.id === state.ping.id && type !== 'get' && type !== 'set';
}

/** XEP-0199 §4.2/§4.3: a get with a single <ping/> to the server's domain, to the sender's bare JID, or with no 'to' (the account). */
function isPingToServer(el: Element, jid: string, ctx: C2sContext): boolean {
  if (el.attrs.type !== 'get') return false;
  const to = el.attrs.to;
  if (to !== undefined && to !== ctx.domain && to !== jid.slice(0, jid.indexOf('/'))) return false;
  const children = el.children.filter((c): c is Element => typeof c !== 'string');
  return children.length === 1 && children[0].name === 'ping' && children[0].attrs.xmlns === NS_PING;
}

function onIq(state: C2sState, el: Element, ctx: C2sContext): Transition {
  if (isPingAnswer(state, el)) return stay(state);
  const t = routeStanza(state, el, ctx);
  const [action] = t.actions;
  // routeStanza checked 'from' and the iq rules and stamped the full JID: the answer goes to it, from where it was sent.
  if (ctx.answerPings && t.actions.length === 1 && action.type === 'route' && isPingToServer(el, t.state.jid as string, ctx))
    return stay(t.state, { type: 'send-after-routed', el: iqResult(el) });
  return t;
}

export const ping: C2sModule = {
  name: 'ping',
  spec: 'XEP-0199',
  // Before `established`, which routes every other iq.
  elements: [{ states: bound, name: 'iq', xmlns: NS.CLIENT, handle: onIq }],
  results: { liveness: onLiveness },
};
