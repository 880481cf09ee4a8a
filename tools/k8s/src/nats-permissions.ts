// The one source of the NATS users and what each may do: every service logs
// in as its own user (NATS_USER = the service's name, NATS_PASSWORD from the
// Secret nats-users) and may touch only the subjects, KV buckets and streams
// it uses. The authorization block of k8s/base/nats.conf and
// k8s/overlays/production/nats.conf is rendered from this table (a manifest
// check fails when they differ: `UPDATE_NATS_AUTH=1 vitest run --root tools/k8s`
// rewrites them), the e2e suite runs nats-server with it, and a check ties the
// names below to the constants the code uses (libs/infra/bus/src/subjects.ts,
// the bucket and stream names of each store).

export type NatsService = 'edge' | 'auth' | 'session' | 'router' | 'upload';
export const natsServices: readonly NatsService[] = ['edge', 'auth', 'session', 'router', 'upload'];

export interface NatsAccess {
  /** KV buckets it reads, writes, watches and creates. */
  kv: string[];
  /** Streams it creates, reads with consumers and publishes to (the subjects it publishes to are in `publish`). */
  streams: string[];
  /** Core subjects it publishes to (deliveries, events, stream subjects). */
  publish: string[];
  /** Core subjects it subscribes to. */
  subscribe: string[];
  /** It answers requests (nats-server allow_responses: a reply to the inbox of a request it received, and nothing else on _INBOX). */
  responds?: boolean;
  /** JetStream object stores (stream OBJ_<name>, subjects $O.<name>.>) it creates, writes, reads and deletes from. */
  objects?: string[];
}

export const natsAccess: Record<NatsService, NatsAccess> = {
  edge: {
    // xmpp_components: where external components (XEP-0114) are connected, written on their handshake.
    // xmpp_proxy65: which edge holds the first half of a SOCKS5 stream (XEP-0065).
    kv: ['xmpp_edges', 'xmpp_sm', 'xmpp_components', 'xmpp_proxy65'],
    streams: ['xmpp_sm'],
    // xmpp.offline-handled: offline messages that reached the client, a request to the routers.
    // xmpp.edge.*: a component that connected again closes its old connection on another edge (conflict).
    publish: ['xmpp.sm.*', 'xmpp.offline-handled', 'xmpp.edge.*'],
    // xmpp.proxy65.*: the routers' XEP-0065 requests (where the proxy listens, activate), answered through allow_responses.
    subscribe: ['xmpp.edge.*', 'xmpp.proxy65.*'],
    responds: true,
  },
  auth: {
    kv: ['xmpp_accounts', 'xmpp_ldap_scram'],
    streams: ['xmpp_account_removals'],
    publish: ['xmpp.account.removed.*'],
    subscribe: [],
  },
  session: {
    kv: ['xmpp_sessions', 'xmpp_edges'],
    streams: [],
    publish: ['xmpp.session.bound', 'xmpp.session.ended', 'xmpp.edge.*'],
    subscribe: [],
  },
  router: {
    kv: [
      'xmpp_sessions',
      'xmpp_rosters',
      'xmpp_private',
      'xmpp_vcards',
      'xmpp_blocklists',
      'xmpp_last',
      'xmpp_sm',
      'xmpp_offline_bytes',
      'xmpp_pep',
      'xmpp_caps',
      'xmpp_mam_prefs',
      'xmpp_mam_retracted',
      'xmpp_muc',
      'xmpp_muc_leases',
      'xmpp_components',
      // XEP-0363: a user's usage (the quota), and an account's file entries to remove.
      'xmpp_upload_files',
    ],
    streams: ['xmpp_offline', 'xmpp_sm', 'xmpp_account_removals', 'xmpp_mam', 'xmpp_muc_in'],
    // _INBOX.>: the answers to the edges' xmpp.offline-handled requests.
    // xmpp.proxy65.*: XEP-0065 requests to the edges (router module proxy65).
    publish: ['xmpp.edge.*', 'xmpp.sm.*', 'xmpp.offline.>', 'xmpp.presence.changed', '_INBOX.>', 'xmpp.mam.>', 'xmpp.muc.in.*', 'xmpp.proxy65.*'],
    subscribe: ['xmpp.session.ended', 'xmpp.account.removed.*', 'xmpp.offline-handled'],
  },
  // XEP-0363's HTTP side: file entries and usage in KV, the bytes in an object store.
  upload: { kv: ['xmpp_upload_files'], streams: [], objects: ['xmpp_upload'], publish: [], subscribe: [] },
};

/** JetStream API subjects for one stream: info, create/update, reading messages, consumers, acks and flow control. */
function streamApi(stream: string): string[] {
  return [
    `$JS.API.STREAM.INFO.${stream}`,
    `$JS.API.STREAM.CREATE.${stream}`,
    `$JS.API.STREAM.UPDATE.${stream}`,
    `$JS.API.STREAM.MSG.GET.${stream}`,
    `$JS.API.STREAM.MSG.DELETE.${stream}`,
    `$JS.API.DIRECT.GET.${stream}`,
    `$JS.API.DIRECT.GET.${stream}.>`,
    `$JS.API.CONSUMER.CREATE.${stream}`,
    `$JS.API.CONSUMER.CREATE.${stream}.>`,
    `$JS.API.CONSUMER.DURABLE.CREATE.${stream}.>`,
    `$JS.API.CONSUMER.INFO.${stream}.>`,
    `$JS.API.CONSUMER.DELETE.${stream}.>`,
    `$JS.API.CONSUMER.MSG.NEXT.${stream}.>`,
    `$JS.ACK.${stream}.>`,
    `$JS.FC.${stream}.>`,
  ];
}

/** The subjects a service may publish to and subscribe to. */
export function natsPermissions(service: NatsService): { publish: string[]; subscribe: string[]; responds: boolean } {
  const a = natsAccess[service];
  const objects = a.objects ?? [];
  const streams = [...a.kv.map((b) => `KV_${b}`), ...objects.map((o) => `OBJ_${o}`), ...a.streams];
  // Purging (a user's subject of a stream: account removal, xmppctl) only on its own streams, not on KV buckets; an object store deletes an object by purging its chunks.
  const purge = [...a.streams, ...objects.map((o) => `OBJ_${o}`)].map((s) => `$JS.API.STREAM.PURGE.${s}`);
  const publish = ['$JS.API.INFO', ...a.kv.map((b) => `$KV.${b}.>`), ...objects.map((o) => `$O.${o}.>`), ...streams.flatMap(streamApi), ...purge, ...a.publish];
  return { publish: [...new Set(publish)], subscribe: ['_INBOX.>', ...a.subscribe], responds: !!a.responds };
}

/** The environment variable nats-server reads a service's password from (the Secret nats-users). */
export const natsPasswordVar = (user: string) => `NATS_PASSWORD_${user.toUpperCase()}`;

const list = (xs: string[], indent: string) => `[\n${xs.map((x) => `${indent}  "${x}"`).join('\n')}\n${indent}]`;

export const AUTH_BEGIN = '# BEGIN authorization: generated from tools/k8s/src/nats-permissions.ts, do not edit';
export const AUTH_END = '# END authorization';

/**
 * The authorization block of nats.conf: one user per service with its
 * permissions, and `admin` (the nats CLI for operators) with all of them.
 */
export function natsAuthorization(): string {
  const users = natsServices.map((s) => {
    const p = natsPermissions(s);
    return `    {\n      user: ${s}\n      password: $${natsPasswordVar(s)}\n      permissions: {\n        publish: { allow: ${list(p.publish, '        ')} }\n        subscribe: { allow: ${list(p.subscribe, '        ')} }\n${p.responds ? '        allow_responses: true\n' : ''}      }\n    }`;
  });
  users.push(`    { user: admin, password: $${natsPasswordVar('admin')} }`);
  return `${AUTH_BEGIN}\nauthorization {\n  users: [\n${users.join('\n')}\n  ]\n}\n${AUTH_END}\n`;
}

/** The generated block as it appears in a nats.conf text, or undefined. */
export function authorizationIn(conf: string): string | undefined {
  const start = conf.indexOf(AUTH_BEGIN);
  const end = conf.indexOf(AUTH_END);
  return start < 0 || end < 0 ? undefined : conf.slice(start, end + AUTH_END.length + 1);
}

/** Whether a NATS subject matches a pattern with `*` (one token) and `>` (the rest). */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}
