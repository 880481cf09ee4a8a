// Server-side IQ modules, Prosody-style: each module declares the disco
// features it adds and handlers keyed 'iq-<type>/<host|self>/<ns>:<element>'.
// The host turns a returned StanzaError into the error reply, so modules never
// build error XML. Unhandled requests get service-unavailable (RFC 6120 §8.3.3.19).
import { errorReply, firstElement, iqResult, StanzaError, type Element } from '@cx/xmpp-core';

export type Target = 'host' | 'self';

export interface IqContext {
  readonly iq: Element;
  readonly payload: Element;
  /** Full JID of the sender. */
  readonly from: string;
  readonly domain: string;
  readonly host: ModuleHost;
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
  readonly identities?: readonly Identity[];
  /** Keys: 'iq-get/host/urn:xmpp:ping:ping'. A null result means an empty iq result. */
  readonly handlers?: Readonly<Record<string, IqHandler>>;
}

export function defineModule(m: ServerModule): ServerModule {
  return m;
}

export class ModuleHost {
  private readonly handlers = new Map<string, IqHandler>();

  constructor(readonly domain: string, readonly modules: readonly ServerModule[]) {
    for (const m of modules) for (const [key, h] of Object.entries(m.handlers ?? {})) this.handlers.set(key, h);
  }

  identities(): Identity[] {
    return this.modules.flatMap((m) => m.identities ?? []);
  }

  features(): string[] {
    return [...new Set(this.modules.flatMap((m) => m.features ?? []))].sort();
  }

  /** Handle an iq get/set addressed to the server or to the sender's own account; returns the reply. */
  async handleIq(iq: Element, target: Target, from: string): Promise<Element> {
    const replyFrom = target === 'host' ? this.domain : undefined;
    const payload = firstElement(iq);
    const key = payload ? `iq-${iq.attrs.type}/${target}/${payload.attrs.xmlns ?? ''}:${payload.name}` : '';
    const handler = this.handlers.get(key);
    if (!handler || !payload) return errorReply(iq, new StanzaError('service-unavailable'), replyFrom);
    try {
      const out = await handler({ iq, payload, from, domain: this.domain, host: this });
      if (out instanceof StanzaError) return errorReply(iq, out, replyFrom);
      return iqResult(iq, out ?? undefined, replyFrom);
    } catch {
      return errorReply(iq, new StanzaError('internal-server-error'), replyFrom);
    }
  }
}
