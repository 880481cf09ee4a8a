// XEP-0199 server pings as machine events: when a ping goes out, when the
// stream is closed for silence, and that the answer is not routed.
import { describe, expect, it } from 'vitest';
import { createMachine } from '../machine';
import { elem, runner, sent, testContext } from '../spec-helpers';
import { defaultModules } from './index';
import type { C2sContext, C2sEvent, C2sState } from '../types';

const ctx = testContext({ pingIntervalMs: 240_000, pingTimeoutMs: 30_000 });
const machine = createMachine(defaultModules);
const run = runner(machine, ctx);
const bound: C2sState = {
  name: 'session_established',
  streamId: 's',
  opened: true,
  lang: 'en',
  authFailures: 0,
  secure: false,
  username: 'juliet',
  jid: 'juliet@localhost/balcony',
};
const tick = (now: number, idleMs: number, seq = 1): C2sEvent => ({ type: 'liveness', now, idleMs, seq });
const T = 1_000_000;

describe('XEP-0199 server pings', () => {
  it('pings a bound client silent for the interval, and only then', () => {
    expect(run(bound, tick(T, 239_999)).actions).toEqual([]);
    const r = run(bound, tick(T, 240_000, 35));
    expect(sent(r.actions)).toEqual([`<iq type="get" id="c2s-ping-z" from="localhost" to="juliet@localhost/balcony"><ping xmlns="urn:xmpp:ping"/></iq>`]);
    expect(r.state.ping).toEqual({ id: 'c2s-ping-z', sentAt: T });
  });

  it('never pings before binding or when pings are off', () => {
    for (const name of ['wait_for_bind', 'wait_for_feature_request'] as const)
      expect(run({ ...bound, name, jid: undefined }, tick(T, 10 ** 9)).actions).toEqual([]);
    expect(machine.transition(bound, tick(T, 10 ** 9), { ...ctx, pingIntervalMs: 0 } as C2sContext).actions).toEqual([]);
  });

  it('closes with connection-timeout a client silent for the timeout after the ping', () => {
    const pinged = run(bound, tick(T, 240_000)).state;
    expect(run(pinged, tick(T + 30_000, 270_000)).actions).toEqual([]);
    const r = run(pinged, tick(T + 30_001, 270_001));
    expect(r.state.name).toBe('closed');
    expect(r.actions[0]).toEqual({ type: 'limit-hit', limit: 'ping-timeout' });
    expect(sent(r.actions)[0]).toContain('<connection-timeout');
    expect(r.actions.slice(-2)).toEqual([{ type: 'close', condition: 'connection-timeout', text: 'no answer to a ping' }, { type: 'ended' }]);
  });

  it('counts anything heard after the ping as the answer, and pings again after another silent interval', () => {
    const pinged = run(bound, tick(T, 240_000)).state;
    // Heard 1 s after the ping: no timeout, and no new ping until silent for the interval again.
    expect(run(pinged, tick(T + 60_000, 59_000)).actions).toEqual([]);
    const again = run(pinged, tick(T + 241_000, 240_000, 2));
    expect(again.state.ping).toEqual({ id: 'c2s-ping-2', sentAt: T + 241_000 });
  });

  it('keeps the answer to our ping (even a late one) from the router, and routes other iqs', () => {
    const pinged = run(bound, tick(T, 240_000, 7)).state;
    expect(run(pinged, elem(`<iq type='result' id='c2s-ping-7'/>`)).actions).toEqual([]);
    expect(run(pinged, elem(`<iq type='error' id='c2s-ping-7'/>`)).actions).toEqual([]);
    const later = run(pinged, tick(T + 10_000, 1_000)).state;
    expect(run(later, elem(`<iq type='result' id='c2s-ping-7'/>`)).actions).toEqual([]);
    for (const xml of [`<iq type='get' id='c2s-ping-7'><ping xmlns='urn:xmpp:ping'/></iq>`, `<iq type='result' id='other'/>`]) {
      const r = run(pinged, elem(xml));
      expect(r.actions.map((a) => a.type)).toEqual(['route']);
    }
    expect(run(bound, elem(`<iq type='result' id='c2s-ping-7'/>`)).actions.map((a) => a.type)).toEqual(['route']);
  });
});

describe("XEP-0199 client pings with the router's ping module enabled", () => {
  const answering = runner(machine, { ...ctx, answerPings: true } as C2sContext);
  const types = (xml: string, run_ = answering) => run_(bound, elem(xml)).actions.map((a) => a.type);
  // The answer waits for what the client sent before it to be routed.
  const answered = (xml: string) => answering(bound, elem(xml)).actions.map((a) => (a.type === 'send-after-routed' ? a.el.toString() : a.type));

  it('answers a ping to the server, to the account and with no to here, from where it was sent, once what came before is routed', () => {
    expect(answered(`<iq type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`)).toEqual([
      `<iq type="result" id="p1" to="juliet@localhost/balcony" from="localhost"/>`,
    ]);
    expect(answered(`<iq type='get' id='p2' to='juliet@localhost'><ping xmlns='urn:xmpp:ping'/></iq>`)).toEqual([
      `<iq type="result" id="p2" to="juliet@localhost/balcony" from="juliet@localhost"/>`,
    ]);
    expect(answered(`<iq type='get' id='p3'><ping xmlns='urn:xmpp:ping'/></iq>`)).toEqual([`<iq type="result" id="p3" to="juliet@localhost/balcony"/>`]);
  });

  it('routes pings to anyone else, other payloads, sets, and everything when the module is off', () => {
    expect(types(`<iq type='get' id='p' to='romeo@localhost'><ping xmlns='urn:xmpp:ping'/></iq>`)).toEqual(['route']);
    expect(types(`<iq type='get' id='p' to='juliet@localhost/other'><ping xmlns='urn:xmpp:ping'/></iq>`)).toEqual(['route']);
    expect(types(`<iq type='get' id='p' to='localhost'><query xmlns='jabber:iq:version'/></iq>`)).toEqual(['route']);
    expect(types(`<iq type='set' id='p' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`)).toEqual(['route']);
    expect(types(`<iq type='get' id='p' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`, run)).toEqual(['route']);
  });

  it('still checks from and the iq rules first', () => {
    const r = answering(bound, elem(`<iq type='get' id='p' from='romeo@localhost/x' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`));
    expect(r.state.name).toBe('closed');
    expect(sent(answering(bound, elem(`<iq type='get' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`)).actions)[0]).toContain('bad-request');
  });
});
