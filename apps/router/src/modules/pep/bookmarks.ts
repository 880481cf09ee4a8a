// Bookmarks kept in sync in their three forms, so that clients of every age
// see the same rooms: XEP-0048 in private XML (jabber:iq:private,
// <storage xmlns='storage:bookmarks'/>), XEP-0048 in PEP (node
// storage:bookmarks, item 'current': XEP-0411), and XEP-0402 (node
// urn:xmpp:bookmarks:1, one item per room, id = the room's JID: #compat and
// #compat-pep). A change to one form rewrites the other two on the user's
// behalf (their subscribers are told); the server's own writes do not start
// another round. Rooms' <url/> bookmarks exist only in XEP-0048 and are kept
// there when XEP-0402 changes.
import { readPrivate, writePrivate, type ModuleDeps } from '@cx/modules';
import type { StoredNode } from '@cx/pubsub';
import { elementFromBytes } from '@cx/stanza';
import { x, type Element } from '@cx/xmpp-core';
import type { Logger } from '@cx/log';
import type { Pep } from './pep';

export const NS_STORAGE = 'storage:bookmarks';
export const NS_BOOKMARKS2 = 'urn:xmpp:bookmarks:1';

export interface Bookmark {
  jid: string;
  name?: string;
  autojoin: boolean;
  nick?: string;
  password?: string;
}

const yes = (v: string | undefined) => v === 'true' || v === '1';
const form = (o: Record<string, string>) => new Map(Object.entries(o).map(([k, v]) => [`pubsub#${k}`, [v]]));
/** XEP-0402 §5 / XEP-0223 §3: private nodes. */
const PRIVATE_NODE = { access_model: 'whitelist', persist_items: 'true', send_last_published_item: 'never' };

/** The conferences of a XEP-0048 <storage/>. */
export function fromStorage(storage: Element): Bookmark[] {
  return storage
    .getChildren('conference')
    .filter((c) => !!c.attrs.jid)
    .map((c) => ({
      jid: c.attrs.jid as string,
      name: (c.attrs.name as string | undefined) || undefined,
      autojoin: yes(c.attrs.autojoin as string | undefined),
      nick: c.getChildText('nick') ?? undefined,
      password: c.getChildText('password') ?? undefined,
    }));
}

/** A XEP-0048 <storage/> of these conferences, with the <url/>s it had. */
export function toStorage(bookmarks: readonly Bookmark[], urls: readonly Element[] = []): Element {
  return x(
    'storage',
    { xmlns: NS_STORAGE },
    ...bookmarks.map((b) =>
      x(
        'conference',
        { jid: b.jid, name: b.name, autojoin: b.autojoin ? 'true' : 'false' },
        b.nick ? x('nick', {}, b.nick) : null,
        b.password ? x('password', {}, b.password) : null,
      ),
    ),
    ...urls,
  );
}

/** The XEP-0402 item payload of one room. */
export function conference(b: Bookmark): Element {
  return x(
    'conference',
    { xmlns: NS_BOOKMARKS2, name: b.name, autojoin: b.autojoin ? 'true' : 'false' },
    b.nick ? x('nick', {}, b.nick) : null,
    b.password ? x('password', {}, b.password) : null,
  );
}

/** The rooms of the XEP-0402 node. */
export function fromItems(n: StoredNode | null): Bookmark[] {
  return (n?.items ?? []).flatMap((i) => {
    const c = elementFromBytes(Buffer.from(i.xml, 'utf8'));
    if (!c || c.name !== 'conference') return [];
    return [
      {
        jid: i.id,
        name: (c.attrs.name as string | undefined) || undefined,
        autojoin: yes(c.attrs.autojoin as string | undefined),
        nick: c.getChildText('nick') ?? undefined,
        password: c.getChildText('password') ?? undefined,
      },
    ];
  });
}

function storageOf(n: StoredNode | null): Element | undefined {
  const last = n?.items[n.items.length - 1];
  const el = last ? elementFromBytes(Buffer.from(last.xml, 'utf8')) : undefined;
  return el?.name === 'storage' && el.attrs.xmlns === NS_STORAGE ? el : undefined;
}

export class BookmarkSync {
  constructor(
    private readonly pep: Pep,
    private readonly deps: ModuleDeps,
    private readonly log: Logger,
  ) {}

  /** A client stored bookmarks in private XML: PEP follows. */
  async fromPrivate(user: string, storage: Element): Promise<void> {
    await this.pep.replace(user, NS_STORAGE, [{ id: 'current', payload: storage }], form(PRIVATE_NODE));
    await this.toBookmarks2(user, fromStorage(storage));
  }

  /**
   * A client changed a PEP node: the other forms follow, from the node as it
   * is now (not as that change left it: two changes in a row must end in the
   * later one), one conversion of a user at a time in this router.
   */
  changed(user: string, node: string): Promise<void> {
    if (node !== NS_STORAGE && node !== NS_BOOKMARKS2) return Promise.resolve();
    const run = (this.running.get(user) ?? Promise.resolve()).then(() => this.convert(user, node));
    const tail = run.catch(() => undefined);
    this.running.set(user, tail);
    void tail.then(() => this.running.get(user) === tail && this.running.delete(user));
    return run;
  }

  private readonly running = new Map<string, Promise<unknown>>();

  private async convert(user: string, node: string): Promise<void> {
    const n = await this.pep.d.store.node(user, node);
    if (node === NS_STORAGE) {
      const storage = storageOf(n) ?? toStorage([]);
      await this.toPrivate(user, storage);
      await this.toBookmarks2(user, fromStorage(storage));
    } else {
      const old = await readPrivate(this.deps, user, NS_STORAGE);
      const storage = toStorage(fromItems(n), old?.getChildren('url') ?? []);
      await this.toPrivate(user, storage);
      await this.pep.replace(user, NS_STORAGE, [{ id: 'current', payload: storage }], form(PRIVATE_NODE));
    }
  }

  private async toPrivate(user: string, storage: Element): Promise<void> {
    const err = await writePrivate(this.deps, user, [storage]);
    if (err) this.log.warn({ user, err: err.message }, 'bookmarks not copied to private XML storage');
  }

  private async toBookmarks2(user: string, bookmarks: readonly Bookmark[]): Promise<void> {
    // A room whose bookmark did not change keeps its item as the client wrote it (with its <extensions/>).
    const cur = await this.pep.d.store.node(user, NS_BOOKMARKS2);
    const had = new Map(fromItems(cur).map((b) => [b.jid, b]));
    const raw = new Map((cur?.items ?? []).map((i) => [i.id, elementFromBytes(Buffer.from(i.xml, 'utf8'))]));
    const same = (a: Bookmark, b: Bookmark | undefined) =>
      !!b && a.name === b.name && a.autojoin === b.autojoin && a.nick === b.nick && a.password === b.password;
    const items = bookmarks.map((b) => ({ id: b.jid, payload: (same(b, had.get(b.jid)) && raw.get(b.jid)) || conference(b) }));
    await this.pep.replace(user, NS_BOOKMARKS2, items, form({ ...PRIVATE_NODE, max_items: 'max' }));
  }
}
