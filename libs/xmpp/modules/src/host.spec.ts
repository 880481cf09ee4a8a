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
  it('XEP-0115 §6.2: disco#info on <caps node>#<ver> is the same answer with the node echoed; another node is item-not-found', async () => {
    const ask = (node?: string) => host.handleIq(el(`<iq type='get' id='d2' to='localhost' from='a@localhost/r'><query xmlns='http://jabber.org/protocol/disco#info'${node ? ` node='${node}'` : ''}/></iq>`), 'host', 'a@localhost/r');
    const caps = serverCaps('localhost');
    const plain = (await ask()).getChild('query') as Element;
    const onNode = (await ask(`${caps.node}#${caps.ver}`)).getChild('query') as Element;
    expect(onNode.attrs.node).toBe(`${caps.node}#${caps.ver}`);
    expect(onNode.children.map(String)).toEqual(plain.children.map(String));
    expect((await ask(`${caps.node}#not-the-ver`)).getChild('error')?.getChild('item-not-found')).toBeDefined();
  });
  it('advertises exactly what it serves: every handled namespace is a feature, every feature is handled or says who serves it', () => {
    const features = new Set(host.features());
    for (const m of serverModules) {
      const handled = new Set(Object.keys(m.handlers ?? {}).map((k) => k.slice(k.indexOf('/', k.indexOf('/') + 1) + 1, k.lastIndexOf(':'))));
      for (const ns of handled) expect(features, `${m.name} handles ${ns}`).toContain(ns);
      for (const f of m.features ?? []) if (!handled.has(f)) expect(m.servedBy, `${m.name} advertises ${f}`).toBeTruthy();
    }
    expect(features).toContain('jabber:iq:private');
  });
  it('the caps ver follows XEP-0115 §5.1 ordering (identities by category/type/lang, octet order, features once)', () => {
    const a = capsVer({ identities: [{ category: 'server', type: 'im', name: 'z' }, { category: 'client', type: 'pc', name: 'a' }], features: ['b', 'a', 'B', 'a'] });
    const b = capsVer({ identities: [{ category: 'client', type: 'pc', name: 'a' }, { category: 'server', type: 'im', name: 'z' }], features: ['B', 'a', 'b'] });
    expect(a).toBe(b);
  });
  it('answers an unknown namespace with service-unavailable', async () => {
    const r = await host.handleIq(el(`<iq type='get' id='v' to='localhost' from='a@localhost/r'><query xmlns='jabber:iq:nothing'/></iq>`), 'host', 'a@localhost/r');
    expect(r.toString()).toBe(`<iq type="error" id="v" to="a@localhost/r" from="localhost"><query xmlns="jabber:iq:nothing"/><error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`);
  });
});
