// What a stream offers follows its security: -PLUS mechanisms and the XEP-0440 list only with a
// channel binding on a TLS stream, PLAIN and DIGEST-MD5 only over TLS unless allowPlaintextAuth;
// a mechanism the stream may not use is refused (RFC 6120 §6.5.4 encryption-required, §6.5.5).
import { describe, expect, it } from 'vitest';
import { parseElement } from '@cx/xml-stream';
import { createMachine } from './machine';
import { defaultModules } from './modules';
import type { C2sAction, C2sContext, C2sEvent } from './types';

const base: C2sContext = {
  domain: 'localhost',
  mechanisms: ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-1-PLUS', 'SCRAM-SHA-256', 'SCRAM-SHA-1', 'DIGEST-MD5', 'PLAIN'],
  registrationOpen: false,
  maxAuthFailures: 3,
  newStreamId: () => 's1',
  tls: true,
  requireEncryption: false,
};
const machine = createMachine(defaultModules);
const open: C2sEvent = { type: 'stream-open', name: 'stream:stream', attrs: { xmlns: 'jabber:client', to: 'localhost', version: '1.0' } };

function element(xml: string): C2sEvent {
  const el = parseElement(xml);
  if ('error' in el) throw new Error(el.error);
  return { type: 'element', el };
}
const sent = (actions: C2sAction[]) =>
  actions
    .filter((a) => a.type === 'send')
    .map((a) => String((a as { el: unknown }).el))
    .join('');

function features(ctx: C2sContext, secure: boolean): { mechanisms: string[]; cb: string | undefined } {
  const out = sent(machine.transition(machine.initial(ctx, secure), open, ctx).actions);
  const mechanisms = [...out.matchAll(/<mechanism>([^<]+)<\/mechanism>/g)].map((m) => m[1] as string);
  return { mechanisms, cb: /<sasl-channel-binding[^]*?<\/sasl-channel-binding>/.exec(out)?.[0] };
}

function auth(ctx: C2sContext, secure: boolean, mechanism: string): string {
  const s = machine.transition(machine.initial(ctx, secure), open, ctx).state;
  const t = machine.transition(s, element(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='${mechanism}'>=</auth>`), ctx);
  return t.actions[0]?.type === 'sasl-start' ? 'started' : sent(t.actions);
}

describe('SASL offer by stream security', () => {
  it('on a plain stream: no -PLUS, no PLAIN or DIGEST-MD5, no channel-binding list', () => {
    expect(features(base, false)).toEqual({ mechanisms: ['SCRAM-SHA-256', 'SCRAM-SHA-1'], cb: undefined });
  });

  it('with allowPlaintextAuth: PLAIN and DIGEST-MD5 on a plain stream too', () => {
    expect(features({ ...base, allowPlaintextAuth: true }, false).mechanisms).toEqual(['SCRAM-SHA-256', 'SCRAM-SHA-1', 'DIGEST-MD5', 'PLAIN']);
  });

  it('on TLS with channel bindings: everything, and XEP-0440 lists the types', () => {
    const f = features({ ...base, channelBindings: ['tls-exporter', 'tls-server-end-point'] }, true);
    expect(f.mechanisms).toEqual(base.mechanisms);
    expect(f.cb).toBe(
      `<sasl-channel-binding xmlns="urn:xmpp:sasl-cb:0"><channel-binding type="tls-exporter"/><channel-binding type="tls-server-end-point"/></sasl-channel-binding>`,
    );
  });

  it('on TLS 1.2 (tls-server-end-point only) the list has that one type', () => {
    expect(features({ ...base, channelBindings: ['tls-server-end-point'] }, true).cb).toBe(
      `<sasl-channel-binding xmlns="urn:xmpp:sasl-cb:0"><channel-binding type="tls-server-end-point"/></sasl-channel-binding>`,
    );
  });

  it('on TLS without a binding: no -PLUS and no list', () => {
    expect(features(base, true)).toEqual({ mechanisms: ['SCRAM-SHA-256', 'SCRAM-SHA-1', 'DIGEST-MD5', 'PLAIN'], cb: undefined });
  });

  it('no list when the backend offers no -PLUS mechanism', () => {
    expect(features({ ...base, mechanisms: ['PLAIN'], channelBindings: ['tls-exporter'] }, true)).toEqual({ mechanisms: ['PLAIN'], cb: undefined });
  });
});

describe('SASL refusals by stream security', () => {
  it('PLAIN or DIGEST-MD5 on a plain stream: encryption-required, and no exchange starts', () => {
    for (const m of ['PLAIN', 'DIGEST-MD5']) expect(auth(base, false, m)).toContain('<encryption-required/>');
    expect(auth({ ...base, allowPlaintextAuth: true }, false, 'PLAIN')).toBe('started');
    expect(auth(base, true, 'PLAIN')).toBe('started');
  });

  it('-PLUS without a binding: invalid-mechanism', () => {
    expect(auth(base, false, 'SCRAM-SHA-256-PLUS')).toContain('<invalid-mechanism/>');
    expect(auth(base, true, 'SCRAM-SHA-1-PLUS')).toContain('<invalid-mechanism/>');
    expect(auth({ ...base, channelBindings: ['tls-exporter'] }, true, 'SCRAM-SHA-1-PLUS')).toBe('started');
  });
});
