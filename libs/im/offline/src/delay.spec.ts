// XEP-0203 §3 stamps on stored messages.
import { describe, expect, it } from 'vitest';
import { isParseError, parseElement } from '@cx/xml-stream';
import { x, type Element } from '@cx/xmpp-core';
import { serializeWithDelay } from './delay';

function parse(xml: string): Element {
  const r = parseElement(xml);
  if (isParseError(r)) throw new Error(r.text);
  return r;
}

describe('serializeWithDelay', () => {
  it('appends one delay with the domain and a UTC stamp, leaving the element alone', () => {
    const msg = x('message', { to: 'juliet@localhost', type: 'chat' }, x('body', {}, 'hi'));
    const before = msg.toString();
    const out = parse(serializeWithDelay(msg, 'localhost', new Date(Date.UTC(2002, 8, 10, 23, 8, 25))));
    expect(msg.toString()).toBe(before);
    const delays = out.getChildren('delay', 'urn:xmpp:delay');
    expect(delays).toHaveLength(1);
    expect(delays[0]!.attrs).toEqual({ xmlns: 'urn:xmpp:delay', from: 'localhost', stamp: '2002-09-10T23:08:25.000Z' });
    expect(out.getChildText('body')).toBe('hi');
    expect(out.attrs).toEqual({ to: 'juliet@localhost', type: 'chat' });
  });

  it('keeps an existing delay and adds none', () => {
    const xml = `<message><body>hi</body><delay xmlns='urn:xmpp:delay' from='other' stamp='2001-01-01T00:00:00Z'/></message>`;
    const out = parse(serializeWithDelay(parse(xml), 'localhost'));
    const delays = out.getChildren('delay', 'urn:xmpp:delay');
    expect(delays).toHaveLength(1);
    expect(delays[0]!.attrs.from).toBe('other');
  });

  it('does not mistake a legacy jabber:x:delay for a XEP-0203 one', () => {
    const xml = `<message><body>hi</body><x xmlns='jabber:x:delay' stamp='20010101T00:00:00'/></message>`;
    const out = parse(serializeWithDelay(parse(xml), 'localhost'));
    expect(out.getChildren('delay', 'urn:xmpp:delay')).toHaveLength(1);
  });
});
