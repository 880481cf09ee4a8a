// XEP-0198 Stream Management (urn:xmpp:sm:3): enable after binding, resume
// instead of binding, and the <r/>/<a/> exchange. The counting and the
// unacknowledged queue belong to the edge (actions sm-*); this module decides
// what is allowed when and answers what is wrong.
import { x, type Element } from '@cx/xmpp-core';
import { fail, send, stay } from '../stream';
import type { C2sContext, C2sModule, C2sState, Transition } from '../types';

export const NS_SM = 'urn:xmpp:sm:3';
const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

/** <failed/> with a stanza error condition (XEP-0198 §3, §5), and the server's h and a detail element when given. */
export function smFailed(condition: string, h?: number, detail?: Element): Element {
  const attrs: Record<string, string> = { xmlns: NS_SM };
  if (h !== undefined) attrs.h = String(h);
  return x('failed', attrs, x(condition, { xmlns: STANZAS }), detail ?? null);
}

function parseCount(s: string | undefined): number | undefined {
  if (s === undefined || !/^\d{1,10}$/.test(s)) return undefined;
  const n = Number(s);
  return n < 2 ** 32 ? n : undefined;
}

function onEnable(state: C2sState, el: Element): Transition {
  if (state.jid === undefined || state.sm) return stay(state, send(smFailed('unexpected-request')));
  const resume = el.attrs.resume === 'true' || el.attrs.resume === '1';
  const max = parseCount(el.attrs.max);
  return stay({ ...state, sm: true }, { type: 'sm-enable', resume, max: max || undefined });
}

function onResume(state: C2sState, el: Element, ctx: C2sContext): Transition {
  const h = parseCount(el.attrs.h);
  if (h === undefined || !el.attrs.previd) return fail(state, ctx, 'bad-format', "<resume/> needs 'previd' and a numeric 'h'");
  return stay(state, { type: 'sm-resume', previd: el.attrs.previd, h });
}

function onAck(state: C2sState, el: Element, ctx: C2sContext): Transition {
  if (!state.sm) return stay(state);
  const h = parseCount(el.attrs.h);
  if (h === undefined) return fail(state, ctx, 'bad-format', "<a/> needs a numeric 'h'");
  return stay(state, { type: 'sm-ack', h });
}

const bound = ['wait_for_session', 'session_established'] as const;

export const sm: C2sModule = {
  name: 'sm',
  spec: 'XEP-0198',
  postAuthFeatures: (ctx) => (ctx.streamManagement ? [x('sm', { xmlns: NS_SM })] : []),
  elements: [
    {
      states: bound,
      name: 'enable',
      xmlns: NS_SM,
      handle: (s, el, ctx) => (ctx.streamManagement ? onEnable(s, el) : stay(s, send(smFailed('feature-not-implemented')))),
    },
    // §3: enabling before a resource is bound is an error.
    { states: ['wait_for_bind'], name: 'enable', xmlns: NS_SM, handle: (s) => stay(s, send(smFailed('unexpected-request'))) },
    {
      states: ['wait_for_bind'],
      name: 'resume',
      xmlns: NS_SM,
      handle: (s, el, ctx) => (ctx.streamManagement ? onResume(s, el, ctx) : stay(s, send(smFailed('feature-not-implemented')))),
    },
    { states: bound, name: 'resume', xmlns: NS_SM, handle: (s) => stay(s, send(smFailed('unexpected-request'))) },
    { states: bound, name: 'r', xmlns: NS_SM, handle: (s) => (s.sm ? stay(s, { type: 'sm-request' }) : stay(s)) },
    { states: bound, name: 'a', xmlns: NS_SM, handle: onAck },
  ],
  results: {
    'sm-resumed': (s, e) => stay({ ...s, name: 'session_established', jid: e.jid, sm: true }),
    'sm-enable-failed': (s) => stay({ ...s, sm: false }),
  },
};
