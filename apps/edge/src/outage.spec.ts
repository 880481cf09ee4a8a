import { describe, expect, it } from 'vitest';
import { parseElement } from '@cx/xml-stream';
import type { Element } from '@cx/xmpp-core';
import { outageReply } from './outage';

const el = (xml: string) => parseElement(xml) as Element;
const ME = 'juliet@example.com/balcony';

describe('outageReply', () => {
  it('answers a message or an iq request with internal-server-error of type wait, to the sender', () => {
    const r = outageReply(el(`<message to='romeo@example.com' id='m1' type='chat'><body>hi</body></message>`), ME)!;
    expect(r.attrs).toMatchObject({ type: 'error', id: 'm1', to: ME, from: 'romeo@example.com' });
    expect(r.getChild('body')?.text()).toBe('hi');
    const e = r.getChild('error')!;
    expect(e.attrs.type).toBe('wait');
    expect(e.getChild('internal-server-error', 'urn:ietf:params:xml:ns:xmpp-stanzas')).toBeDefined();
    expect(outageReply(el(`<iq type='get' id='q'><query xmlns='jabber:iq:roster'/></iq>`), ME)?.attrs.from).toBeUndefined();
  });
  it('stays silent for errors, results and presence other than subscriptions', () => {
    expect(outageReply(el(`<message type='error' id='e'/>`), ME)).toBeUndefined();
    expect(outageReply(el(`<iq type='result' id='r'/>`), ME)).toBeUndefined();
    expect(outageReply(el(`<presence/>`), ME)).toBeUndefined();
    expect(outageReply(el(`<presence type='subscribe' to='romeo@example.com'/>`), ME)?.attrs.type).toBe('error');
  });
});
