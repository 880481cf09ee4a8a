import type { RouterConfig } from '../../config';

/** MUC_DOMAIN, or conference.<XMPP_DOMAIN>; '' when the muc module is not enabled. */
export function mucDomain(config: Pick<RouterConfig, 'MUC_DOMAIN' | 'XMPP_DOMAIN' | 'ROUTER_MODULES'>): string {
  if (!config.ROUTER_MODULES.includes('muc')) return '';
  return config.MUC_DOMAIN || `conference.${config.XMPP_DOMAIN}`;
}
