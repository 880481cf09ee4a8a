// RFC 6121 §2 rosters: get (with versioning) and set, with pushes to the
// user's interested sessions (the logic is Im's, im/im.ts); the roster goes
// with its account.
import { REPLIED, type IqHandler } from '@cx/modules';
import { NS_ROSTER } from '@cx/roster';
import { parseJid } from '@cx/xmpp-core';
import type { RouterContext, RouterModule } from '../module';

export const rosterModule: RouterModule = {
  name: 'roster',
  setup(ctx: RouterContext) {
    const iq: IqHandler = async ({ iq: el, payload, from, connectionId, reply }) => {
      await ctx.im.rosterIq(el, payload, { jid: parseJid(from), connectionId }, reply);
      return REPLIED;
    };
    ctx.host.handle(`iq-get/self/${NS_ROSTER}:query`, iq, { module: 'roster' });
    ctx.host.handle(`iq-set/self/${NS_ROSTER}:query`, iq, { module: 'roster' });
    ctx.removal.register('roster', (r) => ctx.rosters.removeUser(r.user));
  },
};
