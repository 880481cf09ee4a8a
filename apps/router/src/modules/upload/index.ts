// XEP-0363 HTTP File Upload on upload.<domain> (UPLOAD_DOMAIN): the router
// hands out slots, the upload service (apps/upload) takes the PUT and serves
// the GET. A slot is a signed URL (@cx/upload): no replica keeps anything
// about it, so any router answers and any upload replica checks it.
// docs/architecture.md, "File upload (HTTP)".
import { defineModule, formElement, STOP, type InfoForm } from '@cx/modules';
import { elementFromBytes, StanzaKind } from '@cx/stanza';
import { errorReply, iqResult, NS, StanzaError, x, type Element } from '@cx/xmpp-core';
import { FileIndex, makeSlot, NS_UPLOAD } from '@cx/upload';
import type { RouterConfig } from '../../config';
import type { RouterContext, RouterModule, StanzaIn } from '../module';
import { countStoreRejection } from '../../metrics';

const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const NS_DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';

/** UPLOAD_DOMAIN, or upload.<XMPP_DOMAIN>; '' when the module is off (not enabled, or no UPLOAD_SECRET). */
export function uploadDomain(config: Pick<RouterConfig, 'UPLOAD_DOMAIN' | 'UPLOAD_SECRET' | 'XMPP_DOMAIN' | 'ROUTER_MODULES'>): string {
  if (!config.ROUTER_MODULES.includes('upload') || !config.UPLOAD_SECRET) return '';
  return config.UPLOAD_DOMAIN || `upload.${config.XMPP_DOMAIN}`;
}

/** §4: the service's disco#info, with max-file-size in an XEP-0128 form. */
export function uploadInfo(maxFileSize: number): Element {
  const form: InfoForm = { formType: NS_UPLOAD, fields: [{ var: 'max-file-size', values: [String(maxFileSize)] }] };
  return x(
    'query',
    { xmlns: NS_DISCO_INFO },
    x('identity', { category: 'store', type: 'file', name: 'HTTP File Upload' }),
    x('feature', { var: NS_DISCO_INFO }),
    x('feature', { var: NS_UPLOAD }),
    formElement(form),
  );
}

export interface SlotDeps {
  config: Pick<RouterConfig, 'UPLOAD_PUBLIC_URL' | 'UPLOAD_SECRET' | 'UPLOAD_SLOT_TTL_S' | 'UPLOAD_MAX_FILE_SIZE' | 'UPLOAD_QUOTA_BYTES'>;
  /** Bytes the uploader holds now. */
  usage(jid: string): Promise<number>;
}

/** §5: a slot for `request` by `jid`, or why not (file-too-large carries the maximum, §5.1). */
export async function slotFor(request: Element, jid: string, d: SlotDeps): Promise<Element | StanzaError | { tooLarge: number }> {
  const { config } = d;
  const filename = request.attrs.filename ?? '';
  const sizeText = request.attrs.size ?? '';
  const size = /^\d{1,15}$/.test(sizeText) ? Number(sizeText) : NaN;
  if (!filename || !Number.isSafeInteger(size) || size <= 0) return new StanzaError('bad-request', 'a request needs a filename and a positive size');
  if (size > config.UPLOAD_MAX_FILE_SIZE) {
    countStoreRejection('upload-size');
    return { tooLarge: config.UPLOAD_MAX_FILE_SIZE };
  }
  if (config.UPLOAD_QUOTA_BYTES > 0 && (await d.usage(jid)) + size > config.UPLOAD_QUOTA_BYTES) {
    countStoreRejection('upload-quota');
    return new StanzaError('resource-constraint', 'your uploaded files take all of your quota');
  }
  const slot = makeSlot(
    { filename, size, contentType: request.attrs['content-type'] ?? '', jid },
    { publicUrl: config.UPLOAD_PUBLIC_URL, secret: config.UPLOAD_SECRET, ttlS: config.UPLOAD_SLOT_TTL_S },
  );
  if (!slot) return new StanzaError('bad-request', 'content-type is not a MIME type');
  // §5: only Authorization, Cookie and Expires may be given as headers; the signature is in the URL, so none are needed.
  return x('slot', { xmlns: NS_UPLOAD }, x('put', { url: slot.put }), x('get', { url: slot.get }));
}

function answer(iq: Element, out: Element | null | StanzaError | { tooLarge: number }, from: string): Element {
  if (out instanceof StanzaError) return errorReply(iq, out, from);
  if (out && 'tooLarge' in out) {
    const reply = errorReply(iq, new StanzaError('not-acceptable', `the file is larger than the largest allowed (${out.tooLarge} bytes)`), from);
    reply.getChild('error')?.cnode(x('file-too-large', { xmlns: NS_UPLOAD }, x('max-file-size', {}, String(out.tooLarge))));
    return reply;
  }
  return iqResult(iq, out ?? undefined, from);
}

export const uploadModule: RouterModule = {
  name: 'upload',
  serves: defineModule({
    name: 'upload',
    spec: 'XEP-0363',
    items: (_domain, deps) => (deps.uploadDomain ? [{ jid: deps.uploadDomain, name: 'HTTP File Upload' }] : []),
  }),
  async setup(ctx: RouterContext) {
    const host = uploadDomain(ctx.config);
    if (!host) return;
    const index = await FileIndex.open(ctx.bus);
    const deps: SlotDeps = { config: ctx.config, usage: (jid) => index.usage(jid) };
    // The account's files stop being served at once; the upload service's sweep reclaims their bytes.
    ctx.removal.register('upload', async (r) => void (await index.removeUser(`${r.user}@${ctx.domain}`)));
    const iq = async (el: Element, ev: StanzaIn): Promise<Element | null | StanzaError | { tooLarge: number }> => {
      const get = el.attrs.type === 'get';
      const q = el.getChildElements()[0];
      const ns = q?.attrs.xmlns ?? '';
      if (ev.to.local || ev.to.resource) return new StanzaError('service-unavailable');
      if (get && ns === NS_DISCO_INFO && !q?.attrs.node) return uploadInfo(ctx.config.UPLOAD_MAX_FILE_SIZE);
      if (get && ns === NS_DISCO_ITEMS && !q?.attrs.node) return x('query', { xmlns: NS_DISCO_ITEMS });
      if (get && ns === NS.PING) return null;
      if (get && ns === NS_UPLOAD && q?.name === 'request') return slotFor(q, ev.sender.jid.bare.toString(), deps);
      return new StanzaError('service-unavailable');
    };
    ctx.hooks.on(
      'stanza-service',
      async (ev) => {
        if (ev.to.domain !== host) return;
        const el = elementFromBytes(ev.s.xml);
        const type = el?.attrs.type;
        if (!el || type === 'error' || type === 'result') return STOP;
        if (ev.s.kind === StanzaKind.STANZA_KIND_IQ) ctx.router.toSender(ev.sender, answer(el, await iq(el, ev), el.attrs.to ?? host));
        else if (ev.s.kind === StanzaKind.STANZA_KIND_MESSAGE)
          ctx.router.toSender(ev.sender, errorReply(el, new StanzaError('service-unavailable'), el.attrs.to ?? host));
        return STOP;
      },
      { module: 'upload' },
    );
  },
};
