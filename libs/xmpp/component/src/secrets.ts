// COMPONENTS: the components this server accepts, as `domain=secret` items.
// A bare subdomain (`bot=s3cret`) is taken under the server's domain.

/** component domain → shared secret; throws with the item at fault. */
export function parseComponents(items: readonly string[], serverDomain: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of items) {
    const eq = item.indexOf('=');
    const name = (eq > 0 ? item.slice(0, eq) : '').trim().toLowerCase();
    const secret = eq > 0 ? item.slice(eq + 1) : '';
    // Never the secret in the message: only what comes before '='.
    if (!name || !secret) throw new Error(`COMPONENTS: "${eq >= 0 ? item.slice(0, eq) : item}" is not domain=secret`);
    const domain = name.includes('.') ? name : `${name}.${serverDomain}`;
    if (domain === serverDomain) throw new Error(`COMPONENTS: ${domain} is the server's own domain`);
    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(domain)) throw new Error(`COMPONENTS: "${domain}" is not a domain name`);
    out.set(domain, secret);
  }
  return out;
}
