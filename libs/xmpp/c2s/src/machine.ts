// The c2s state machine, pure: (state, event) → (state, actions). It owns the
// stream itself (open, restart, close, errors); everything else is a module
// (sasl, register, bind, session, caps, routing) found through one dispatch
// table, so adding a feature does not touch this file. States are ejabberd's.
import { NS, type Element } from '@cx/xmpp-core';
import { fail, features, send, stay, streamHeader } from './stream';
import type { C2sContext, C2sEvent, C2sModule, C2sState, C2sStateName, ElementRoute, Transition } from './types';

export interface C2sMachine {
  initial(ctx: C2sContext, secure?: boolean): C2sState;
  transition(state: C2sState, event: C2sEvent, ctx: C2sContext): Transition;
}

export function createMachine(modules: readonly C2sModule[]): C2sMachine {
  const routes = routeTable(modules);
  const results = new Map<string, NonNullable<C2sModule['results']>[keyof NonNullable<C2sModule['results']>]>();
  for (const m of modules) for (const [type, h] of Object.entries(m.results ?? {})) results.set(type, h);

  function onElement(state: C2sState, el: Element, ctx: C2sContext): Transition {
    const payloadNs = el.name === 'iq' ? firstChildNs(el) : undefined;
    for (const r of routes.get(state.name) ?? []) {
      if (r.name !== el.name) continue;
      if (r.xmlns !== undefined && (el.attrs.xmlns ?? NS.CLIENT) !== r.xmlns) continue;
      if (r.payloadNs !== undefined && r.payloadNs !== payloadNs) continue;
      return r.handle(state, el, ctx);
    }
    return unhandled(state, el, ctx);
  }

  return {
    initial: (ctx, secure = false) => ({ name: 'wait_for_stream', streamId: ctx.newStreamId(), opened: false, lang: 'en', authFailures: 0, secure }),
    transition(state, event, ctx) {
      if (state.name === 'closed') return stay(state);
      switch (event.type) {
        case 'stream-open':
          return onStreamOpen(state, event.name, event.attrs, ctx, modules);
        case 'element':
          if (state.name === 'wait_for_stream') return fail(state, ctx, 'not-well-formed', 'stream header expected');
          return onElement(state, event.el, ctx);
        case 'stream-close':
          return { state: { ...state, name: 'closed' }, actions: [{ type: 'close' }, { type: 'ended' }] };
        case 'parse-error':
          return fail(state, ctx, event.condition, event.text);
        case 'kick':
          return fail(state, ctx, event.condition, event.text);
        case 'socket-closed':
          return { state: { ...state, name: 'closed' }, actions: [{ type: 'ended' }] };
        default: {
          const h = results.get(event.type) as ((s: C2sState, e: C2sEvent, c: C2sContext) => Transition) | undefined;
          return h ? h(state, event, ctx) : stay(state);
        }
      }
    },
  };
}

function routeTable(modules: readonly C2sModule[]): Map<C2sStateName, ElementRoute[]> {
  const table = new Map<C2sStateName, ElementRoute[]>();
  for (const m of modules) {
    for (const r of m.elements ?? []) for (const s of r.states) table.set(s, [...(table.get(s) ?? []), r]);
  }
  return table;
}

function firstChildNs(el: Element): string | undefined {
  for (const c of el.children) if (typeof c !== 'string') return c.attrs.xmlns;
  return undefined;
}

/** RFC 6120 §4.7: check the client's header, answer with ours and the features. */
function onStreamOpen(state: C2sState, name: string, attrs: Record<string, string>, ctx: C2sContext, modules: readonly C2sModule[]): Transition {
  if (state.name !== 'wait_for_stream') return fail(state, ctx, 'not-well-formed', 'unexpected stream header');
  const next: C2sState = { ...state, lang: attrs['xml:lang'] || 'en', peer: attrs.from || undefined };
  if (!name.endsWith(':stream') && name !== 'stream') return fail(next, ctx, 'invalid-namespace', 'the root element must be stream');
  if ((attrs.xmlns ?? '') !== NS.CLIENT) return fail(next, ctx, 'invalid-namespace', `default namespace must be ${NS.CLIENT}`);
  const to = (attrs.to ?? '').toLowerCase().replace(/\.$/, '');
  if (to && to !== ctx.domain) return fail(next, ctx, 'host-unknown', `this server does not serve ${attrs.to}`);
  const major = Number((attrs.version ?? '0.9').split('.')[0]);
  if (!(major >= 1)) return fail(next, ctx, 'unsupported-version', 'XMPP 1.0 streams only');
  const opened: C2sState = { ...next, opened: true, name: next.username ? 'wait_for_bind' : 'wait_for_feature_request' };
  return stay(opened, send(streamHeader(opened, ctx) + features(opened, ctx, modules)));
}

/** Anything no module claims in this state. */
function unhandled(state: C2sState, el: Element, ctx: C2sContext): Transition {
  const ns = el.attrs.xmlns ?? NS.CLIENT;
  const isStanza = ns === NS.CLIENT && (el.name === 'message' || el.name === 'presence' || el.name === 'iq');
  if (state.username === undefined) return fail(state, ctx, 'not-authorized', 'authenticate first');
  if (state.jid === undefined && isStanza) return fail(state, ctx, 'not-authorized', 'bind a resource first');
  if (ns !== NS.CLIENT && isTopLevelStanzaName(el.name)) return fail(state, ctx, 'invalid-namespace', `stanzas must be in ${NS.CLIENT}`);
  return fail(state, ctx, 'unsupported-stanza-type', `<${el.name}/> in ${ns} is not supported here`);
}

function isTopLevelStanzaName(name: string): boolean {
  return name === 'message' || name === 'presence' || name === 'iq';
}
