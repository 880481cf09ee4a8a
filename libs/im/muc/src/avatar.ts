// Room avatars (XEP-0486 over XEP-0054/XEP-0153): owners set the room's
// vcard-temp, anyone reads it; the SHA-1 of each PHOTO is the room's avatar
// hash (muc#roominfo_avatarhash, the vcard-temp:x:update in the room's presence).
import { createHash } from 'node:crypto';
import { x, type Element } from '@cx/xmpp-core';

export const NS_VCARD = 'vcard-temp';
export const NS_VCARD_UPDATE = 'vcard-temp:x:update';

/** The SHA-1 (hex) of every PHOTO's decoded BINVAL; none: no avatar. */
export function avatarHashes(vcard: Element): string[] {
  const out: string[] = [];
  for (const photo of vcard.getChildren('PHOTO')) {
    const b64 = photo.getChildText('BINVAL')?.replace(/\s+/g, '');
    const bin = b64 ? Buffer.from(b64, 'base64') : undefined;
    if (bin?.length) out.push(createHash('sha1').update(bin).digest('hex'));
  }
  return out;
}

/** XEP-0153: the update element with the first hash (an empty <photo/> says there is none). */
export function vcardUpdate(hashes: readonly string[] | undefined): Element {
  return x('x', { xmlns: NS_VCARD_UPDATE }, x('photo', {}, hashes?.[0] ?? ''));
}
