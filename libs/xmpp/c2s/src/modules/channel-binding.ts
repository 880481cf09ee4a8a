// XEP-0440 (SASL Channel-Binding Type Capability): before authentication on a TLS
// stream, list the channel-binding types this connection supports, so a client
// picks one both sides can compute for its -PLUS mechanism (RFC 5802 §6).
import { x, type Element } from '@cx/xmpp-core';
import type { C2sContext, C2sModule, C2sState } from '../types';

export const NS_SASL_CB = 'urn:xmpp:sasl-cb:0';

function feature(ctx: C2sContext, state: C2sState): Element[] {
  const types = ctx.channelBindings ?? [];
  if (!state.secure || types.length === 0 || !ctx.mechanisms.some((m) => m.endsWith('-PLUS'))) return [];
  return [x('sasl-channel-binding', { xmlns: NS_SASL_CB }, ...types.map((type) => x('channel-binding', { type })))];
}

export const channelBinding: C2sModule = {
  name: 'channel-binding',
  spec: 'XEP-0440',
  preAuthFeatures: feature,
};
