import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseElement } from '@cx/xml-stream';
import { StanzaError, type Element } from '@cx/xmpp-core';
import { proxyIq, type ProxyAsk } from './index';

const el = (s: string) => parseElement(s) as Element;
const NS = 'http://jabber.org/protocol/bytestreams';

function asker(where: ProxyAsk['where'] = async () => ({ host: '192.0.2.1', port: 7777 })) {
  const activated: string[] = [];
  const ask: ProxyAsk = { where, activate: async (h) => (activated.push(h), h === createHash('sha1').update('s1a@x/1b@x/2').digest('hex')) };
  return { ask, activated };
}

describe('XEP-0065 proxy JID', () => {
  it('is proxy/bytestreams in disco#info', async () => {
    const r = (await proxyIq(el(`<iq type='get' from='a@x/1'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`), 'proxy.x', asker().ask)) as Element;
    expect(r.getChild('identity')?.attrs).toMatchObject({ category: 'proxy', type: 'bytestreams' });
    expect(r.getChildren('feature').map((f) => f.attrs.var)).toContain(NS);
  });

  it('names the streamhost an edge answered, or says none listens', async () => {
    const r = (await proxyIq(el(`<iq type='get' from='a@x/1'><query xmlns='${NS}'/></iq>`), 'proxy.x', asker().ask)) as Element;
    expect(r.getChild('streamhost')?.attrs).toEqual({ jid: 'proxy.x', host: '192.0.2.1', port: '7777' });
    const none = await proxyIq(el(`<iq type='get' from='a@x/1'><query xmlns='${NS}'/></iq>`), 'proxy.x', asker(async () => null).ask);
    expect((none as StanzaError).condition).toBe('remote-server-timeout');
  });

  it('activates the hash of sid, the sender (requester) and the target', async () => {
    const { ask, activated } = asker();
    const ok = await proxyIq(el(`<iq type='set' from='a@x/1'><query xmlns='${NS}' sid='s1'><activate>b@x/2</activate></query></iq>`), 'proxy.x', ask);
    expect(ok).toBeNull();
    expect(activated).toHaveLength(1);
    // The target trying to activate makes another hash: not found.
    const no = await proxyIq(el(`<iq type='set' from='b@x/2'><query xmlns='${NS}' sid='s1'><activate>a@x/1</activate></query></iq>`), 'proxy.x', ask);
    expect((no as StanzaError).condition).toBe('item-not-found');
    const bad = await proxyIq(el(`<iq type='set' from='a@x/1'><query xmlns='${NS}'/></iq>`), 'proxy.x', ask);
    expect((bad as StanzaError).condition).toBe('bad-request');
  });
});
