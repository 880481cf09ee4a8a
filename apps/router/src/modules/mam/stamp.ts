// XEP-0359 and XEP-0313 as a message is routed: remove stanza-ids a client
// forged in our name, give the message an archive id, stamp it on the copy
// that goes on (live delivery, carbons, offline storage) and archive it in
// its owner's archive. One function for both sides: the sender's archive as
// the message arrives, the recipient's as it is delivered or stored.
//
// The append is not awaited: routing an edge's stream is strictly ordered,
// so waiting for JetStream here would hold every stanza behind it. The id is
// given before the append (Archive.nextId), and the edge's RouteAck waits for
// the append (SharedServices.stored), so a sender's acknowledged message is
// in the archive.
import { archivable, forStorage, stampStanzaId, stripOurStanzaIds, type Archive } from '@cx/archive';
import type { routerv1 } from '@cx/proto';
import type { Element } from '@cx/xmpp-core';

/** The element a stanza's xml was last parsed to or written from: the recipient's side reuses the sender's. */
const parsed = new WeakMap<routerv1.Stanza, Element>();

export interface Stamping {
  archive: Archive;
  domain: string;
  parse(s: routerv1.Stanza): Element | undefined;
  /** Does the owner's preference (XEP-0313 §6) archive messages with this JID? */
  wanted(owner: string, other: string): boolean | Promise<boolean>;
  maxBytes: number;
  archived?(side: 'sent' | 'received'): void;
  failed?(err: unknown, owner: string): void;
}

/**
 * Archive `s` in `owner`'s archive (the other party: `other`) when it is worth
 * archiving, and rewrite `s.xml` with its stanza-id (and without forged ones).
 * Synchronous unless the owner's preferences must be read.
 */
export function archiveAndStamp(st: Stamping, s: routerv1.Stanza, owner: string, other: string, side: 'sent' | 'received'): void | Promise<void> {
  const el = parsed.get(s) ?? st.parse(s);
  if (!el) return;
  const stripped = stripOurStanzaIds(el, st.domain);
  const finish = (wanted: boolean) => {
    const id = wanted ? archive(st, el, owner, other, side) : undefined;
    if (stripped || id) s.xml = Buffer.from(el.toString());
    parsed.set(s, el);
  };
  if (!worth(el, side)) return finish(false);
  const wanted = st.wanted(owner, other);
  if (typeof wanted === 'boolean') return finish(wanted);
  return wanted.then(finish);
}

function archive(st: Stamping, el: Element, owner: string, other: string, side: 'sent' | 'received'): string | undefined {
  const xml = forStorage(el).toString();
  if (Buffer.byteLength(xml) > st.maxBytes) return undefined;
  const id = st.archive.nextId();
  st.archive.append(owner, { id, with: other, xml }).then(
    () => st.archived?.(side),
    (err: unknown) => st.failed?.(err, owner),
  );
  stampStanzaId(el, owner, id);
  return id;
}

/** Errors only as the recipient's: a bounce to a full JID tells the user a message failed. */
function worth(el: Element, side: 'sent' | 'received'): boolean {
  if (el.attrs.type === 'error' && side === 'sent') return false;
  return archivable(el);
}
