import { describe, expect, it } from 'vitest';
import { parseElement } from '@cx/xml-stream';
import { x, type Element } from '@cx/xmpp-core';
import {
  serverCaps,
  serverModules,
  ModuleHost,
  capsVer,
  PASS,
  REPLIED,
  NS_PUBSUB,
  PEP_FEATURES,
  BOOKMARK_COMPAT_PEP,
  BOOKMARK_CONVERSION,
  AVATAR_CONVERSION,
} from './index';

const host = new ModuleHost('localhost', serverModules);
const el = (s: string) => parseElement(s) as Element;

describe('server modules', () => {
  it('answers a ping to the server with an empty result', async () => {
    const r = await host.handleIq(el(`<iq type='get' id='p1' to='localhost' from='a@localhost/r'><ping xmlns='urn:xmpp:ping'/></iq>`), 'host', 'a@localhost/r');
    expect(r.toString()).toBe(`<iq type="result" id="p1" to="a@localhost/r" from="localhost"/>`);
  });
  it('answers disco#info consistently with the caps hash', async () => {
    const r = await host.handleIq(
      el(`<iq type='get' id='d1' to='localhost' from='a@localhost/r'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`),
      'host',
      'a@localhost/r',
    );
    const q = r.getChild('query', 'http://jabber.org/protocol/disco#info') as Element;
    const identities = q.getChildren('identity').map((i) => ({ category: i.attrs.category, type: i.attrs.type, name: i.attrs.name }));
    const features = q.getChildren('feature').map((f) => f.attrs.var);
    expect(identities).toEqual([{ category: 'server', type: 'im', name: 'cloud-xmpp' }]);
    expect(features).toContain('urn:xmpp:ping');
    expect(features).toContain('jabber:iq:register');
    expect(capsVer({ identities, features })).toBe(serverCaps('localhost').ver);
  });
  it('XEP-0115 §6.2: disco#info on <caps node>#<ver> is the same answer with the node echoed; another node is item-not-found', async () => {
    const ask = (node?: string) =>
      host.handleIq(
        el(
          `<iq type='get' id='d2' to='localhost' from='a@localhost/r'><query xmlns='http://jabber.org/protocol/disco#info'${node ? ` node='${node}'` : ''}/></iq>`,
        ),
        'host',
        'a@localhost/r',
      );
    const caps = serverCaps('localhost');
    const plain = (await ask()).getChild('query') as Element;
    const onNode = (await ask(`${caps.node}#${caps.ver}`)).getChild('query') as Element;
    expect(onNode.attrs.node).toBe(`${caps.node}#${caps.ver}`);
    expect(onNode.children.map(String)).toEqual(plain.children.map(String));
    expect((await ask(`${caps.node}#not-the-ver`)).getChild('error')?.getChild('item-not-found')).toBeDefined();
  });
  it("advertises exactly what it serves: every handled namespace is a feature; a feature not handled here is the edge's or the router's", () => {
    const features = new Set(host.features());
    const routerServed: string[] = [];
    for (const m of serverModules) {
      const handled = new Set(Object.keys(m.handlers ?? {}).map((k) => k.slice(k.indexOf('/', k.indexOf('/') + 1) + 1, k.lastIndexOf(':'))));
      for (const ns of handled) expect(features, `${m.name} handles ${ns}`).toContain(ns);
      for (const f of m.features ?? []) if (!handled.has(f) && !m.servedBy) routerServed.push(m.name);
    }
    // The router refuses to start one of these unless its module gives it handlers or hooks (apps/router/src/modules).
    expect(routerServed.sort()).toEqual(['blocking', 'carbons', 'extdisco', 'offline']);
    expect(features).toContain('jabber:iq:private');
  });
  it("an account's disco#info lists what the modules answer for another account's bare JID", async () => {
    const r = await host.handleIq(
      el(`<iq type='get' id='a1' to='b@localhost' from='a@localhost/r'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`),
      'self',
      'a@localhost/r',
    );
    const q = r?.getChild('query') as Element;
    expect(q.getChildren('identity').map((i) => `${i.attrs.category}/${i.attrs.type}`)).toEqual(['account/registered', 'pubsub/pep']);
    // PEP's (XEP-0163) are served by the router's pep module, MAM's by its mam module.
    expect(q.getChildren('feature').map((f) => f.attrs.var)).toEqual(
      [
        'http://jabber.org/protocol/disco#info',
        'http://jabber.org/protocol/disco#items',
        'jabber:iq:last',
        'vcard-temp',
        'urn:xmpp:mam:2',
        'urn:xmpp:sid:0',
        NS_PUBSUB,
        ...PEP_FEATURES,
        BOOKMARK_COMPAT_PEP,
        ...BOOKMARK_CONVERSION,
        AVATAR_CONVERSION,
      ].sort(),
    );
    for (const f of ['jabber:iq:last', 'vcard-temp'])
      expect(host.handledBy(`iq-get/bare/${f}:${f === 'vcard-temp' ? 'vCard' : 'query'}`).length).toBeGreaterThan(0);
  });
  it('advertises the bookmark and avatar conversions only with the private and vcard modules whose stores they go through', () => {
    const features = (names: string[]) =>
      new ModuleHost(
        'localhost',
        serverModules.filter((m) => names.includes(m.name)),
      ).hosted('account').features;
    const alone = features(['disco', 'account', 'pep']);
    expect(alone).toContain(BOOKMARK_COMPAT_PEP);
    for (const f of [...BOOKMARK_CONVERSION, AVATAR_CONVERSION]) expect(alone).not.toContain(f);
    expect(features(['disco', 'account', 'pep', 'private'])).toEqual(expect.arrayContaining(BOOKMARK_CONVERSION));
    expect(features(['disco', 'account', 'pep', 'private'])).not.toContain(AVATAR_CONVERSION);
    expect(features(['disco', 'account', 'pep', 'vcard'])).toContain(AVATAR_CONVERSION);
  });
  it("whatever modules are enabled, each feature of the domain's and an account's disco#info is served by one of them", () => {
    const served = (h: ModuleHost, target: string, ns: string) =>
      h.modules.flatMap((m) => Object.keys(m.handlers ?? {})).some((k) => k.startsWith(`iq-get/${target}/${ns}:`) || k.startsWith(`iq-set/${target}/${ns}:`));
    for (const m of serverModules) {
      const h = new ModuleHost(
        'localhost',
        serverModules.filter((s) => ['disco', 'account', m.name].includes(s.name)),
      );
      for (const f of h.hosted('domain').features) {
        const owner = h.modules.find((s) => s.features?.includes(f));
        expect(
          served(h, 'host', f) || served(h, 'self', f) || !!owner?.servedBy || ['blocking', 'carbons', 'offline', 'extdisco'].includes(owner?.name ?? ''),
          `${m.name}: ${f}`,
        ).toBe(true);
      }
      for (const f of h.hosted('account').features) {
        // PEP's (XEP-0163) and MAM's handlers are the router's pep and mam modules' (apps/router/src/modules/pep, mam).
        const owner = h.modules.find((s) => s.account?.features?.includes(f));
        expect(served(h, 'bare', f) || owner?.name === 'pep' || owner?.name === 'mam', `${m.name}: ${f} on an account`).toBe(true);
      }
    }
  });
  it('only the enabled modules make the disco#info and the caps', async () => {
    const few = new ModuleHost(
      'localhost',
      serverModules.filter((m) => ['disco', 'ping'].includes(m.name)),
    );
    const r = await few.handleIq(
      el(`<iq type='get' id='d' to='localhost' from='a@localhost/r'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`),
      'host',
      'a@localhost/r',
    );
    expect(
      r
        ?.getChild('query')
        ?.getChildren('feature')
        .map((f) => f.attrs.var),
    ).toEqual(['http://jabber.org/protocol/disco#info', 'http://jabber.org/protocol/disco#items', 'urn:xmpp:ping']);
    expect(serverCaps('localhost', { modules: ['disco', 'ping'] }).ver).toBe(few.caps().ver);
    expect(serverCaps('localhost', { modules: ['disco', 'ping'] }).ver).not.toBe(serverCaps('localhost').ver);
  });
  it('handlers of one key run by priority until one answers; PASS lets the next answer, REPLIED means it replied itself', async () => {
    const h = new ModuleHost('localhost', [], { store: () => ({}) as never, userExists: async () => true, startedAt: 0 });
    const order: string[] = [];
    h.handle('iq-get/host/urn:x:q', () => (order.push('low'), x('q', { xmlns: 'urn:x', v: 'low' })), { module: 'low' });
    h.handle('iq-get/host/urn:x:q', () => (order.push('high'), PASS), { priority: 10, module: 'high' });
    const ask = () => h.handleIq(el(`<iq type='get' id='q' to='localhost' from='a@localhost/r'><q xmlns='urn:x'/></iq>`), 'host', 'a@localhost/r');
    expect((await ask())?.getChild('q')?.attrs.v).toBe('low');
    expect(order).toEqual(['high', 'low']);
    expect(h.handledBy('iq-get/host/urn:x:q')).toEqual(['high', 'low']);
    const sent: string[] = [];
    h.handle('iq-set/self/urn:x:q', (ctx) => {
      ctx.reply(x('iq', { type: 'result', id: ctx.iq.attrs.id }));
      ctx.reply(x('iq', { type: 'set', id: 'push' }));
      return REPLIED;
    });
    const r = await h.handleIq(el(`<iq type='set' id='s' from='a@localhost/r'><q xmlns='urn:x'/></iq>`), 'self', 'a@localhost/r', '', {
      connectionId: 'c1',
      send: (e: Element) => sent.push(e.toString()),
    });
    expect(r).toBeUndefined();
    expect(sent).toEqual(['<iq type="result" id="s"/>', '<iq type="set" id="push"/>']);
    h.handle('iq-get/self/urn:x:none', () => PASS);
    const none = await h.handleIq(el(`<iq type='get' id='n' from='a@localhost/r'><none xmlns='urn:x'/></iq>`), 'self', 'a@localhost/r');
    expect(none?.getChild('error')?.getChild('service-unavailable')).toBeDefined();
  });
  it('the caps ver follows XEP-0115 §5.1 ordering (identities by category/type/lang, octet order, features once)', () => {
    const a = capsVer({
      identities: [
        { category: 'server', type: 'im', name: 'z' },
        { category: 'client', type: 'pc', name: 'a' },
      ],
      features: ['b', 'a', 'B', 'a'],
    });
    const b = capsVer({
      identities: [
        { category: 'client', type: 'pc', name: 'a' },
        { category: 'server', type: 'im', name: 'z' },
      ],
      features: ['B', 'a', 'b'],
    });
    expect(a).toBe(b);
  });
  it('answers an unknown namespace with service-unavailable', async () => {
    const r = await host.handleIq(
      el(`<iq type='get' id='v' to='localhost' from='a@localhost/r'><query xmlns='jabber:iq:nothing'/></iq>`),
      'host',
      'a@localhost/r',
    );
    expect(r.toString()).toBe(
      `<iq type="error" id="v" to="a@localhost/r" from="localhost"><query xmlns="jabber:iq:nothing"/><error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`,
    );
  });
});
