// Server-side IQ modules, Prosody-style: each module declares the disco
// features it adds and handlers keyed 'iq-<type>/<host|self>/<ns>:<element>'.
// The host turns a returned StanzaError into the error reply, so modules never
// build error XML. Unhandled requests get service-unavailable (RFC 6120 §8.3.3.19).
import { errorReply, firstElement, iqResult, StanzaError, type Element } from '@cx/xmpp-core';
import { CAPS_NODE, capsVer } from './disco/caps';

/** host: to the server; self: to the sender's own account; bare: to another account's bare JID. */
export type Target = 'host' | 'self' | 'bare';

/** A key → bytes store (JetStream KV in production); keys are lists of parts. */
export interface DocStore {
  get(key: readonly string[]): Promise<Uint8Array | null>;
  put(key: readonly string[], value: Uint8Array): Promise<void>;
  delete(key: readonly string[]): Promise<void>;
  /**
   * Read-modify-write of one key with a revision check, so concurrent writers
   * never lose an update: `decide` gets the current value and returns the new
   * one (null deletes the key, undefined leaves it) and a result.
   */
  update<T>(key: readonly string[], decide: (cur: Uint8Array | null) => { next: Uint8Array | null | undefined; result: T }): Promise<T>;
  /** Remove the key and every key under it (its parts followed by more). */
  removeAll(prefix: readonly string[]): Promise<void>;
}

/** Per-user storage bounds of the modules (router settings PRIVATE_MAX_ITEMS, PRIVATE_MAX_BYTES, VCARD_MAX_BYTES). */
export interface ModuleLimits {
  /** XEP-0049: namespaces stored per user. */
  privateMaxItems: number;
  /** XEP-0049: bytes stored per user (all namespaces together). */
  privateMaxBytes: number;
  /** XEP-0054: bytes of one vCard. */
  vcardMaxBytes: number;
}

export const DEFAULT_MODULE_LIMITS: ModuleLimits = { privateMaxItems: 64, privateMaxBytes: 256 * 1024, vcardMaxBytes: 256 * 1024 };

/** What modules may use besides the stanza. */
export interface ModuleDeps {
  /** A store per bucket name (opened on first use). */
  store(bucket: string): DocStore;
  userExists(username: string): Promise<boolean>;
  /** When this server process started (for XEP-0012 on the server). */
  readonly startedAt: number;
  /** Storage bounds (DEFAULT_MODULE_LIMITS where not given). */
  readonly limits?: Partial<ModuleLimits>;
  /** A write was refused because it would exceed a bound of `store` (a metric). */
  rejected?(store: string): void;
}

/** The bounds in force for these deps. */
export function moduleLimits(deps: ModuleDeps): ModuleLimits {
  return { ...DEFAULT_MODULE_LIMITS, ...deps.limits };
}

export interface IqContext {
  readonly iq: Element;
  readonly payload: Element;
  /** Full JID of the sender. */
  readonly from: string;
  /** Local part of the sender. */
  readonly user: string;
  /** For target 'bare': the local part addressed. */
  readonly target: string;
  readonly domain: string;
  readonly host: ModuleHost;
  readonly deps: ModuleDeps;
}

export type IqHandler = (ctx: IqContext) => Element | null | StanzaError | Promise<Element | null | StanzaError>;

export interface Identity {
  category: string;
  type: string;
  name?: string;
}

export interface ServerModule {
  readonly name: string;
  readonly spec: string;
  readonly features?: readonly string[];
  /**
   * Where the features are served when not by this module's handlers (the
   * router's IM code, the edge's c2s stream). A module with features and no
   * handlers must say, so nothing is advertised that nobody serves.
   */
  readonly servedBy?: string;
  readonly identities?: readonly Identity[];
  /** Remove what the module keeps for an account that is being removed. */
  readonly removeUser?: (user: string, deps: ModuleDeps) => Promise<void>;
  /** Keys: 'iq-get/host/urn:xmpp:ping:ping'. A null result means an empty iq result. */
  readonly handlers?: Readonly<Record<string, IqHandler>>;
}

export function defineModule(m: ServerModule): ServerModule {
  return m;
}

export class ModuleHost {
  private readonly handlers = new Map<string, IqHandler>();

  /** Told about a handler that threw (the client gets internal-server-error). */
  onError?: (err: unknown, key: string) => void;

  constructor(readonly domain: string, readonly modules: readonly ServerModule[], readonly deps: ModuleDeps = noDeps) {
    for (const m of modules) for (const [key, h] of Object.entries(m.handlers ?? {})) this.handlers.set(key, h);
  }

  identities(): Identity[] {
    return this.modules.flatMap((m) => m.identities ?? []);
  }

  features(): string[] {
    return [...new Set(this.modules.flatMap((m) => m.features ?? []))].sort();
  }

  private capsCache?: { node: string; ver: string; hash: string };

  /** XEP-0115: the caps this server advertises, from exactly what its disco#info answers. */
  caps(): { node: string; ver: string; hash: string } {
    return (this.capsCache ??= { node: CAPS_NODE, hash: 'sha-1', ver: capsVer({ identities: this.identities(), features: this.features() }) });
  }

  /** An account is being removed: every module removes what it keeps for it. */
  async removeUser(user: string): Promise<void> {
    await Promise.all(this.modules.map((m) => m.removeUser?.(user, this.deps)));
  }

  /** Handle an iq get/set addressed to the server or to an account; returns the reply. */
  async handleIq(iq: Element, target: Target, from: string, toLocal = ''): Promise<Element> {
    const replyFrom = target === 'host' ? this.domain : iq.attrs.to;
    const payload = firstElement(iq);
    const key = payload ? `iq-${iq.attrs.type}/${target}/${payload.attrs.xmlns ?? ''}:${payload.name}` : '';
    const handler = this.handlers.get(key);
    if (!handler || !payload) return errorReply(iq, new StanzaError('service-unavailable'), replyFrom);
    // RFC 6121 §8.5.1: for an account that does not exist, service-unavailable.
    if (target === 'bare' && !(await this.deps.userExists(toLocal))) return errorReply(iq, new StanzaError('service-unavailable'), replyFrom);
    try {
      const user = from.slice(0, from.indexOf('@'));
      const addressed = target === 'bare' ? toLocal : user;
      const out = await handler({ iq, payload, from, user, target: addressed, domain: this.domain, host: this, deps: this.deps });
      if (out instanceof StanzaError) return errorReply(iq, out, replyFrom);
      return iqResult(iq, out ?? undefined, replyFrom);
    } catch (err) {
      this.onError?.(err, key);
      return errorReply(iq, new StanzaError('internal-server-error'), replyFrom);
    }
  }
}

const noDeps: ModuleDeps = {
  store: () => {
    throw new Error('no store configured');
  },
  userExists: async () => false,
  startedAt: Date.now(),
};
