// RFC 6120 §6.4.5 per stream: failed attempts close the stream after maxAuthFailures, but a
// refused choice (a channel-binding type or mechanism this stream cannot use) is not a failed
// attempt: the client goes on to another mechanism on the same stream, as slixmpp does.
import { describe, expect, it } from 'vitest';
import { createMachine } from './machine';
import { defaultModules } from './modules';
import { elem, runner, sent } from './spec-helpers';
import type { C2sContext, C2sEvent, C2sState } from './types';

const ctx: C2sContext = {
  domain: 'localhost',
  mechanisms: ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-1-PLUS', 'SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN'],
  registrationOpen: false,
  maxAuthFailures: 3,
  maxAuthRefusals: 4,
  newStreamId: () => 's1',
  tls: true,
  requireEncryption: false,
  channelBindings: ['tls-exporter'],
};
const machine = createMachine(defaultModules);
const run = runner(machine, ctx);
const open: C2sEvent = { type: 'stream-open', name: 'stream:stream', attrs: { xmlns: 'jabber:client', to: 'localhost', version: '1.0' } };
const start = (mechanism: string) => elem(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='${mechanism}'>biwsbj11LHI9YQ==</auth>`);
const refused: C2sEvent = {
  type: 'sasl-result',
  result: { kind: 'failure', condition: 'not-authorized', text: 'channel binding type tls-unique is not available here', reason: 'refused' },
};
const wrong: C2sEvent = { type: 'sasl-result', result: { kind: 'failure', condition: 'not-authorized', reason: 'credentials', username: 'u' } };
const ok: C2sEvent = { type: 'sasl-result', result: { kind: 'success', username: 'u' } };

function opened(): C2sState {
  return run(machine.initial(ctx, true), open).state;
}

describe('per-stream SASL retries', () => {
  it('slixmpp on TLS 1.3: two -PLUS refusals and two "y" refusals, then PLAIN succeeds on the same stream', () => {
    const r = run(
      opened(),
      start('SCRAM-SHA-256-PLUS'),
      refused,
      start('SCRAM-SHA-1-PLUS'),
      refused,
      start('SCRAM-SHA-256'),
      refused,
      start('SCRAM-SHA-1'),
      refused,
      start('PLAIN'),
      ok,
    );
    expect(r.state.username).toBe('u');
    expect(r.actions.some((a) => a.type === 'close')).toBe(false);
  });

  it('refusals do not use up the retries for a mistyped password', () => {
    const r = run(opened(), start('SCRAM-SHA-256-PLUS'), refused, start('SCRAM-SHA-256'), wrong, start('SCRAM-SHA-256'), wrong, start('SCRAM-SHA-256'), ok);
    expect(r.state.username).toBe('u');
  });

  it('an auth service that did not answer is not a failed attempt: retries during an outage are bounded by maxAuthRefusals only', () => {
    const down: C2sEvent = { type: 'sasl-result', result: { kind: 'failure', condition: 'temporary-auth-failure', reason: 'unavailable' } };
    const r = run(opened(), start('PLAIN'), down, start('PLAIN'), down, start('PLAIN'), down, start('PLAIN'), ok);
    expect(r.state.username).toBe('u');
    expect(sent(run(opened(), start('PLAIN'), down).actions).join('')).toContain('<temporary-auth-failure');
  });

  it('closes the stream after maxAuthFailures failed attempts', () => {
    const r = run(opened(), start('PLAIN'), wrong, start('PLAIN'), wrong, start('PLAIN'), wrong);
    expect(r.state.name).toBe('closed');
    expect(sent(r.actions).join('')).toContain('too many failed authentication attempts');
  });

  it('bounds refusals too (maxAuthRefusals), counting mechanisms the stream cannot use', () => {
    const s = run(opened(), start('SCRAM-SHA-256-PLUS'), refused, start('X-NONE'), start('SCRAM-SHA-1-PLUS'), refused, start('X-NONE')).state;
    expect(s.name).toBe('wait_for_feature_request');
    const r = run(s, start('X-NONE'));
    expect(r.state.name).toBe('closed');
    expect(sent(r.actions).join('')).toContain('<policy-violation');
  });
});
