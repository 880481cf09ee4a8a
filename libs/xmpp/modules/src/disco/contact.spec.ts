import { describe, expect, it } from 'vitest';
import { defineConfig } from '@cx/config';
import { parseElement } from '@cx/xml-stream';
import type { Element } from '@cx/xmpp-core';
import { contactAddresses, contactForm, contactSettings, serverCaps, serverModules, ModuleHost, capsVer, type ModuleDeps } from '../index';

const config = defineConfig(contactSettings);
const deps = (contacts: ModuleDeps['contacts']): ModuleDeps => ({ store: () => ({}) as never, userExists: async () => true, startedAt: 0, contacts });
const el = (s: string) => parseElement(s) as Element;
const discoInfo = (host: ModuleHost) =>
  host.handleIq(
    el(`<iq type='get' id='d' to='localhost' from='a@localhost/r'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`),
    'host',
    'a@localhost/r',
  );

describe('XEP-0157 contact addresses', () => {
  it('are read from CONTACT_* as comma-separated URIs; none by default', () => {
    const c = config.load({ CONTACT_ADMIN: 'xmpp:admin@localhost, mailto:admin@example.org', CONTACT_ABUSE: 'https://example.org/abuse' });
    expect(contactAddresses(c)).toEqual({
      abuse: ['https://example.org/abuse'],
      admin: ['xmpp:admin@localhost', 'mailto:admin@example.org'],
      feedback: [],
      sales: [],
      security: [],
      support: [],
    });
    expect(contactForm(contactAddresses(config.load({})))).toEqual([]);
  });

  it('refuse what is not a URI, naming the setting', () => {
    expect(() => config.load({ CONTACT_SECURITY: 'security@example.org, xmpp:ok@localhost' })).toThrow(/CONTACT_SECURITY: not a URI .*"security@example.org"/);
    expect(() => config.load({ CONTACT_SUPPORT: 'mailto:' })).toThrow(/CONTACT_SUPPORT: not a URI/);
  });

  it("are a serverinfo form of type result in the domain's disco#info, a list-multi field per kind configured", async () => {
    const host = new ModuleHost(
      'localhost',
      serverModules,
      deps({ admin: ['xmpp:admin@localhost', 'mailto:admin@example.org'], abuse: ['mailto:abuse@example.org'], sales: [] }),
    );
    const q = (await discoInfo(host)).getChild('query') as Element;
    const forms = q.getChildren('x', 'jabber:x:data');
    expect(forms.map(String)).toEqual([
      '<x xmlns="jabber:x:data" type="result">' +
        '<field var="FORM_TYPE" type="hidden"><value>http://jabber.org/network/serverinfo</value></field>' +
        '<field var="abuse-addresses" type="list-multi"><value>mailto:abuse@example.org</value></field>' +
        '<field var="admin-addresses" type="list-multi"><value>xmpp:admin@localhost</value><value>mailto:admin@example.org</value></field>' +
        '</x>',
    ]);
    // XEP-0030: identities, then features, then the extensions.
    expect(q.children.map((c) => (c as Element).name).slice(-2)).toEqual(['feature', 'x']);
  });

  it('none configured: no form', async () => {
    const q = (await discoInfo(new ModuleHost('localhost', serverModules, deps({ admin: [] })))).getChild('query') as Element;
    expect(q.getChildren('x')).toEqual([]);
  });

  it('are in the caps hash (XEP-0115 §5.4), so the edge given the same settings advertises the ver of that disco#info', async () => {
    const contacts = { admin: ['xmpp:admin@localhost'], support: ['https://example.org/help'] };
    const host = new ModuleHost('localhost', serverModules, deps(contacts));
    const q = (await discoInfo(host)).getChild('query') as Element;
    const form = q.getChild('x', 'jabber:x:data') as Element;
    const fields = form.getChildren('field').filter((f) => f.attrs.var !== 'FORM_TYPE');
    const ver = capsVer({
      identities: q.getChildren('identity').map((i) => ({ category: i.attrs.category, type: i.attrs.type, name: i.attrs.name })),
      features: q.getChildren('feature').map((f) => f.attrs.var),
      forms: [
        {
          formType: form.getChild('field')?.getChildText('value') ?? '',
          fields: fields.map((f) => ({ var: f.attrs.var, values: f.getChildren('value').map((v) => v.text()) })),
        },
      ],
    });
    expect(serverCaps('localhost', { contacts }).ver).toBe(ver);
    expect(host.caps().ver).toBe(ver);
    expect(ver).not.toBe(serverCaps('localhost').ver);
    // The answer on <node>#<ver> carries the form too (§6.2).
    const onNode = await host.handleIq(
      el(
        `<iq type='get' id='n' to='localhost' from='a@localhost/r'><query xmlns='http://jabber.org/protocol/disco#info' node='${host.caps().node}#${ver}'/></iq>`,
      ),
      'host',
      'a@localhost/r',
    );
    expect(onNode.getChild('query')?.getChild('x', 'jabber:x:data')?.toString()).toBe(form.toString());
  });

  it('come with the disco module: without it nothing answers disco#info and the caps have no form', () => {
    expect(serverCaps('localhost', { modules: ['ping'], contacts: { admin: ['xmpp:admin@localhost'] } }).ver).toBe(
      serverCaps('localhost', { modules: ['ping'] }).ver,
    );
  });
});
