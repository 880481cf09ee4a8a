// Who may see a PEP node (XEP-0060 §4.5 access models, as XEP-0163 uses
// them): the owner always; open: anyone; presence: a contact the owner's
// roster has with subscription from or both; roster: a contact in the owner's
// roster, in one of the allowed groups when the node names any; whitelist:
// the owner only (no other affiliations are kept).
import { hasFrom, listed, type Item } from '@cx/roster';
import { PubsubError, type NodeConfig } from '@cx/pubsub';

/** The owner's roster item for the asker (undefined: not in the roster). */
export type RosterItemOf = (owner: string, askerBare: string) => Promise<Item | undefined>;

export function allowedBy(config: Pick<NodeConfig, 'accessModel' | 'rosterGroupsAllowed'>, item: Item | undefined): boolean {
  switch (config.accessModel) {
    case 'open':
      return true;
    case 'presence':
      return !!item && hasFrom(item);
    case 'roster':
      return !!item && listed(item) && (config.rosterGroupsAllowed.length === 0 || item.groups.some((g) => config.rosterGroupsAllowed.includes(g)));
    default:
      return false;
  }
}

/** XEP-0060 §6.5.9 (items), §6.1.3 (subscribe): the error for an asker the access model leaves out. */
export function refusal(config: Pick<NodeConfig, 'accessModel'>): PubsubError {
  switch (config.accessModel) {
    case 'presence':
      return new PubsubError('not-authorized', 'presence-subscription-required');
    case 'roster':
      return new PubsubError('not-authorized', 'not-in-roster-group');
    default:
      return new PubsubError('not-allowed', 'closed-node');
  }
}

/** May `askerBare` see `owner`'s node? true, or the error to answer. */
export async function mayAccess(
  config: Pick<NodeConfig, 'accessModel' | 'rosterGroupsAllowed'>,
  owner: string,
  ownerBare: string,
  askerBare: string,
  itemOf: RosterItemOf,
): Promise<true | PubsubError> {
  if (askerBare === ownerBare || config.accessModel === 'open') return true;
  return allowedBy(config, await itemOf(owner, askerBare)) || refusal(config);
}
