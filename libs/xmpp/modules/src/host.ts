// Server-side modules, Prosody-style: each module declares what it adds to the
// addresses the server hosts (the domain's and accounts' disco#info
// identities, features and extended-information forms, the domain's
// disco#items) and IQ handlers keyed
// 'iq-<type>/<host|self|bare>/<ns>:<element>'. Several handlers may share a
// key: they run by priority until one answers (PASS lets the next try). The
// host turns a returned StanzaError into the error reply, so modules never
// build error XML. Unhandled requests get service-unavailable (RFC 6120 §8.3.3.19).
import { errorReply, firstElement, iqResult, StanzaError, type Element } from '@cx/xmpp-core';
import { CAPS_NODE, capsVer } from './disco/caps';
import type { ContactAddresses } from './disco/contact';
import type { InfoForm } from './disco/form';
import { insertByPriority } from './hooks';

/**
 * host: to the server; self: to the sender's own account; bare: to another
 * account's bare JID; full: to a full JID (answered by the server instead of
 * being delivered, only where a handler says so).
 */
export type Target = 'host' | 'self' | 'bare' | 'full';

/** The addresses the server answers for itself: its domain, and every account's bare JID. */
export type HostedKind = 'domain' | 'account';

export interface DiscoItem {
  jid: string;
  node?: string;
  name?: string;
}

/** What one hosted address shows in disco#info and disco#items (XEP-0030). */
export interface HostedAddress {
  identities: Identity[];
  features: string[];
  /** XEP-0128 extended information: data forms of type result, one per FORM_TYPE. */
  forms: InfoForm[];
  items: DiscoItem[];
}

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
  /** XEP-0157 contact addresses (settings CONTACT_*, read by the router and the edge). */
  readonly contacts?: ContactAddresses;
  /** Host of the group chat service (XEP-0045), when the router's muc module is enabled. */
  readonly mucDomain?: string;
  /** Host of the HTTP upload service (XEP-0363), when the router's upload module is on. */
  readonly uploadDomain?: string;
  /** Host of the SOCKS5 bytestreams proxy (XEP-0065), when the router's proxy65 module is enabled. */
  readonly proxyDomain?: string;
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
  /** The sender's connection (its session entry in the registry); '' when not known. */
  readonly connectionId: string;
  readonly host: ModuleHost;
  readonly deps: ModuleDeps;
  /**
   * Send a stanza to the sender now: a handler that must answer before it
   * does more (a roster push after the result) replies this way and returns
   * REPLIED.
   */
  reply(el: Element): void;
}

/** Returned by an IQ handler: not mine, let the next handler of the key (by priority) answer. */
export const PASS = 'pass' as const;
/** Returned by an IQ handler that answered through ctx.reply. */
export const REPLIED = 'replied' as const;

/** The result element's child (null: an empty result), an error, or PASS / REPLIED. */
export type IqOutcome = Element | null | StanzaError | typeof PASS | typeof REPLIED;
export type IqHandler = (ctx: IqContext) => IqOutcome | Promise<IqOutcome>;

export interface Identity {
  category: string;
  type: string;
  name?: string;
}

export interface ServerModule {
  readonly name: string;
  readonly spec: string;
  /** Features of the domain's disco#info (and so of the caps the edge advertises). */
  readonly features?: readonly string[];
  /**
   * Where the features are served when not by this module's handlers nor by
   * the router (the edge's c2s stream). A module with features and no
   * handlers must say, or be given its handlers by the router (ModuleHost.handle).
   */
  readonly servedBy?: string;
  /** Identities of the domain's disco#info. */
  readonly identities?: readonly Identity[];
  /**
   * XEP-0128 forms of the domain's disco#info (and so of the caps, §5.4),
   * from what the deps carry of the configuration (the edge has the same).
   */
  readonly forms?: (deps: ModuleDeps) => readonly InfoForm[];
  /** Items of the domain's disco#items (later conference.<domain>, upload.<domain>). */
  readonly items?: (domain: string, deps: ModuleDeps) => readonly DiscoItem[];
  /** What the module adds to an account's bare-JID disco#info. */
  readonly account?: {
    readonly identities?: readonly Identity[];
    readonly features?: readonly string[];
    /** Features served only with another module enabled (keyed by its name): advertised only then. */
    readonly featuresWith?: Readonly<Record<string, readonly string[]>>;
    readonly forms?: (deps: ModuleDeps) => readonly InfoForm[];
  };
  /** Remove what the module keeps for an account that is being removed. */
  readonly removeUser?: (user: string, deps: ModuleDeps) => Promise<void>;
  /**
   * Keys: 'iq-get/host/urn:xmpp:ping:ping' ('…:*': any element of the
   * namespace not handled by name). A null result means an empty iq result.
   */
  readonly handlers?: Readonly<Record<string, IqHandler>>;
}

export function defineModule(m: ServerModule): ServerModule {
  return m;
}

interface Registered {
  fn: IqHandler;
  priority: number;
  module: string;
}

export class ModuleHost {
  private readonly handlers = new Map<string, Registered[]>();
  /** The targets some handler is keyed for (kept as handlers are added). */
  private readonly targets = new Set<string>();

  /** Told about a handler that threw (the client gets internal-server-error). */
  onError?: (err: unknown, key: string) => void;

  constructor(
    readonly domain: string,
    readonly modules: readonly ServerModule[],
    readonly deps: ModuleDeps = noDeps,
  ) {
    for (const m of modules) for (const [key, h] of Object.entries(m.handlers ?? {})) this.handle(key, h, { module: m.name });
  }

  /**
   * Add an IQ handler (a router module's, set up with its services). Higher
   * priorities run first; equal ones in the order added.
   */
  handle(key: string, fn: IqHandler, opts: { priority?: number; module?: string } = {}): this {
    const chain = this.handlers.get(key) ?? [];
    insertByPriority(chain, { fn, priority: opts.priority ?? 0, module: opts.module ?? '' });
    this.handlers.set(key, chain);
    this.targets.add(key.split('/')[1]);
    return this;
  }

  /** Is any handler keyed for this target (routing parses IQs to full JIDs only then)? */
  servesTarget(target: Target): boolean {
    return this.targets.has(target);
  }

  /** Has this iq a handler (by name or '<ns>:*')? */
  handles(iq: Element, target: Target): boolean {
    return this.chainFor(iq, target, firstElement(iq)) !== undefined;
  }

  /** The handlers of an iq's key: its payload by name, else '<ns>:*' (every element of a namespace not handled by name). */
  private chainFor(iq: Element, target: Target, payload: Element | undefined): { key: string; chain: Registered[] } | undefined {
    if (!payload) return undefined;
    const ns = `iq-${iq.attrs.type}/${target}/${payload.attrs.xmlns ?? ''}:`;
    const key = `${ns}${payload.name}`;
    const chain = this.handlers.get(key) ?? this.handlers.get(`${ns}*`);
    return chain && { key, chain };
  }

  /** The modules that handle some IQ. */
  modulesHandling(): Set<string> {
    return new Set([...this.handlers.values()].flatMap((c) => c.map((e) => e.module)));
  }

  /** The modules handling a key, in the order they are asked. */
  handledBy(key: string): string[] {
    return (this.handlers.get(key) ?? []).map((e) => e.module);
  }

  /** What a hosted address shows in disco, assembled from the enabled modules. */
  hosted(kind: HostedKind): HostedAddress {
    if (kind === 'domain') {
      return {
        identities: this.identities(),
        features: this.features(),
        forms: this.forms(),
        items: this.modules.flatMap((m) => m.items?.(this.domain, this.deps) ?? []),
      };
    }
    return {
      identities: this.modules.flatMap((m) => m.account?.identities ?? []),
      features: [...new Set(this.modules.flatMap((m) => this.accountFeatures(m)))].sort(),
      forms: this.modules.flatMap((m) => m.account?.forms?.(this.deps) ?? []),
      items: [],
    };
  }

  identities(): Identity[] {
    return this.modules.flatMap((m) => m.identities ?? []);
  }

  features(): string[] {
    return [...new Set(this.modules.flatMap((m) => m.features ?? []))].sort();
  }

  private accountFeatures(m: ServerModule): readonly string[] {
    const withOthers = Object.entries(m.account?.featuresWith ?? {}).flatMap(([other, fs]) => (this.modules.some((x) => x.name === other) ? fs : []));
    return [...(m.account?.features ?? []), ...withOthers];
  }

  /** The domain's XEP-0128 forms, from the enabled modules. */
  forms(): InfoForm[] {
    return this.modules.flatMap((m) => m.forms?.(this.deps) ?? []);
  }

  private capsCache?: { node: string; ver: string; hash: string };

  /** XEP-0115: the caps this server advertises, from exactly what its disco#info answers (forms included, §5.4). */
  caps(): { node: string; ver: string; hash: string } {
    return (this.capsCache ??= {
      node: CAPS_NODE,
      hash: 'sha-1',
      ver: capsVer({ identities: this.identities(), features: this.features(), forms: this.forms() }),
    });
  }

  /** An account is being removed: every module removes what it keeps for it. */
  async removeUser(user: string): Promise<void> {
    await Promise.all(this.modules.map((m) => m.removeUser?.(user, this.deps)));
  }

  /**
   * Handle an iq get/set addressed to the server or to an account. Returns
   * the reply, or undefined when a handler sent it through `opts.send`
   * (without `send`, what a handler replies is returned).
   */
  handleIq(iq: Element, target: Target, from: string, toLocal?: string, opts?: { connectionId?: string }): Promise<Element>;
  handleIq(
    iq: Element,
    target: Target,
    from: string,
    toLocal: string,
    opts: { connectionId?: string; send: (el: Element) => void },
  ): Promise<Element | undefined>;
  async handleIq(
    iq: Element,
    target: Target,
    from: string,
    toLocal = '',
    opts: { connectionId?: string; send?: (el: Element) => void } = {},
  ): Promise<Element | undefined> {
    const replyFrom = target === 'host' ? this.domain : iq.attrs.to;
    const payload = firstElement(iq);
    const found = this.chainFor(iq, target, payload);
    if (!found || !payload) return errorReply(iq, new StanzaError('service-unavailable'), replyFrom);
    const { key, chain } = found;
    // RFC 6121 §8.5.1: for an account that does not exist, service-unavailable.
    if (target === 'bare' && !(await this.deps.userExists(toLocal))) return errorReply(iq, new StanzaError('service-unavailable'), replyFrom);
    let replied: Element | undefined;
    const reply = (el: Element) => (opts.send ? opts.send(el) : (replied = el));
    const user = from.slice(0, from.indexOf('@'));
    const addressed = target === 'bare' || target === 'full' ? toLocal : user;
    const ctx: IqContext = {
      iq,
      payload,
      from,
      user,
      target: addressed,
      domain: this.domain,
      connectionId: opts.connectionId ?? '',
      host: this,
      deps: this.deps,
      reply,
    };
    for (const h of chain) {
      let out: IqOutcome;
      try {
        out = await h.fn(ctx);
      } catch (err) {
        this.onError?.(err, key);
        return errorReply(iq, new StanzaError('internal-server-error'), replyFrom);
      }
      if (out === PASS) continue;
      if (out === REPLIED) return replied;
      if (out instanceof StanzaError) return errorReply(iq, out, replyFrom);
      return iqResult(iq, out ?? undefined, replyFrom);
    }
    return errorReply(iq, new StanzaError('service-unavailable'), replyFrom);
  }
}

const noDeps: ModuleDeps = {
  store: () => {
    throw new Error('no store configured');
  },
  userExists: async () => false,
  startedAt: Date.now(),
};
