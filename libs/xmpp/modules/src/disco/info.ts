// The disco#info answer of a hosted address (XEP-0030 §3.1): its identities,
// its features and its XEP-0128 forms, in that order.
import { NS, x, type Element } from '@cx/xmpp-core';
import type { HostedAddress } from '../host';
import { formElement } from './form';

export function infoQuery(a: HostedAddress, node?: string): Element {
  return x(
    'query',
    { xmlns: NS.DISCO_INFO, node },
    ...a.identities.map((i) => x('identity', { category: i.category, type: i.type, name: i.name })),
    ...a.features.map((f) => x('feature', { var: f })),
    ...a.forms.map(formElement),
  );
}
