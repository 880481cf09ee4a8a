// RFC 7622 §3.1: an XMPP address (JID) is [ localpart "@" ] domainpart
// [ "/" resourcepart ]. A Jid holds already prepared (canonical) parts, so
// comparison (§3.1, "MUST be compared after preparation") is plain string
// equality of the parts.

/** Guards the constructor: only the parse/prepare functions of this folder build Jids. */
export const PREPARED: unique symbol = Symbol('prepared-jid');

export class Jid {
  readonly local: string;
  readonly domain: string;
  readonly resource: string;
  #bare: Jid | undefined;
  #string: string | undefined;

  /** @internal Use parseJid(), tryParseJid() or jid(); the parts must already be prepared. */
  constructor(token: typeof PREPARED, local: string, domain: string, resource: string) {
    if (token !== PREPARED) throw new TypeError('Use parseJid() or jid() to create a Jid');
    this.local = local;
    this.domain = domain;
    this.resource = resource;
    if (resource === '') this.#bare = this;
  }

  /** The bare JID (localpart@domainpart), i.e. without the resourcepart. Cached. */
  get bare(): Jid {
    return (this.#bare ??= new Jid(PREPARED, this.local, this.domain, ''));
  }

  isBare(): boolean {
    return this.resource === '';
  }

  /** The canonical string form. Cached. */
  toString(): string {
    if (this.#string === undefined) {
      const local = this.local === '' ? '' : `${this.local}@`;
      const resource = this.resource === '' ? '' : `/${this.resource}`;
      this.#string = `${local}${this.domain}${resource}`;
    }
    return this.#string;
  }

  toJSON(): string {
    return this.toString();
  }

  equals(other: Jid): boolean {
    return this === other || (this.domain === other.domain && this.local === other.local && this.resource === other.resource);
  }
}
