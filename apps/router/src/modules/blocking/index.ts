// XEP-0191 Blocking Command: the block lists (blocking.ts, a KV mirror), the
// check on every stanza before routing (§3.5, §3.6), the IQs that change a
// list, with pushes and the presence each side stops or starts seeing
// (§3.3–3.4), and the list's removal with its account.
import { NS_BLOCKING, REPLIED, STOP, type IqHandler } from '@cx/modules';
import { routerv1 } from '@cx/proto';
import { countStoreRejection } from '../../metrics';
import { Blocking, blockedReply } from './blocking';
import type { RouterContext, RouterModule, StanzaIn } from '../module';
import { serverModule } from '../served';

const { StanzaKind } = routerv1;

export const blockingModule: RouterModule = {
  name: 'blocking',
  serves: serverModule('blocking'),
  async setup(ctx: RouterContext) {
    const blocking = await Blocking.open(ctx.bus, ctx.log, { maxItems: ctx.config.BLOCKLIST_MAX_ITEMS, rejected: countStoreRejection });
    ctx.shared.blocks = (user, other) => blocking.blocks(user, other);
    ctx.hooks.on('stanza-in', (e) => (blocked(ctx, blocking, e) ? STOP : undefined), { priority: 100, module: 'blocking' });
    const iq: IqHandler = async ({ user, iq: el, payload, reply }) => {
      const r = await blocking.iq(user, el, payload);
      reply(r.reply);
      if (r.push) await ctx.im.pushAll(user, r.push);
      for (const j of r.blocked ?? []) await ctx.im.blockChanged(user, j, true);
      for (const j of r.unblocked ?? []) await ctx.im.blockChanged(user, j, false);
      return REPLIED;
    };
    ctx.host.handle(`iq-get/self/${NS_BLOCKING}:*`, iq, { module: 'blocking' });
    ctx.host.handle(`iq-set/self/${NS_BLOCKING}:*`, iq, { module: 'blocking' });
    ctx.removal.register('blocklist', (r) => blocking.removeUser(r.user));
  },
};

/** §3.5–3.6: nothing passes between a user and a JID they block. True when the stanza was handled. */
function blocked(ctx: RouterContext, b: Blocking, { s, sender, to }: StanzaIn): boolean {
  if (s.undeliverable) return false;
  const from = sender.jid;
  if (!to.local || (to.local === from.local && to.domain === from.domain)) return false;
  const request =
    s.kind === StanzaKind.STANZA_KIND_MESSAGE ? s.type !== 'error' : s.kind === StanzaKind.STANZA_KIND_IQ && (s.type === 'get' || s.type === 'set');
  if (b.blocks(from.local, to)) {
    const el = request ? ctx.router.parse(s) : undefined;
    if (el) ctx.router.toSender(sender, blockedReply(el));
    return true;
  }
  if (!b.blocks(to.local, from)) return false;
  if (request) ctx.router.bounce(s, sender, 'service-unavailable');
  return true;
}
