// RFC 6120 §8 and §7.x: stanzas from a bound session. The edge stamps 'from'
// with the full JID (§8.1.2.1), checks the iq rules (§8.2.3) and hands the
// stanza to the router.
import { errorReply, NS, StanzaError, type Element } from '@cx/xmpp-core';
import { fail, send, stay } from '../stream';
import type { C2sContext, C2sModule, C2sState, Transition } from '../types';

const IQ_TYPES = new Set(['get', 'set', 'result', 'error']);

function bare(jid: string): string {
  const slash = jid.indexOf('/');
  return slash < 0 ? jid : jid.slice(0, slash);
}

/** The iq must have an id, a known type, and get/set exactly one payload. */
function iqProblem(el: Element): string | undefined {
  const type = el.attrs.type ?? '';
  if (!IQ_TYPES.has(type)) return 'iq type must be get, set, result or error';
  if (!el.attrs.id) return 'iq must have an id';
  if (type === 'get' || type === 'set') {
    let n = 0;
    for (const c of el.children) if (typeof c !== 'string') n++;
    if (n !== 1) return 'iq get/set must have exactly one child element';
  }
  return undefined;
}

export function routeStanza(state: C2sState, el: Element, ctx: C2sContext): Transition {
  const jid = state.jid as string;
  const from = el.attrs.from;
  if (from !== undefined && from !== jid && from !== bare(jid)) return fail(state, ctx, 'invalid-from', `'from' must be ${jid}`);
  el.attrs.from = jid;
  const next: C2sState = state.name === 'session_established' ? state : { ...state, name: 'session_established' };
  if (el.name === 'iq') {
    const problem = iqProblem(el);
    if (problem) {
      if (el.attrs.type === 'error' || el.attrs.type === 'result') return stay(next);
      return stay(next, send(errorReply(el, new StanzaError('bad-request', problem), ctx.domain)));
    }
  }
  return stay(next, { type: 'route', el });
}

const states = ['wait_for_session', 'session_established'] as const;

export const established: C2sModule = {
  name: 'established',
  spec: 'RFC 6120 §8',
  elements: ['message', 'presence', 'iq'].map((name) => ({ states, name, xmlns: NS.CLIENT, handle: routeStanza })),
};
