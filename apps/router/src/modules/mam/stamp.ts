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
import { archivable, forStorage, MAM_NS, stripOurStanzaIds, type Archive } from '@cx/archive';
import type { routerv1 } from '@cx/proto';
import type { Element } from '@cx/xmpp-core';

/**
 * A routed message as the mam hooks see it, kept for the stanza's routing:
 * the sender's side parses and serialises it once and the recipient's side
 * reuses that (the stored copy is the same for both).
 */
interface Seen {
  el: Element;
  /** The message without any stanza-id of this domain, serialised. */
  base: string;
  /** What is archived: base without chat states or stanza-ids (computed once). */
  stored?: string;
  /** s.xml is not base (forged ids, or the other side's stanza-id). */
  dirty: boolean;
}

const seen = new WeakMap<routerv1.Stanza, Seen>();

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
 * archiving, and rewrite `s.xml` with its stanza-id (and without forged ones
 * or the other side's). Synchronous unless the owner's preferences must be read.
 */
export function archiveAndStamp(st: Stamping, s: routerv1.Stanza, owner: string, other: string, side: 'sent' | 'received'): void | Promise<void> {
  const v = seen.get(s) ?? look(st, s);
  if (!v) return;
  const finish = (wanted: boolean): void | Promise<void> => {
    const id = wanted ? archive(st, v, owner, other, side) : undefined;
    if (id) {
      s.xml = Buffer.from(withStanzaId(v.base, owner, id));
      v.dirty = true;
      return st.archive.backlog(owner);
    }
    if (v.dirty) {
      s.xml = Buffer.from(v.base);
      v.dirty = false;
    }
  };
  if (!worth(v.el, side)) return finish(false);
  const wanted = st.wanted(owner, other);
  if (typeof wanted === 'boolean') return finish(wanted);
  return wanted.then(finish);
}

function look(st: Stamping, s: routerv1.Stanza): Seen | undefined {
  const el = st.parse(s);
  if (!el) return undefined;
  const stripped = stripOurStanzaIds(el, st.domain);
  const raw = stripped ? '' : s.xml.toString();
  const v: Seen = { el, base: raw.endsWith('</message>') ? raw : el.toString(), dirty: stripped };
  seen.set(s, v);
  return v;
}

function archive(st: Stamping, v: Seen, owner: string, other: string, side: 'sent' | 'received'): string | undefined {
  v.stored ??= needsStripping(v.el) ? forStorage(v.el).toString() : v.base;
  if (Buffer.byteLength(v.stored) > st.maxBytes) return undefined;
  const id = st.archive.nextId();
  st.archive.append(owner, { id, with: other, xml: v.stored }).then(
    () => st.archived?.(side),
    (err: unknown) => st.failed?.(err, owner),
  );
  return id;
}

/** Chat states or stanza-ids (others') are left out of the stored copy. */
function needsStripping(el: Element): boolean {
  return el.children.some((c) => typeof c !== 'string' && (c.getNS() === MAM_NS.CHATSTATES || c.getNS() === MAM_NS.SID));
}

/** The serialised message with <stanza-id/> as its last child. */
export function withStanzaId(xml: string, by: string, id: string): string {
  const tag = `<stanza-id xmlns="${MAM_NS.SID}" by="${escapeAttr(by)}" id="${escapeAttr(id)}"/>`;
  if (xml.endsWith('</message>')) return `${xml.slice(0, -10)}${tag}</message>`;
  return xml.replace(/\/>\s*$/, `>${tag}</message>`);
}

const escapeAttr = (v: string) => (/[&<"]/.test(v) ? v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;') : v);

/** Errors only as the recipient's: a bounce to a full JID tells the user a message failed. */
function worth(el: Element, side: 'sent' | 'received'): boolean {
  if (el.attrs.type === 'error' && side === 'sent') return false;
  return archivable(el);
}
