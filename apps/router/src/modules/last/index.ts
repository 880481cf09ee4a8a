// XEP-0012 Last Activity about an account (§3): when the user's last
// available session went away, recorded at that moment (an unavailable
// presence, or the end of a session), answered to those who may see the
// user's presence. The server's own uptime is @cx/modules' last module.
import { REPLIED, type IqContext, type IqOutcome } from '@cx/modules';
import { hasFrom } from '@cx/roster';
import type { RouterContext, RouterModule, UnavailablePresence } from '../module';
import { serverModule } from '../served';
import { LastActivity } from './last-activity';

/**
 * The 'presence-unavailable' handler: records only when no other session is
 * available, and the account still exists (the sessions of a removed account
 * end after its data is gone: nothing may be written back). Auth is asked
 * only about accounts removed lately, not at every logout.
 */
export function recordWhenGone(last: Pick<LastActivity, 'record'>, d: { removedLately(user: string): boolean; userExists(user: string): Promise<boolean> }) {
  return async ({ user, status, others }: UnavailablePresence): Promise<void> => {
    if (others.length > 0) return;
    if (d.removedLately(user) && !(await d.userExists(user))) return;
    await last.record(user, status);
  };
}

export const lastModule: RouterModule = {
  name: 'last',
  serves: serverModule('last'),
  requires: { presence: "a user's last activity is recorded when the presence module sees the last session go unavailable" },
  async setup(ctx: RouterContext) {
    const last = await LastActivity.open(ctx.bus);
    ctx.hooks.on('presence-unavailable', recordWhenGone(last, { removedLately: ctx.removedLately, userExists: (u) => ctx.deps.userExists(u) }), {
      module: 'last',
    });
    // Before @cx/modules' handler, which refuses every such query.
    ctx.host.handle(
      'iq-get/bare/jabber:iq:last:query',
      async ({ iq, from, target, reply }: IqContext): Promise<IqOutcome> => {
        const asker = from.slice(0, from.includes('/') ? from.indexOf('/') : from.length);
        const item = (await ctx.rosters.get(target)).items.find((i) => i.jid === asker);
        const online = ctx.out.available(await ctx.out.sessions(`${target}@${ctx.domain}`)).length > 0;
        reply(await last.answer(iq, target, !!item && hasFrom(item), online));
        return REPLIED;
      },
      { priority: 10, module: 'last' },
    );
    ctx.removal.register('last', (r) => last.removeUser(r.user));
  },
};
