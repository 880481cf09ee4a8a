import { describe, expect, it } from 'vitest';
import { parseElement } from '@cx/xml-stream';
import type { Element } from '@cx/xmpp-core';
import { serverCaps, serverModules, ModuleHost, capsVer } from './index';

const host = new ModuleHost('localhost', serverModules);
const el = (s: string) => parseElement(s) as Element;

describe('server modules', () => {
  it('answers a ping to the server with an empty result', async () => {
    const r = await host.handleIq(el(`<iq type='get' id='p1' to='localhost' from='a@localhost/r'><ping xmlns='urn:xmpp:ping'/></iq>`), 'host', 'a@localhost/r');
    expect(r.toString()).toBe(`<iq type="result" id="p1" to="a@localhost/r" from="localhost"/>`);
  });
  it('answers disco#info consistently with the caps hash', async () => {
    const r = await host.handleIq(el(`<iq type='get' id='d1' to='localhost' from='a@localhost/r'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`), 'host', 'a@localhost/r');
    const q = r.getChild('query', 'http://jabber.org/protocol/disco#info') as Element;
    const identities = q.getChildren('identity').map((i) => ({ category: i.attrs.category, type: i.attrs.type, name: i.attrs.name }));
    const features = q.getChildren('feature').map((f) => f.attrs.var);
    expect(identities).toEqual([{ category: 'server', type: 'im', name: 'cloud-xmpp' }]);
    expect(features).toContain('urn:xmpp:ping');
    expect(features).toContain('jabber:iq:register');
    expect(capsVer({ identities, features })).toBe(serverCaps('localhost').ver);
  });
  it('answers an unknown namespace with service-unavailable', async () => {
    const r = await host.handleIq(el(`<iq type='get' id='v' to='localhost' from='a@localhost/r'><query xmlns='jabber:iq:nothing'/></iq>`), 'host', 'a@localhost/r');
    expect(r.toString()).toBe(`<iq type="error" id="v" to="a@localhost/r" from="localhost"><query xmlns="jabber:iq:nothing"/><error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`);
  });
});
