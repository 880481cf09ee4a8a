// XEP-0198 in the c2s machine: when enable, resume, <r/> and <a/> are allowed
// and what the edge is asked to do.
import { describe, expect, it } from 'vitest';
import { createMachine } from '../machine';
import { elem, runner, sent, testContext } from '../spec-helpers';
import { defaultModules } from './index';
import type { C2sContext, C2sState } from '../types';

const ctx = testContext({ allowPlaintextAuth: true, streamManagement: true });
const machine = createMachine(defaultModules);
const run = runner(machine, ctx);
const SM = "xmlns='urn:xmpp:sm:3'";
const authed: C2sState = { name: 'wait_for_bind', streamId: 's', opened: true, lang: 'en', authFailures: 0, secure: false, username: 'juliet' };
const bound: C2sState = { ...authed, name: 'session_established', jid: 'juliet@localhost/balcony' };

describe('XEP-0198 stream management', () => {
  it('is advertised after authentication only when the edge offers it', () => {
    const open = { type: 'stream-open', name: 'stream:stream', attrs: { xmlns: 'jabber:client', version: '1.0' } } as const;
    const withSm = machine.transition({ ...authed, opened: false, name: 'wait_for_stream' }, open, ctx);
    expect(sent(withSm.actions)[0]).toContain(`<sm ${SM.replace(/'/g, '"')}/>`);
    const without = machine.transition({ ...authed, opened: false, name: 'wait_for_stream' }, open, {
      ...ctx,
      streamManagement: false,
      newStreamId: () => 't',
    } as C2sContext);
    expect(sent(without.actions)[0]).not.toContain('urn:xmpp:sm:3');
  });

  it('enables after binding, once', () => {
    const r = run(bound, elem(`<enable ${SM} resume='true' max='600'/>`));
    expect(r.actions).toEqual([{ type: 'sm-enable', resume: true, max: 600 }]);
    expect(r.state.sm).toBe(true);
    const again = run(r.state, elem(`<enable ${SM}/>`));
    expect(sent(again.actions)[0]).toMatch(/<failed xmlns="urn:xmpp:sm:3"><unexpected-request/);
  });

  it('refuses enable before binding (§3) and resume after binding', () => {
    expect(sent(run(authed, elem(`<enable ${SM}/>`)).actions)[0]).toMatch(/unexpected-request/);
    expect(sent(run(bound, elem(`<resume ${SM} previd='x' h='0'/>`)).actions)[0]).toMatch(/unexpected-request/);
  });

  it('resumes instead of binding, and is established with the old JID', () => {
    const r = run(authed, elem(`<resume ${SM} previd='abc' h='7'/>`));
    expect(r.actions).toEqual([{ type: 'sm-resume', previd: 'abc', h: 7 }]);
    const done = run(r.state, { type: 'sm-resumed', jid: 'juliet@localhost/balcony' });
    expect(done.state).toMatchObject({ name: 'session_established', jid: 'juliet@localhost/balcony', sm: true });
  });

  it('passes <r/> and <a/> on only while enabled, and refuses a malformed h', () => {
    expect(run(bound, elem(`<r ${SM}/>`)).actions).toEqual([]);
    const on = { ...bound, sm: true };
    expect(run(on, elem(`<r ${SM}/>`)).actions).toEqual([{ type: 'sm-request' }]);
    expect(run(on, elem(`<a ${SM} h='4294967295'/>`)).actions).toEqual([{ type: 'sm-ack', h: 4294967295 }]);
    const bad = run(on, elem(`<a ${SM} h='-1'/>`));
    expect(sent(bad.actions).join('')).toMatch(/bad-format/);
    expect(bad.state.name).toBe('closed');
  });
});
