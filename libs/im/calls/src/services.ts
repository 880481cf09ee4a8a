// XEP-0215 External Service Discovery (v2): the STUN and TURN servers the
// server knows of, with temporary TURN credentials (turn-credentials.ts).
import { StanzaError, x, type Element } from '@cx/xmpp-core';
import { turnCredentials } from './turn-credentials';

export const NS_EXTDISCO = 'urn:xmpp:extdisco:2';

export const SERVICE_TYPES = ['stun', 'turn', 'turns'] as const;
export type ServiceType = (typeof SERVICE_TYPES)[number];

export interface ExternalService {
  type: ServiceType;
  host: string;
  port: number;
  transport: 'udp' | 'tcp';
}

/** TURN credentials are handed out when a secret is shared with the TURN server (coturn's static-auth-secret). */
export interface ExtdiscoOptions {
  services: readonly ExternalService[];
  secret: string;
  ttlS: number;
}

/**
 * One service of the setting EXTDISCO_SERVICES: `type:host:port[:transport]`
 * (transport udp by default, tcp for turns), e.g. `turn:turn.example.org:3478:tcp`;
 * a host that is an IPv6 address goes in brackets.
 */
export function parseService(spec: string): ExternalService {
  const m = /^(stun|turns?):(\[[^\]]+\]|[^:[\]]+):(\d{1,5})(?::(udp|tcp))?$/.exec(spec.trim());
  if (!m) throw new Error(`"${spec}" is not type:host:port[:transport] (type stun, turn or turns; transport udp or tcp)`);
  const type = m[1] as ServiceType;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) throw new Error(`"${spec}": port ${port} out of range`);
  const transport = (m[4] as 'udp' | 'tcp' | undefined) ?? (type === 'turns' ? 'tcp' : 'udp');
  if (type === 'turns' && transport !== 'tcp') throw new Error(`"${spec}": turns runs over TLS, so tcp`);
  return { type, host: m[2].replace(/^\[|\]$/g, ''), port, transport };
}

const needsCredentials = (s: ExternalService) => s.type !== 'stun';

function serviceElement(s: ExternalService, opts: ExtdiscoOptions, user: string, nowMs: number): Element {
  const attrs: Record<string, string | number> = { host: s.host, port: s.port, transport: s.transport, type: s.type };
  if (needsCredentials(s) && opts.secret) {
    const c = turnCredentials({ secret: opts.secret, user, ttlS: opts.ttlS, nowMs });
    Object.assign(attrs, { username: c.username, password: c.password, expires: c.expires, restricted: '1' });
  }
  return x('service', attrs);
}

/** The answer to `<services/>` (§3.2; `type` filters, §3.3) from `user` (a bare JID). */
export function servicesAnswer(query: Element, opts: ExtdiscoOptions, user: string, nowMs = Date.now()): Element {
  const type = query.attrs.type as string | undefined;
  const chosen = opts.services.filter((s) => !type || s.type === type);
  return x(
    'services',
    { xmlns: NS_EXTDISCO, ...(type ? { type } : {}) },
    chosen.map((s) => serviceElement(s, opts, user, nowMs)),
  );
}

/**
 * The answer to `<credentials><service host type [port]/></credentials>`
 * (§3.4): fresh credentials for the services named; item-not-found when the
 * server knows none of them, or has no credentials to give.
 */
export function credentialsAnswer(query: Element, opts: ExtdiscoOptions, user: string, nowMs = Date.now()): Element | StanzaError {
  const asked = query.getChildren('service');
  if (!asked.length) return new StanzaError('bad-request', 'name a service: <service host type/>');
  const found = opts.services.filter(
    (s) =>
      needsCredentials(s) &&
      asked.some((a) => a.attrs.host === s.host && a.attrs.type === s.type && (a.attrs.port === undefined || Number(a.attrs.port) === s.port)),
  );
  if (!found.length || !opts.secret) return new StanzaError('item-not-found', 'no credentials for that service');
  return x(
    'credentials',
    { xmlns: NS_EXTDISCO },
    found.map((s) => serviceElement(s, opts, user, nowMs)),
  );
}
