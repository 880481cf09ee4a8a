// RFC 6121 presence (the logic is Im's, im/im.ts): subscription stanzas (§3),
// a session's own presence broadcast (§4.2–4.5), directed presence
// remembered for the unavailable that ends it (§4.6), the unavailable of a
// session that ended without one (§4.5.2), and contacts told when an account
// is removed.
import { STOP } from '@cx/modules';
import { isSubscription, StanzaKind } from '@cx/stanza';
import { StanzaError } from '@cx/xmpp-core';
import type { RouterContext, RouterModule, StanzaIn } from '../module';

export const presenceModule: RouterModule = {
  name: 'presence',
  setup(ctx: RouterContext) {
    ctx.hooks.on('stanza-in', (e) => (e.s.kind === StanzaKind.STANZA_KIND_PRESENCE ? presence(ctx, e) : undefined), { priority: 50, module: 'presence' });
    // Before the rescue of unacknowledged stanzas (main.ts): contacts see the session go first.
    ctx.hooks.on(
      'session-ended',
      async (ev) => {
        if (ev.available) await ctx.im.ended(ev.fullJid, ev.directed, ev.connectionId, ev.remaining?.sessions);
      },
      { priority: 10, module: 'presence' },
    );
    ctx.removal.register('contacts', (r) => ctx.im.removeUser(r.user), 'contacts');
  },
};

function presence(ctx: RouterContext, { s, sender, to }: StanzaIn): void | typeof STOP | Promise<void | typeof STOP> {
  const from = { jid: sender.jid, connectionId: s.connectionId };
  if (isSubscription(s.type)) {
    const el = ctx.router.parse(s);
    if (!el || !to.local) return STOP;
    return ctx.im.subscription(s.type, from, to, el).then(() => STOP);
  }
  if (s.to === '') {
    const el = ctx.router.parse(s);
    return el ? ctx.im.broadcast(el, from).then(() => STOP) : STOP;
  }
  if (s.undeliverable || (s.type !== '' && s.type !== 'unavailable') || !to.local || to.bare.equals(sender.jid.bare)) return;
  // Available: delivered only once remembered (a session's recipients are bounded; past the bound it is refused).
  const recorded = ctx.im.directed(from, to, s.type === '').catch(() => true);
  if (s.type !== '') return;
  return recorded.then((ok) => {
    if (ok) return;
    ctx.router.errorTo(s, sender, new StanzaError('resource-constraint', 'too many directed presences from this session', 'wait'));
    return STOP;
  });
}
