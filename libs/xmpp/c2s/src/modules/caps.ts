// XEP-0115 §6.3: the server's entity capabilities in its stream features; ver
// is computed by the edge from the server's disco#info (see @cx/modules).
import { NS, x, type Element } from '@cx/xmpp-core';
import type { C2sContext, C2sModule } from '../types';

function capsFeature(ctx: C2sContext): Element[] {
  return ctx.caps ? [x('c', { xmlns: NS.CAPS, hash: ctx.caps.hash, node: ctx.caps.node, ver: ctx.caps.ver })] : [];
}

export const caps: C2sModule = {
  name: 'caps',
  spec: 'XEP-0115',
  preAuthFeatures: capsFeature,
  postAuthFeatures: capsFeature,
};
