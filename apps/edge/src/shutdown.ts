// What an edge tells its clients on SIGTERM (RFC 6120 §4.9.3): `system-shutdown`,
// or `see-other-host` (§4.9.3.19) naming another edge or the load balancer
// when SHUTDOWN_REDIRECT is set, so clients reconnect there at once.
import type { Setting } from '@cx/config';
import type { StreamErrorCondition } from '@cx/xmpp-core';

/** host, host:port, IPv6 in brackets with an optional port (the forms §4.9.3.19 shows). */
const HOST_PORT = /^(?:\[[0-9A-Fa-f:.]+\]|[^\s:[\]/]+)(?::\d{1,5})?$/;

export function redirectSetting(description: string): Setting<string> {
  return {
    kind: 'host[:port]',
    default: '',
    description,
    parse(raw) {
      const v = raw.trim();
      const port = /:(\d+)$/.exec(v)?.[1];
      if (!HOST_PORT.test(v) || (port !== undefined && Number(port) > 65535)) throw new Error(`expected host, host:port or [IPv6]:port, got "${raw}"`);
      return v;
    },
  };
}

export function shutdownError(redirect: string): { condition: StreamErrorCondition; text: string } {
  if (redirect) return { condition: 'see-other-host', text: redirect };
  return { condition: 'system-shutdown', text: 'the server is restarting' };
}
