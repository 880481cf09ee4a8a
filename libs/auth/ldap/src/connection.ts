// Opening one LDAP connection: ldaps://, or ldap:// upgraded with StartTLS
// (RFC 4513 §3) before any bind, so passwords never cross in clear unless the
// operator turned StartTLS off.
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { Client } from 'ldapts';
import type { LdapOptions } from './options';

export class LdapConfigError extends Error {
  override name = 'LdapConfigError';
}

function tlsOptions(o: LdapOptions, host: string): ConnectionOptions {
  const opts: ConnectionOptions = { host, rejectUnauthorized: o.tlsVerify !== false, minVersion: 'TLSv1.2' };
  if (!isIP(host)) opts.servername = host;
  if (o.tlsCa) opts.ca = o.tlsCa;
  return opts;
}

function parseUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new LdapConfigError(`not a URL: ${url}`);
  }
  if (u.protocol !== 'ldap:' && u.protocol !== 'ldaps:') throw new LdapConfigError(`expected ldap:// or ldaps://, got ${url}`);
  return u;
}

/** Throws LdapConfigError when the URL cannot be used. */
export function checkUrl(url: string): void {
  parseUrl(url);
}

export interface Connection {
  client: Client;
  /** Whether the transport is (still) the one we set up; a dropped socket must not be silently reopened. */
  usable(): boolean;
  close(): Promise<void>;
}

/** Connect (and StartTLS when asked); the caller binds. */
export async function openConnection(o: LdapOptions): Promise<Connection> {
  const u = parseUrl(o.url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const tls = tlsOptions(o, host);
  // ldapts opens TLS at once whenever it is given tlsOptions, so only ldaps:// gets them here.
  const client = new Client({
    url: `${u.protocol}//${u.host}`,
    timeout: o.timeoutMs,
    connectTimeout: o.timeoutMs,
    ...(u.protocol === 'ldaps:' ? { tlsOptions: tls } : {}),
  });
  const close = () => client.unbind().catch(() => undefined);
  const startTls = u.protocol === 'ldap:' && o.startTls;
  try {
    if (startTls) await client.startTLS(tls);
  } catch (err) {
    await close();
    throw err;
  }
  // ldapts reconnects a dropped socket by itself: fine for ldaps:// and plain
  // ldap://, but after StartTLS that new socket would be unencrypted.
  return { client, usable: () => !startTls || client.isConnected, close };
}
