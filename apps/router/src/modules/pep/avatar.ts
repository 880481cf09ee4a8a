// XEP-0398: a user's avatar is the same in XEP-0084 (PEP nodes
// urn:xmpp:avatar:data and urn:xmpp:avatar:metadata) and in the vCard's
// PHOTO (XEP-0054, XEP-0153), whichever a client sets. Publishing metadata
// copies the image from the data node into the vCard (an empty <metadata/>
// removes the PHOTO); setting a vCard with a PHOTO publishes its data and
// metadata (item id = the SHA-1 of the image, as XEP-0084 says). The server's
// own writes start no further conversion. XEP-0153's presence hash is the
// metadata's item id (presence.ts).
import { createHash } from 'node:crypto';
import { DEFAULT_MODULE_LIMITS, VCARD_BUCKET, type ModuleDeps } from '@cx/modules';
import type { PepStore, StoredNode, UserIndex } from '@cx/pubsub';
import { StanzaKind } from '@cx/stanza';
import type { Router } from '../../routing';
import type { StanzaIn } from '../module';
import { elementFromBytes } from '@cx/stanza';
import { x, type Element } from '@cx/xmpp-core';
import type { Logger } from '@cx/log';
import type { Pep } from './pep';

export const NS_AVATAR_DATA = 'urn:xmpp:avatar:data';
export const NS_AVATAR_METADATA = 'urn:xmpp:avatar:metadata';
const NS_VCARD = 'vcard-temp';

const parse = (xml: string) => elementFromBytes(Buffer.from(xml, 'utf8'));
const last = (n: StoredNode | null) => n?.items[n.items.length - 1];
/** Avatars are as visible as vCards (anyone may read a vCard). */
const OPEN = new Map([['pubsub#access_model', ['open']]]);

/** The vCard with its PHOTO replaced (undefined: removed). */
export function withPhoto(vcard: Element, photo: { type: string; base64: string } | undefined): Element {
  const out = x('vCard', { ...vcard.attrs, xmlns: NS_VCARD });
  for (const c of vcard.children) if (typeof c === 'string' || c.name !== 'PHOTO') out.cnode(c);
  if (photo) out.cnode(x('PHOTO', {}, x('TYPE', {}, photo.type), x('BINVAL', {}, photo.base64)));
  return out;
}

/** The image of a vCard's PHOTO (BINVAL), with its SHA-1 (hex) and size. */
export function photoOf(vcard: Element): { type: string; base64: string; bytes: number; id: string } | undefined {
  const photo = vcard.getChild('PHOTO');
  const b64 = photo?.getChildText('BINVAL')?.replace(/\s+/g, '');
  if (!photo || !b64) return undefined;
  const bin = Buffer.from(b64, 'base64');
  if (!bin.length) return undefined;
  return {
    type: photo.getChildText('TYPE') || 'image/png',
    base64: bin.toString('base64'),
    bytes: bin.length,
    id: createHash('sha1').update(bin).digest('hex'),
  };
}

export class AvatarSync {
  constructor(
    private readonly pep: Pep,
    private readonly deps: ModuleDeps,
    private readonly log: Logger,
  ) {}

  /** A client published avatar metadata: the vCard's PHOTO follows. */
  async changed(user: string, node: string): Promise<void> {
    if (node !== NS_AVATAR_METADATA) return;
    const meta = last(await this.pep.d.store.node(user, NS_AVATAR_METADATA));
    const info = meta ? parse(meta.xml)?.getChild('info') : undefined;
    if (info?.attrs.url) return; // the image is elsewhere: the vCard keeps what it had
    let photo: { type: string; base64: string } | undefined;
    if (info) {
      const data = (await this.pep.d.store.node(user, NS_AVATAR_DATA))?.items.find((i) => i.id === info.attrs.id);
      const b64 = data ? parse(data.xml)?.getText().replace(/\s+/g, '') : undefined;
      if (!b64) return; // data not (yet) there: nothing to copy
      photo = { type: (info.attrs.type as string | undefined) ?? 'image/png', base64: b64 };
    }
    const store = this.deps.store(VCARD_BUCKET);
    const cur = await store.get([user]);
    const vcard = (cur && elementFromBytes(cur)) || x('vCard', { xmlns: NS_VCARD });
    if (!photo && !vcard.getChild('PHOTO')) return;
    const bytes = new TextEncoder().encode(withPhoto(vcard, photo).toString());
    const max = this.deps.limits?.vcardMaxBytes ?? DEFAULT_MODULE_LIMITS.vcardMaxBytes;
    if (bytes.length > max) return void this.log.warn({ user, bytes: bytes.length }, 'avatar not copied to the vCard: larger than VCARD_MAX_BYTES');
    await store.put([user], bytes);
  }

  /** A client set its vCard: its PHOTO becomes the XEP-0084 avatar (none: the avatar is disabled). */
  async fromVcard(user: string, vcard: Element): Promise<void> {
    const photo = photoOf(vcard);
    if (!photo && vcard.getChild('PHOTO')) return; // a PHOTO by URL (EXTVAL): the PEP avatar is left as it is
    const meta = last(await this.pep.d.store.node(user, NS_AVATAR_METADATA));
    if (!photo) {
      if (meta && parse(meta.xml)?.getChild('info'))
        await this.pep.replace(user, NS_AVATAR_METADATA, [{ id: 'none', payload: x('metadata', { xmlns: NS_AVATAR_METADATA }) }], OPEN);
      return;
    }
    if (meta?.id === photo.id) return;
    const data = x('data', { xmlns: NS_AVATAR_DATA }, photo.base64);
    if (!(await this.pep.replace(user, NS_AVATAR_DATA, [{ id: photo.id, payload: data }], OPEN))) return;
    const info = x('info', { id: photo.id, bytes: photo.bytes, type: photo.type });
    await this.pep.replace(user, NS_AVATAR_METADATA, [{ id: photo.id, payload: x('metadata', { xmlns: NS_AVATAR_METADATA }, info) }], OPEN);
  }
}

const NS_X_UPDATE = 'vcard-temp:x:update';
const markers = [Buffer.from(NS_X_UPDATE), Buffer.from('http://jabber.org/protocol/caps')];

/** XEP-0153 §4.1: the hash a presence should carry: the avatar metadata's item id ('': no avatar); undefined: not known. */
export function avatarHash(idx: UserIndex): string | undefined {
  const m = idx[NS_AVATAR_METADATA];
  if (!m?.l) return undefined;
  return m.e ? '' : m.l;
}

/** The presence with `<x xmlns='vcard-temp:x:update'><photo>hash</photo></x>`, unless the client put a photo there. */
export function withUpdate(presence: Element, hash: string): Element | undefined {
  const xu = presence.getChild('x', NS_X_UPDATE);
  if (xu?.getChild('photo')) return undefined;
  if (xu) xu.cnode(x('photo', {}, hash || null));
  else presence.cnode(x('x', { xmlns: NS_X_UPDATE }, x('photo', {}, hash || null)));
  return presence;
}

/**
 * The 'stanza-in' handler for XEP-0153: a client's own available presence
 * without a photo hash gets the avatar's, from the user's PEP index (cached in
 * every router), so vCard-avatar clients of the user's contacts see changes
 * made in PEP. Only presences of real clients are looked at (those with caps
 * or an x:update element): they read the same index for their last items at
 * login anyway, and a bare <presence/> costs nothing more.
 */
export function presenceHash(d: { store: Pick<PepStore, 'index'>; router: Pick<Router, 'parse'> }) {
  return ({ s, sender }: StanzaIn): Promise<void> | undefined => {
    if (s.kind !== StanzaKind.STANZA_KIND_PRESENCE || s.to !== '' || s.type !== '') return undefined;
    const buf = Buffer.from(s.xml.buffer, s.xml.byteOffset, s.xml.byteLength);
    if (!markers.some((m) => buf.includes(m))) return undefined;
    return d.store.index(sender.jid.local).then(
      (idx) => {
        const hash = avatarHash(idx);
        const el = hash === undefined ? undefined : d.router.parse(s);
        const out = el && withUpdate(el, hash!);
        if (out) s.xml = Buffer.from(out.toString(), 'utf8');
      },
      () => undefined, // the store unreachable: the presence goes as the client sent it
    );
  };
}
