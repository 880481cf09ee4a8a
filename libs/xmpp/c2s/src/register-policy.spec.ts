// XEP-0077 carries a password, so it follows PLAIN's policy (allowPlaintextAuth): on a stream
// without TLS, registration and password change are refused with policy-violation and
// in-band registration is not advertised; over TLS (or with the setting on) they work.
import { describe, expect, it } from 'vitest';
import { createMachine } from './machine';
import { defaultModules } from './modules';
import { elem, runner, sent } from './spec-helpers';
import type { C2sContext, C2sEvent, C2sState } from './types';

const ctx: C2sContext = {
  domain: 'localhost',
  mechanisms: ['SCRAM-SHA-256', 'PLAIN'],
  registrationOpen: true,
  maxAuthFailures: 3,
  newStreamId: () => 's1',
  tls: true,
  requireEncryption: false,
};
const machine = createMachine(defaultModules);
const open: C2sEvent = { type: 'stream-open', name: 'stream:stream', attrs: { xmlns: 'jabber:client', to: 'localhost', version: '1.0' } };
const registerIq = elem(`<iq type='set' id='r1'><query xmlns='jabber:iq:register'><username>eve</username><password>secret</password></query></iq>`);
const formIq = elem(`<iq type='get' id='f1'><query xmlns='jabber:iq:register'/></iq>`);

function start(c: C2sContext, secure: boolean): { state: C2sState; features: string } {
  const r = runner(machine, c)(machine.initial(c, secure), open);
  return { state: r.state, features: sent(r.actions).join('') };
}

describe('registration and password change follow the plaintext policy', () => {
  it('without TLS: not advertised; the form and a registration get policy-violation, and nothing is registered', () => {
    const { state, features } = start(ctx, false);
    expect(features).not.toContain('http://jabber.org/features/iq-register');
    for (const iq of [formIq, registerIq]) {
      const r = runner(machine, ctx)(state, iq);
      expect(r.actions.some((a) => a.type === 'account')).toBe(false);
      expect(sent(r.actions).join('')).toMatch(/<policy-violation[^>]*\/><text[^>]*>encrypt the stream/);
    }
  });

  it('without TLS, an authenticated password change gets policy-violation', () => {
    const bound: C2sState = { ...start(ctx, false).state, name: 'session_established', username: 'eve', jid: 'eve@localhost/r' };
    const r = runner(machine, ctx)(
      bound,
      elem(`<iq type='set' id='p1'><query xmlns='jabber:iq:register'><username>eve</username><password>new</password></query></iq>`),
    );
    expect(r.actions.some((a) => a.type === 'account')).toBe(false);
    expect(sent(r.actions).join('')).toContain('<policy-violation');
  });

  it('over TLS, or with allowPlaintextAuth, registration is advertised and goes to auth', () => {
    for (const [c, secure] of [
      [ctx, true],
      [{ ...ctx, allowPlaintextAuth: true }, false],
    ] as const) {
      const { state, features } = start(c, secure);
      expect(features).toContain('http://jabber.org/features/iq-register');
      const r = runner(machine, c)(state, registerIq);
      expect(r.actions.find((a) => a.type === 'account')).toMatchObject({ op: 'register', username: 'eve', password: 'secret' });
    }
  });
});
