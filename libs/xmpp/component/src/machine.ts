// The external component stream (XEP-0114, jabber:component:accept) as data:
// the edge feeds in parser events and carries out the actions returned. No
// I/O happens here. States: wait_for_stream → wait_for_handshake →
// established → closed.
import { errorReply, NS, StanzaError, StreamError, tryParseJid, type Element, type StreamErrorCondition } from '@cx/xmpp-core';
import { handshakeMatches } from './handshake';

export const NS_COMPONENT = 'jabber:component:accept';

export type ComponentStateName = 'wait_for_stream' | 'wait_for_handshake' | 'established' | 'closed';

export interface ComponentState {
  readonly name: ComponentStateName;
  readonly streamId: string;
  /** Our stream header was sent. */
  readonly opened: boolean;
  /** The component's domain (its stream's 'to'), once known. */
  readonly domain?: string;
}

export interface ComponentContext {
  /** component domain → shared secret (COMPONENTS). */
  readonly secrets: ReadonlyMap<string, string>;
  newStreamId(): string;
}

export type ComponentEvent =
  | { type: 'stream-open'; name: string; attrs: Record<string, string> }
  | { type: 'element'; el: Element }
  | { type: 'stream-close' }
  | { type: 'parse-error'; condition: StreamErrorCondition; text?: string }
  | { type: 'kick'; condition: StreamErrorCondition; text?: string }
  | { type: 'socket-closed' };

export type ComponentAction =
  | { type: 'send'; el: Element | string }
  /** Write </stream:stream> and close the socket. */
  | { type: 'close' }
  /** The handshake succeeded: the component serves `domain` from now on. */
  | { type: 'established'; domain: string }
  /** A stanza from the component, its 'from' checked (stamped with the domain when absent). */
  | { type: 'route'; el: Element }
  /** A handshake that failed (a metric, a log line). */
  | { type: 'refused'; condition: StreamErrorCondition; domain?: string }
  | { type: 'ended' };

export interface ComponentTransition {
  state: ComponentState;
  actions: ComponentAction[];
}

export function initialComponentState(ctx: ComponentContext): ComponentState {
  return { name: 'wait_for_stream', streamId: ctx.newStreamId(), opened: false };
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/'/g, '&apos;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
}

/** XEP-0114 §3 Example 2: the server's header names the component's domain and carries the stream id. */
export function componentHeader(state: ComponentState): string {
  const from = state.domain ? ` from='${escapeAttr(state.domain)}'` : '';
  return `<?xml version='1.0'?><stream:stream xmlns:stream='${NS.STREAMS}' xmlns='${NS_COMPONENT}'${from} id='${state.streamId}'>`;
}

function fail(state: ComponentState, condition: StreamErrorCondition, text?: string, ...extra: ComponentAction[]): ComponentTransition {
  const actions: ComponentAction[] = [];
  if (!state.opened && state.name !== 'closed') actions.push({ type: 'send', el: componentHeader(state) });
  actions.push(...extra, { type: 'send', el: new StreamError(condition, text).toElement() }, { type: 'close' }, { type: 'ended' });
  return { state: { ...state, name: 'closed', opened: true }, actions };
}

const STANZAS = new Set(['message', 'presence', 'iq']);

/** Is `from` the component's domain or an address in it (user@domain[/resource])? */
export function fromComponent(from: string, domain: string): boolean {
  const jid = tryParseJid(from);
  return !!jid && jid.domain === domain;
}

function streamOpen(state: ComponentState, ev: { name: string; attrs: Record<string, string> }, ctx: ComponentContext): ComponentTransition {
  if (ev.attrs.xmlns !== NS_COMPONENT) return fail(state, 'invalid-namespace', `the stream's namespace must be ${NS_COMPONENT}`);
  const domain = (ev.attrs.to ?? '').toLowerCase();
  if (!ctx.secrets.has(domain))
    return fail(state, 'host-unknown', 'no component is configured for this domain', { type: 'refused', condition: 'host-unknown' });
  const next: ComponentState = { ...state, name: 'wait_for_handshake', domain, opened: true };
  return { state: next, actions: [{ type: 'send', el: componentHeader(next) }] };
}

function handshake(state: ComponentState, el: Element, ctx: ComponentContext): ComponentTransition {
  const domain = state.domain as string;
  if (el.name !== 'handshake') return fail(state, 'not-authorized', 'the handshake comes first', { type: 'refused', condition: 'not-authorized', domain });
  if (!handshakeMatches(el.getText(), state.streamId, ctx.secrets.get(domain) ?? '')) {
    return fail(state, 'not-authorized', undefined, { type: 'refused', condition: 'not-authorized', domain });
  }
  return {
    state: { ...state, name: 'established' },
    actions: [
      { type: 'send', el: '<handshake/>' },
      { type: 'established', domain },
    ],
  };
}

/** A stanza of the established component: its 'from' must be in its domain (XEP-0114 §3, RFC 6120 §4.9.3.9); it needs a 'to'. */
function stanza(state: ComponentState, el: Element): ComponentTransition {
  const domain = state.domain as string;
  if (el.name === 'handshake') return { state, actions: [] };
  if (!STANZAS.has(el.name)) return fail(state, 'unsupported-stanza-type', `<${el.name}/> is not a stanza`);
  if (el.attrs.xmlns === NS_COMPONENT) delete el.attrs.xmlns;
  const from = el.attrs.from;
  if (from === undefined || from === '')
    el.attrs.from = domain; // as Prosody does: the component's own address
  else if (!fromComponent(from, domain)) return fail(state, 'invalid-from', `'from' must be ${domain} or an address in it`);
  if (!el.attrs.to) {
    if (el.attrs.type === 'error' || el.attrs.type === 'result') return { state, actions: [] };
    const reply = errorReply(el, new StanzaError('bad-request', "a component's stanzas need a 'to'"));
    reply.attrs.to = el.attrs.from;
    delete reply.attrs.from;
    return { state, actions: [{ type: 'send', el: reply }] };
  }
  return { state, actions: [{ type: 'route', el }] };
}

export function componentTransition(state: ComponentState, ev: ComponentEvent, ctx: ComponentContext): ComponentTransition {
  if (state.name === 'closed') return { state, actions: [] };
  switch (ev.type) {
    case 'stream-open':
      if (state.name !== 'wait_for_stream') return fail(state, 'bad-format', 'a second stream header');
      return streamOpen(state, ev, ctx);
    case 'element':
      if (state.name === 'wait_for_stream') return fail(state, 'bad-format');
      return state.name === 'wait_for_handshake' ? handshake(state, ev.el, ctx) : stanza(state, ev.el);
    case 'stream-close':
      return { state: { ...state, name: 'closed' }, actions: [{ type: 'close' }, { type: 'ended' }] };
    case 'parse-error':
    case 'kick':
      return fail(state, ev.condition, ev.text);
    case 'socket-closed':
      return { state: { ...state, name: 'closed' }, actions: [{ type: 'ended' }] };
  }
}
