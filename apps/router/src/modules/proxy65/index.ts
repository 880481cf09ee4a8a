// XEP-0065 SOCKS5 Bytestreams proxy at proxy.<domain> (PROXY65_DOMAIN): the
// router answers the proxy's disco, where it listens and the activation; the
// edges hold the SOCKS5 connections and relay (apps/edge/src/proxy65.ts),
// asked over NATS. docs/architecture.md, "Calls and proxies".
import { streamHash } from '@cx/calls';
import { subjects } from '@cx/bus';
import { defineModule, STOP } from '@cx/modules';
import { elementFromBytes } from '@cx/stanza';
import { errorReply, iqResult, StanzaError, x, type Element } from '@cx/xmpp-core';
import type { RouterContext, RouterModule, StanzaIn } from '../module';

export const NS_BYTESTREAMS = 'http://jabber.org/protocol/bytestreams';
const NS_INFO = 'http://jabber.org/protocol/disco#info';
const NS_ITEMS = 'http://jabber.org/protocol/disco#items';

export function proxyDomain(config: { PROXY65_DOMAIN: string; XMPP_DOMAIN: string }): string {
  return config.PROXY65_DOMAIN || `proxy.${config.XMPP_DOMAIN}`;
}

/** What the edges answer (apps/edge/src/proxy65.ts). */
export interface ProxyWhere {
  host: string;
  port: number;
}

export interface ProxyAsk {
  where(): Promise<ProxyWhere | null>;
  activate(hash: string): Promise<boolean>;
}

/** The answer to one iq to the proxy's JID. */
export async function proxyIq(iq: Element, host: string, ask: ProxyAsk): Promise<Element | StanzaError | null> {
  const type = iq.attrs.type;
  if (type !== 'get' && type !== 'set') return null;
  const q = iq.getChildElements()[0] as Element | undefined;
  const ns = q?.attrs.xmlns;
  if (type === 'get' && ns === NS_INFO && !q?.attrs.node)
    return x(
      'query',
      { xmlns: NS_INFO },
      x('identity', { category: 'proxy', type: 'bytestreams', name: 'SOCKS5 Bytestreams Service' }),
      x('feature', { var: NS_INFO }),
      x('feature', { var: NS_ITEMS }),
      x('feature', { var: NS_BYTESTREAMS }),
    );
  if (type === 'get' && ns === NS_ITEMS) return x('query', { xmlns: NS_ITEMS });
  if (ns !== NS_BYTESTREAMS || !q) return new StanzaError('service-unavailable');
  if (type === 'get') {
    const where = await ask.where();
    if (!where) return new StanzaError('remote-server-timeout', 'no proxy is listening');
    return x('query', { xmlns: NS_BYTESTREAMS }, x('streamhost', { jid: host, host: where.host, port: where.port }));
  }
  // §6.3.4: <query sid><activate>target</activate></query>.
  const sid = q.attrs.sid;
  const target = q.getChildText('activate')?.trim();
  if (!sid || !target) return new StanzaError('bad-request', 'activate needs a sid and a target');
  const ok = await ask.activate(streamHash(sid, iq.attrs.from as string, target));
  return ok ? null : new StanzaError('item-not-found', 'both parties must be connected to the proxy');
}

function askOverNats(ctx: RouterContext): ProxyAsk {
  const timeout = ctx.config.PROXY65_TIMEOUT_MS;
  const request = async (subject: string, body: unknown) => {
    try {
      const m = await ctx.bus.nc.request(subject, new TextEncoder().encode(JSON.stringify(body)), { timeout });
      return JSON.parse(new TextDecoder().decode(m.data)) as Record<string, unknown>;
    } catch {
      return null; // no edge answered: none listens, or none holds the stream
    }
  };
  return {
    async where() {
      const r = await request(subjects.proxy65Where, {});
      return r && typeof r.host === 'string' && typeof r.port === 'number' ? { host: r.host, port: r.port } : null;
    },
    async activate(hash) {
      return (await request(subjects.proxy65Activate, { hash }))?.result === 'activated';
    },
  };
}

export const proxy65Module: RouterModule = {
  name: 'proxy65',
  serves: defineModule({
    name: 'proxy65',
    spec: 'XEP-0065',
    items: (domain, deps) => [{ jid: deps.proxyDomain ?? `proxy.${domain}`, name: 'SOCKS5 Bytestreams Service' }],
  }),
  setup(ctx: RouterContext) {
    const host = proxyDomain(ctx.config);
    const ask = askOverNats(ctx);
    ctx.hooks.on(
      'stanza-service',
      async (ev: StanzaIn) => {
        if (ev.to.domain !== host) return;
        const el = elementFromBytes(ev.s.xml);
        if (el?.name !== 'iq' || (el.attrs.type !== 'get' && el.attrs.type !== 'set')) return STOP;
        // Only the proxy's own JID is served; nobody is at a JID under it.
        const out = ev.to.local || ev.to.resource ? new StanzaError('service-unavailable') : await proxyIq(el, host, ask);
        ctx.router.toSender(ev.sender, out instanceof StanzaError ? errorReply(el, out) : iqResult(el, out ?? undefined));
        return STOP;
      },
      { module: 'proxy65' },
    );
  },
};
