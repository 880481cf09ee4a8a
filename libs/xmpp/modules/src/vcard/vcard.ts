// XEP-0054 vcard-temp: a user sets their own vCard; anyone may read a user's
// vCard (an empty one when none is stored). A malformed vCard is refused with
// bad-request and nothing is changed.
import { parseElement } from '@cx/xml-stream';
import { StanzaError, x, type Element } from '@cx/xmpp-core';
import { defineModule, moduleLimits, type IqContext } from '../host';

const NS_VCARD = 'vcard-temp';
export const VCARD_BUCKET = 'xmpp_vcards';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Why a vCard is malformed, or undefined when it is acceptable. */
export function vcardProblem(v: Element): string | undefined {
  if (v.name !== 'vCard' || v.attrs.xmlns !== NS_VCARD) return 'the payload must be <vCard xmlns="vcard-temp"/>';
  for (const c of v.children) {
    if (typeof c === 'string') {
      if (c.trim()) return 'text directly inside <vCard/>';
      continue;
    }
    if (c.attrs.xmlns && c.attrs.xmlns !== NS_VCARD) continue; // extensions in other namespaces are kept as they are
    if (!/^[A-Z][A-Z0-9-]*$/.test(c.name)) return `<${c.name}/> is not a vCard element`;
  }
  for (const photo of [...v.getChildren('PHOTO'), ...v.getChildren('LOGO')]) {
    const bin = photo.getChildText('BINVAL');
    if (bin !== null && !/^[A-Za-z0-9+/=\s]*$/.test(bin)) return 'BINVAL is not base64';
  }
  return undefined;
}

async function read(ctx: IqContext, user: string) {
  const stored = await ctx.deps.store(VCARD_BUCKET).get([user]);
  const v = stored ? parseElement(decoder.decode(stored)) : undefined;
  return v && !('error' in v) ? v : x('vCard', { xmlns: NS_VCARD });
}

async function set({ payload, user, deps }: IqContext) {
  const problem = vcardProblem(payload);
  if (problem) return new StanzaError('bad-request', problem);
  const bytes = encoder.encode(payload.toString());
  const max = moduleLimits(deps).vcardMaxBytes;
  if (bytes.length > max) {
    deps.rejected?.('vcard');
    return new StanzaError('not-acceptable', `a vCard is limited to ${max} bytes`);
  }
  await deps.store(VCARD_BUCKET).put([user], bytes);
  return null;
}

export const vcard = defineModule({
  name: 'vcard',
  spec: 'XEP-0054',
  features: [NS_VCARD],
  removeUser: (user, deps) => deps.store(VCARD_BUCKET).removeAll([user]),
  account: { features: [NS_VCARD] },
  handlers: {
    'iq-get/self/vcard-temp:vCard': (ctx) => read(ctx, ctx.user),
    'iq-get/bare/vcard-temp:vCard': (ctx) => read(ctx, ctx.target),
    'iq-set/self/vcard-temp:vCard': set,
    'iq-set/bare/vcard-temp:vCard': () => new StanzaError('forbidden', 'only the owner sets a vCard'),
    'iq-get/host/vcard-temp:vCard': () => x('vCard', { xmlns: NS_VCARD }, x('FN', {}, 'cloud-xmpp')),
  },
});
