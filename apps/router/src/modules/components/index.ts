// External components (XEP-0114): stanzas for a component's domain (and the
// addresses in it) go to the edge holding its connection, found in a watched
// mirror of the KV bucket xmpp_components that edges write when a handshake
// succeeds (@cx/component-registry). Any replica routes them; the domains
// show in the server's disco#items. docs/architecture.md, "External components".
import { ComponentRegistry } from '@cx/component-registry';
import { defineModule, STOP } from '@cx/modules';
import type { RouterContext, RouterModule, StanzaIn } from '../module';

let registry: ComponentRegistry | undefined;

export const componentsModule: RouterModule = {
  name: 'components',
  serves: defineModule({
    name: 'components',
    spec: 'XEP-0114',
    items: () => (registry?.domains() ?? []).map((jid) => ({ jid })),
  }),
  async setup(ctx: RouterContext) {
    const r = await ComponentRegistry.open(ctx.bus);
    const stopWatch = await r.watch(ctx.log);
    registry = r;
    ctx.hooks.on('stanza-service', (ev) => toComponent(ctx, r, ev), { module: 'components' });
    return () => {
      stopWatch();
      if (registry === r) registry = undefined;
    };
  },
};

/** A stanza for a component's domain: to its connection, or service-unavailable when it is not connected. */
function toComponent(ctx: RouterContext, r: ComponentRegistry, { s, sender, to }: StanzaIn): typeof STOP | undefined {
  const route = r.route(to.domain);
  if (!route) return undefined;
  // Not connected, or its edge found the connection gone (an undeliverable stanza comes back): nothing to wait for (Prosody does the same).
  if (!route.edgeId || s.undeliverable) {
    ctx.router.bounce(s, sender, 'service-unavailable');
    return STOP;
  }
  ctx.deliverer.deliver(route.edgeId, route.connectionId, s.to, s.xml, s.kind);
  return STOP;
}
