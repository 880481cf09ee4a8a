// Shared by the c2s specs (not exported from the library): drive a machine
// through events and read what it sends.
import { parseElement } from '@cx/xml-stream';
import type { Element } from '@cx/xmpp-core';
import type { C2sMachine } from './machine';
import type { C2sAction, C2sContext, C2sEvent, C2sState } from './types';

export function el(xml: string): Element {
  const r = parseElement(xml);
  if ('error' in r) throw new Error(r.error);
  return r;
}

export const elem = (xml: string): C2sEvent => ({ type: 'element', el: el(xml) });

/** A context for localhost over plain TCP with PLAIN only, stream id 's', and what a spec sets. */
export function testContext(over: Partial<C2sContext> = {}): C2sContext {
  return {
    domain: 'localhost',
    mechanisms: ['PLAIN'],
    registrationOpen: false,
    maxAuthFailures: 3,
    newStreamId: () => 's',
    tls: false,
    requireEncryption: false,
    ...over,
  } as C2sContext;
}

/** Feed events in order; the final state and every action. */
export function runner(machine: C2sMachine, ctx: C2sContext) {
  return (state: C2sState, ...events: C2sEvent[]): { state: C2sState; actions: C2sAction[] } => {
    const actions: C2sAction[] = [];
    for (const e of events) {
      const t = machine.transition(state, e, ctx);
      state = t.state;
      actions.push(...t.actions);
    }
    return { state, actions };
  };
}

/** What the actions write, one string per send. */
export const sent = (actions: C2sAction[]) => actions.filter((a) => a.type === 'send').map((a) => String((a as { el: unknown }).el));
