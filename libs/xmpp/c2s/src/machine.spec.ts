// The c2s machine as a table: (state, input) → (state, output), no sockets.
import { describe, expect, it } from 'vitest';
import type { Element } from '@cx/xmpp-core';
import { createMachine } from './machine';
import { elem, runner, sent } from './spec-helpers';
import { defaultModules } from './modules';
import type { C2sContext, C2sEvent, C2sState } from './types';

let ids = 0;
const ctx: C2sContext = {
  domain: 'localhost',
  mechanisms: ['SCRAM-SHA-1', 'PLAIN'],
  registrationOpen: true,
  maxAuthFailures: 3,
  caps: { node: 'https://example.org', ver: 'abc=', hash: 'sha-1' },
  newStreamId: () => `s${++ids}`,
  tls: false,
  requireEncryption: false,
  allowPlaintextAuth: true, // these tables use PLAIN on a plain stream; sasl-policy.spec.ts covers the default
};
const machine = createMachine(defaultModules);
const open = {
  type: 'stream-open',
  name: 'stream:stream',
  attrs: { xmlns: 'jabber:client', 'xmlns:stream': 'http://etherx.jabber.org/streams', to: 'localhost', version: '1.0' },
} as const;

const run = runner(machine, ctx);
/** The stream header and the features go out in one write. */
const split = (out: string) => [out.slice(0, out.indexOf('<stream:features')), out.slice(out.indexOf('<stream:features'))];

function authed(): C2sState {
  const s0 = machine.initial(ctx);
  return run(s0, open, elem(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldABwdw==</auth>`), {
    type: 'sasl-result',
    result: { kind: 'success', username: 'juliet' },
  }).state;
}

describe('c2s machine', () => {
  it('answers a stream header with ours and the pre-auth features', () => {
    const { state, actions } = run(machine.initial(ctx), open);
    expect(state.name).toBe('wait_for_feature_request');
    const [header, features] = split(sent(actions)[0]);
    expect(header).toMatch(
      /^<\?xml version='1.0'\?><stream:stream xmlns='jabber:client' xmlns:stream='http:\/\/etherx.jabber.org\/streams' id='s\d+' from='localhost' version='1.0' xml:lang='en'>$/,
    );
    expect(features).toContain('<mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism>');
    expect(features).toContain(`<register xmlns="http://jabber.org/features/iq-register"/>`);
    expect(features).toContain(`<c xmlns="http://jabber.org/protocol/caps" hash="sha-1" node="https://example.org" ver="abc="/>`);
    expect(features).not.toContain('bind');
  });

  it('rejects a wrong namespace, an unknown host and an old version with their stream errors, header first', () => {
    for (const [attrs, cond] of [
      [{ ...open.attrs, xmlns: 'jabber:server' }, 'invalid-namespace'],
      [{ ...open.attrs, to: 'example.net' }, 'host-unknown'],
      [{ ...open.attrs, version: '0.9' }, 'unsupported-version'],
    ] as const) {
      const { state, actions } = run(machine.initial(ctx), { ...open, attrs });
      expect(state.name).toBe('closed');
      const out = sent(actions);
      expect(out[0]).toMatch(/^<\?xml/);
      expect(out[1]).toBe(
        `<stream:error><${cond} xmlns="urn:ietf:params:xml:ns:xmpp-streams"/><text xmlns="urn:ietf:params:xml:ns:xmpp-streams" xml:lang="en">${textOf(out[1])}</text></stream:error>`,
      );
      expect(actions.some((a) => a.type === 'close' && a.condition === cond)).toBe(true);
    }
  });

  it('closes with not-authorized for a stanza before authentication', () => {
    const { state, actions } = run(machine.initial(ctx), open, elem(`<message to='a@localhost'><body>x</body></message>`));
    expect(state.name).toBe('closed');
    expect(sent(actions).at(-1)).toContain('<not-authorized xmlns="urn:ietf:params:xml:ns:xmpp-streams"/>');
  });

  it('relays SASL and restarts the stream on success', () => {
    let r = run(machine.initial(ctx), open, elem(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>biwsbj11c2VyLHI9YWJj</auth>`));
    expect(r.state.name).toBe('wait_for_sasl_response');
    expect(r.actions.at(-1)).toEqual({ type: 'sasl-start', mechanism: 'SCRAM-SHA-1', initial: Buffer.from('n,,n=user,r=abc') });
    r = run(r.state, { type: 'sasl-result', result: { kind: 'challenge', data: Buffer.from('r=abcdef,s=c2FsdA==,i=4096') } });
    expect(sent(r.actions)).toEqual([
      `<challenge xmlns="urn:ietf:params:xml:ns:xmpp-sasl">${Buffer.from('r=abcdef,s=c2FsdA==,i=4096').toString('base64')}</challenge>`,
    ]);
    r = run(r.state, elem(`<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>Yz1iaXdz</response>`));
    expect(r.actions).toEqual([{ type: 'sasl-step', data: Buffer.from('c=biws') }]);
    r = run(r.state, { type: 'sasl-result', result: { kind: 'success', username: 'user', data: Buffer.from('v=xyz') } });
    expect(r.state).toMatchObject({ name: 'wait_for_stream', username: 'user', opened: false });
    expect(sent(r.actions)).toEqual([`<success xmlns="urn:ietf:params:xml:ns:xmpp-sasl">${Buffer.from('v=xyz').toString('base64')}</success>`]);
    expect(r.actions.at(-1)).toEqual({ type: 'restart' });
  });

  it('answers an unknown mechanism and bad base64 with SASL failures, and allows retries up to the limit', () => {
    let r = run(machine.initial(ctx), open, elem(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='X-FOO'/>`));
    expect(sent(r.actions).at(-1)).toBe(`<failure xmlns="urn:ietf:params:xml:ns:xmpp-sasl"><invalid-mechanism/></failure>`);
    r = run(r.state, elem(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>!!!</auth>`));
    expect(sent(r.actions)).toEqual([`<failure xmlns="urn:ietf:params:xml:ns:xmpp-sasl"><incorrect-encoding/></failure>`]);
    const plain = elem(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AHUAcA==</auth>`);
    const failure: C2sEvent = { type: 'sasl-result', result: { kind: 'failure', condition: 'not-authorized' } };
    r = run(r.state, plain, failure, plain, failure);
    expect(r.state.name).toBe('wait_for_feature_request');
    r = run(r.state, plain, failure);
    expect(r.state.name).toBe('closed');
    expect(sent(r.actions).at(-1)).toContain('<not-authorized xmlns="urn:ietf:params:xml:ns:xmpp-streams"/>');
  });

  it('binds, opens a session and stamps stanzas with the full JID', () => {
    let r = run(authed(), open);
    expect(r.state.name).toBe('wait_for_bind');
    const features = split(sent(r.actions)[0])[1];
    expect(features).toContain(`<bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"/>`);
    expect(features).toContain(`<session xmlns="urn:ietf:params:xml:ns:xmpp-session"><optional/></session>`);
    expect(features).toContain(`<csi xmlns="urn:xmpp:csi:0"/>`);
    expect(features).not.toContain('urn:xmpp:sm');
    expect(features).not.toContain('mechanisms');
    r = run(r.state, elem(`<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>Balcony</resource></bind></iq>`));
    expect(r.actions[0]).toMatchObject({ type: 'bind', resource: 'Balcony' });
    const iq = (r.actions[0] as { iq: Element }).iq;
    r = run(r.state, { type: 'bind-result', iq, jid: 'juliet@localhost/Balcony' });
    expect(sent(r.actions)).toEqual([
      `<iq type="result" id="b1"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"><jid>juliet@localhost/Balcony</jid></bind></iq>`,
    ]);
    r = run(r.state, elem(`<iq type='set' id='s1'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>`));
    expect(r.state.name).toBe('session_established');
    expect(sent(r.actions)).toEqual([`<iq type="result" id="s1" from="localhost" to="juliet@localhost/Balcony"/>`]);
    r = run(r.state, elem(`<iq type='set' id='b2'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>`));
    expect(sent(r.actions)[0]).toContain('<not-allowed xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>');
    r = run(r.state, elem(`<message to='romeo@localhost' type='chat'><body>hi</body></message>`));
    expect(r.actions).toHaveLength(1);
    expect(String((r.actions[0] as { el: Element }).el)).toBe(
      `<message to="romeo@localhost" type="chat" from="juliet@localhost/Balcony"><body>hi</body></message>`,
    );
  });

  it('with registration closed: no feature, and the form is service-unavailable', () => {
    const closed = { ...ctx, registrationOpen: false };
    let t = machine.transition(machine.initial(closed), open, closed);
    expect(split(sent(t.actions)[0])[1]).toMatch(/^<stream:features>/);
    expect(sent(t.actions)[0]).not.toContain('iq-register');
    t = machine.transition(t.state, elem(`<iq type='get' id='r'><query xmlns='jabber:iq:register'/></iq>`), closed);
    expect(sent(t.actions)[0]).toContain('<service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>');
    t = machine.transition(
      t.state,
      elem(`<iq type='set' id='r'><query xmlns='jabber:iq:register'><username>a</username><password>b</password></query></iq>`),
      closed,
    );
    expect(t.actions.some((a) => a.type === 'account')).toBe(false);
    expect(sent(t.actions)[0]).toContain('<service-unavailable');
  });

  it('STARTTLS (RFC 6120 §5): required before SASL and registration when the policy says so', () => {
    const tctx = { ...ctx, tls: true, requireEncryption: true };
    let t = machine.transition(machine.initial(tctx), open, tctx);
    const features = split(sent(t.actions)[0])[1];
    expect(features).toContain(`<starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"><required/></starttls>`);
    expect(features).not.toContain('mechanisms');
    expect(features).not.toContain('iq-register');
    t = machine.transition(t.state, elem(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AHUAcA==</auth>`), tctx);
    expect(sent(t.actions)).toEqual([`<failure xmlns="urn:ietf:params:xml:ns:xmpp-sasl"><encryption-required/></failure>`]);
    t = machine.transition(t.state, elem(`<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`), tctx);
    expect(sent(t.actions)).toEqual([`<proceed xmlns="urn:ietf:params:xml:ns:xmpp-tls"/>`]);
    expect(t.actions.at(-1)).toEqual({ type: 'starttls' });
    expect(t.state).toMatchObject({ name: 'wait_for_stream', secure: true, opened: false });
    t = machine.transition(t.state, open, tctx);
    const after = split(sent(t.actions)[0])[1];
    expect(after).toContain('<mechanism>PLAIN</mechanism>');
    expect(after).not.toContain('starttls');
    t = machine.transition(t.state, elem(`<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`), tctx);
    expect(sent(t.actions)[0]).toBe(`<failure xmlns="urn:ietf:params:xml:ns:xmpp-tls"/>`);
    expect(t.state.name).toBe('closed');
  });

  it('refuses a spoofed from, and an iq without exactly one payload', () => {
    const base = run(authed(), open).state;
    const bound = { ...base, name: 'session_established', jid: 'juliet@localhost/r' } as const;
    let r = run(bound, elem(`<iq type='get' id='x'/>`));
    expect(sent(r.actions)[0]).toContain('<bad-request xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>');
    r = run(bound, elem(`<message from='romeo@localhost/x' to='a@localhost'/>`));
    expect(r.state.name).toBe('closed');
    expect(sent(r.actions).at(-1)).toContain('<invalid-from');
  });
});

function textOf(s: string): string {
  return /<text[^>]*>([^<]*)<\/text>/.exec(s)?.[1] ?? '';
}
