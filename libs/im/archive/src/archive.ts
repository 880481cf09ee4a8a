// A user's message archive (XEP-0313) behind an interface: the router's mam
// module speaks only this, so a SQL backend can be added beside the JetStream
// one (jetstream-archive.ts) without touching the module.

/** One archived message: its id (the XEP-0359 stanza-id), when, with whom, and the stanza as archived. */
export interface ArchivedMessage {
  id: string;
  /** When it was archived (ms since the epoch): the XEP-0203 delay of the result. */
  ts: number;
  /** The other party's JID as the stanza named it (from for a received message, to for a sent one). */
  with: string;
  xml: string;
}

/**
 * What a query asks (XEP-0313 §4, XEP-0059). `before: ''` is the last page;
 * neither after nor before: the first page. `with` a bare JID matches every
 * resource of it, a full JID only that one (§4.1.1).
 */
export interface ArchiveQuery {
  with?: string;
  /** ms since the epoch, inclusive. */
  start?: number;
  end?: number;
  after?: string;
  before?: string;
  max: number;
}

/** A page, oldest first; complete: nothing more in the direction of paging (XEP-0313 §4.3). */
export interface ArchivePage {
  items: ArchivedMessage[];
  complete: boolean;
}

export interface Archive {
  /** A new id, unique across replicas, for a message about to be archived (its stanza-id, stamped before the append). */
  nextId(): string;
  /**
   * Archive a message under that id in `user`'s archive (a bare JID). Appends
   * to one archive are kept in the order of the calls.
   */
  append(user: string, entry: { id: string; with: string; xml: string }): Promise<void>;
  /**
   * When too many appends are queued for `user`'s archive, a promise of their
   * end: the caller (routing) waits, so a burst to one archive pushes back on
   * its senders instead of queueing without bound. Undefined otherwise.
   */
  backlog(user: string): Promise<void> | undefined;
  /** Resolves once every append begun before the call is done (stored or failed); never rejects. */
  settled(): Promise<void>;
  /** A page of `user`'s archive; 'item-not-found' when after/before names no message of it. */
  query(user: string, q: ArchiveQuery): Promise<ArchivePage | 'item-not-found'>;
  /**
   * Replace the message `id` of `user`'s archive by a tombstone (XEP-0424 /
   * XEP-0425) made from it: later pages carry the tombstone's XML in its
   * place, with the same id and time. Resolves with the message as it was;
   * 'item-not-found': no such message; 'full': too many tombstones in this
   * archive already.
   */
  retract(user: string, id: string, tombstone: (original: ArchivedMessage) => string): Promise<ArchivedMessage | 'item-not-found' | 'full'>;
  /** Delete everything in `user`'s archive (xmppctl, account removal). */
  purge(user: string): Promise<void>;
  /** Messages and archives held (metrics). */
  totals(): Promise<{ messages: number; archives: number }>;
}
