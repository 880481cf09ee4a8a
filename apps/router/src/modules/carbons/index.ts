// XEP-0280 Message Carbons: <enable/> and <disable/> mark the session in the
// registry (§4, §5); a message a user sends goes as <sent/> to the user's
// other carbons-enabled sessions, one a user receives as <received/> to those
// that did not get it.
import { NS_CARBONS, type IqContext } from '@cx/modules';
import { routerv1 } from '@cx/proto';
import { Carbons } from './carbons';
import type { RouterContext, RouterModule } from '../module';
import { serverModule } from '../served';

const { StanzaKind } = routerv1;

export const carbonsModule: RouterModule = {
  name: 'carbons',
  serves: serverModule('carbons'),
  setup(ctx: RouterContext) {
    const carbons = new Carbons(ctx.out, (fullJid, connectionId, on) => ctx.presenceLink.setPresence({ fullJid, connectionId, carbons: on }));
    const toggle = async ({ iq, payload, from, connectionId }: IqContext) => {
      await carbons.iq(iq, payload, from, connectionId);
      return null;
    };
    ctx.host.handle(`iq-set/self/${NS_CARBONS}:enable`, toggle, { module: 'carbons' });
    ctx.host.handle(`iq-set/self/${NS_CARBONS}:disable`, toggle, { module: 'carbons' });
    ctx.hooks.on(
      'stanza-in',
      ({ s, sender }) => {
        if (s.kind !== StanzaKind.STANZA_KIND_MESSAGE || s.undeliverable) return;
        const own = ctx.directory.cached(sender.jid.bare.toString());
        if (!own || !own.sessions.some((x) => x.carbons)) return;
        carbons.copy('sent', sender.jid.bare.toString(), own.sessions, new Set([sender.connectionId]), s.type, s.xml);
      },
      { module: 'carbons' },
    );
    ctx.hooks.on(
      'message-delivered',
      ({ s, bare, targets, user }) => {
        if (!user || !user.sessions.some((x) => x.carbons)) return;
        carbons.copy('received', bare.toString(), user.sessions, new Set(targets.map((t) => t.connectionId)), s.type, s.xml);
      },
      { module: 'carbons' },
    );
  },
};
