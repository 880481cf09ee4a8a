import { describe, expect, it } from 'vitest';
import { x, type Element } from '@cx/xmpp-core';
import {
  componentTransition,
  handshakeDigest,
  handshakeMatches,
  initialComponentState,
  NS_COMPONENT,
  parseComponents,
  type ComponentAction,
  type ComponentState,
} from './index';

const ctx = { secrets: new Map([['bot.example.com', 's3cret']]), newStreamId: () => '3BF96D32' };
const OPEN = {
  type: 'stream-open' as const,
  name: 'stream:stream',
  attrs: { xmlns: NS_COMPONENT, 'xmlns:stream': 'http://etherx.jabber.org/streams', to: 'bot.example.com' },
};

function run(events: Parameters<typeof componentTransition>[1][]): { state: ComponentState; actions: ComponentAction[] } {
  let state = initialComponentState(ctx);
  const actions: ComponentAction[] = [];
  for (const ev of events) {
    const t = componentTransition(state, ev, ctx);
    state = t.state;
    actions.push(...t.actions);
  }
  return { state, actions };
}

const sent = (actions: ComponentAction[]) => actions.flatMap((a) => (a.type === 'send' ? [a.el.toString()] : []));
const handshakeEl = (text: string) => ({ type: 'element' as const, el: x('handshake', {}, text) });
const established = [OPEN, handshakeEl(handshakeDigest('3BF96D32', 's3cret'))];

describe('handshake digest (XEP-0114 §3)', () => {
  it('is the lowercase hex SHA-1 of stream id + secret (Example 3)', () => {
    expect(handshakeDigest('3BF96D32', 'test')).toBe('aaee83c26aeeafcbabeabfcbcd50df997e0a2a1e');
  });
  it('accepts upper-case hex and surrounding white space, refuses anything else', () => {
    expect(handshakeMatches(' AAEE83C26AEEAFCBABEABFCBCD50DF997E0A2A1E\n', '3BF96D32', 'test')).toBe(true);
    expect(handshakeMatches('aaee83c26aeeafcbabeabfcbcd50df997e0a2a1f', '3BF96D32', 'test')).toBe(false);
    expect(handshakeMatches('', '3BF96D32', 'test')).toBe(false);
    expect(handshakeMatches(handshakeDigest('3BF96D32', 'test'), '3BF96D33', 'test')).toBe(false);
  });
});

describe('component stream', () => {
  it('answers the header with the domain and a stream id, and <handshake/> on the right digest', () => {
    const { state, actions } = run(established);
    expect(state.name).toBe('established');
    const out = sent(actions);
    expect(out[0]).toContain(`xmlns='${NS_COMPONENT}'`);
    expect(out[0]).toContain("from='bot.example.com' id='3BF96D32'");
    expect(out[1]).toBe('<handshake/>');
    expect(actions).toContainEqual({ type: 'established', domain: 'bot.example.com' });
  });

  it('closes with not-authorized on a wrong digest', () => {
    const { state, actions } = run([OPEN, handshakeEl(handshakeDigest('3BF96D32', 'wrong'))]);
    expect(state.name).toBe('closed');
    expect(sent(actions).join('')).toContain('<not-authorized');
    expect(actions.map((a) => a.type)).toEqual(['send', 'refused', 'send', 'close', 'ended']);
  });

  it('closes with not-authorized when a stanza comes before the handshake', () => {
    const { actions } = run([OPEN, { type: 'element', el: x('message', { to: 'a@example.com' }) }]);
    expect(sent(actions).join('')).toContain('<not-authorized');
    expect(actions.some((a) => a.type === 'route')).toBe(false);
  });

  it('answers host-unknown for a domain not configured, with its header first', () => {
    const { actions } = run([{ ...OPEN, attrs: { ...OPEN.attrs, to: 'other.example.com' } }]);
    const out = sent(actions);
    expect(out[0]).toContain('<stream:stream');
    expect(out[1]).toContain('<host-unknown');
  });

  it('refuses a stream in another namespace with invalid-namespace', () => {
    const { actions } = run([{ ...OPEN, attrs: { ...OPEN.attrs, xmlns: 'jabber:client' } }]);
    expect(sent(actions).join('')).toContain('<invalid-namespace');
  });

  it("routes stanzas from the domain or its users, stamping 'from' when absent", () => {
    const stanzas: Element[] = [
      x('message', { from: 'bot.example.com', to: 'juliet@example.com' }),
      x('message', { from: 'room@bot.example.com/nick', to: 'juliet@example.com' }),
      x('iq', { to: 'juliet@example.com/balcony', type: 'get', id: '1' }),
    ];
    const { actions } = run([...established, ...stanzas.map((el) => ({ type: 'element' as const, el }))]);
    const routed = actions.flatMap((a) => (a.type === 'route' ? [a.el.attrs.from] : []));
    expect(routed).toEqual(['bot.example.com', 'room@bot.example.com/nick', 'bot.example.com']);
  });

  it("closes with invalid-from when 'from' is outside its domain", () => {
    for (const from of ['juliet@example.com', 'example.com', 'a@sub.bot.example.com', '@@']) {
      const { state, actions } = run([...established, { type: 'element', el: x('message', { from, to: 'romeo@example.com' }) }]);
      expect(state.name).toBe('closed');
      expect(sent(actions).join('')).toContain('<invalid-from');
      expect(actions.some((a) => a.type === 'route')).toBe(false);
    }
  });

  it("answers bad-request to a stanza without 'to'", () => {
    const { state, actions } = run([...established, { type: 'element', el: x('iq', { type: 'get', id: 'q' }) }]);
    expect(state.name).toBe('established');
    expect(sent(actions).at(-1)).toContain('<bad-request');
  });

  it('ends on the stream end and on a kick (conflict)', () => {
    expect(run([...established, { type: 'stream-close' }]).actions.map((a) => a.type)).toContain('close');
    const kicked = run([...established, { type: 'kick', condition: 'conflict' }]);
    expect(kicked.state.name).toBe('closed');
    expect(sent(kicked.actions).join('')).toContain('<conflict');
  });
});

describe('COMPONENTS', () => {
  it('reads domain=secret items; a bare name is a subdomain of the server', () => {
    expect([...parseComponents(['bot.localhost=s3cret', 'irc=a=b'], 'localhost')]).toEqual([
      ['bot.localhost', 's3cret'],
      ['irc.localhost', 'a=b'],
    ]);
  });
  it('names the item at fault without its secret', () => {
    expect(() => parseComponents(['=hidden'], 'localhost')).toThrow(/""/);
    expect(() => parseComponents(['bot.localhost'], 'localhost')).toThrow(/bot\.localhost/);
    expect(() => parseComponents(['example.com=x'], 'example.com')).toThrow(/own domain/);
    try {
      parseComponents(['=hidden'], 'localhost');
    } catch (err) {
      expect((err as Error).message).not.toContain('hidden');
    }
  });
});
