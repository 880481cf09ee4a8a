// XEP-0215 External Service Discovery: the STUN and TURN servers of
// EXTDISCO_SERVICES, with TURN credentials made with TURN_SECRET (coturn's
// REST scheme, @cx/calls). docs/architecture.md, "Calls and proxies".
import { credentialsAnswer, parseService, servicesAnswer, type ExtdiscoOptions } from '@cx/calls';
import type { IqContext } from '@cx/modules';
import type { Element } from '@cx/xmpp-core';
import { countExtdisco } from '../../metrics';
import type { RouterContext, RouterModule } from '../module';
import { serverModule } from '../served';

const bare = (jid: string) => (jid.includes('/') ? jid.slice(0, jid.indexOf('/')) : jid);

export const extdiscoModule: RouterModule = {
  name: 'extdisco',
  serves: serverModule('extdisco'),
  setup(ctx: RouterContext) {
    const opts: ExtdiscoOptions = {
      services: ctx.config.EXTDISCO_SERVICES.map((s) => {
        try {
          return parseService(s);
        } catch (err) {
          throw new Error(`EXTDISCO_SERVICES: ${(err as Error).message}`);
        }
      }),
      secret: ctx.config.TURN_SECRET,
      ttlS: ctx.config.TURN_TTL_S,
    };
    const module = 'extdisco';
    const handedOut = (el: Element) => el.getChildren('service').some((s) => s.attrs.password !== undefined);
    ctx.host.handle(
      'iq-get/host/urn:xmpp:extdisco:2:services',
      ({ payload, from }: IqContext) => {
        const answer = servicesAnswer(payload, opts, bare(from));
        countExtdisco('services', handedOut(answer));
        return answer;
      },
      { module },
    );
    ctx.host.handle(
      'iq-get/host/urn:xmpp:extdisco:2:credentials',
      ({ payload, from }: IqContext) => {
        const answer = credentialsAnswer(payload, opts, bare(from));
        countExtdisco('credentials', !(answer instanceof Error) && handedOut(answer));
        return answer;
      },
      { module },
    );
  },
};
