// NATS users and permissions (issue 9 #14): the authorization block of each
// nats.conf is the one nats-permissions.ts renders, each service's user may use
// exactly the subjects, buckets and streams the code names (the constants
// below), and no other service's.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
/* eslint-disable @nx/enforce-module-boundaries -- the names the services use, from where they are defined */
import { ACCOUNT_REMOVALS_STREAM, partitionedNames, removalSubject, buckets, subjects } from '@cx/bus';
import { ROSTER_BUCKET } from '@cx/roster';
import { OFFLINE_BYTES_BUCKET, OFFLINE_STREAM, offlineSubject } from '@cx/offline';
import { SM_BUCKET, SM_STREAM, smSubject } from '@cx/sm';
import { LDAP_SCRAM_BUCKET } from '@cx/auth-ldap';
import { archiveSubject, MAM_STREAM, RETRACTED_BUCKET } from '@cx/archive';
import { PRIVATE_BUCKET } from '../../../libs/xmpp/modules/src/private/private';
import { VCARD_BUCKET } from '../../../libs/xmpp/modules/src/vcard/vcard';
import { BLOCKLIST_BUCKET } from '@cx/app-router/src/modules/blocking/blocking';
import { LAST_BUCKET } from '@cx/app-router/src/modules/last/last-activity';
import { PREFS_BUCKET } from '@cx/app-router/src/modules/mam/prefs';
import { CAPS_BUCKET, PEP_BUCKET } from '@cx/pubsub';
import { MUC_BUCKET, MUC_PARTITIONED } from '@cx/muc';
import { UPLOAD_BUCKET, UPLOAD_INDEX_BUCKET } from '@cx/upload';

const mucInbox = partitionedNames(MUC_PARTITIONED);
/* eslint-enable @nx/enforce-module-boundaries */
import { authorizationIn, natsAccess, natsAuthorization, natsPermissions, natsServices, render, root, subjectMatches, type NatsService } from './index';

const confFiles = ['k8s/base/nats.conf', 'k8s/overlays/production/nats.conf'];

/** What each service does on NATS, in the code's own names. */
const uses: Record<NatsService, { kv: string[]; streams: string[]; publish: string[]; subscribe: string[] }> = {
  edge: {
    kv: [buckets.edges, SM_BUCKET, buckets.components, buckets.proxy65],
    streams: [SM_STREAM],
    // A component's takeover closes its old connection on another edge.
    publish: [smSubject('edge-1'), subjects.offlineHandled, subjects.edge('edge-1')],
    subscribe: [subjects.edge('edge-1'), subjects.proxy65Where, subjects.proxy65Activate],
  },
  auth: { kv: [buckets.accounts, LDAP_SCRAM_BUCKET], streams: [ACCOUNT_REMOVALS_STREAM], publish: [removalSubject('juliet')], subscribe: [] },
  session: {
    kv: [buckets.sessions, buckets.edges],
    streams: [],
    publish: [subjects.sessionBound, subjects.sessionEnded, subjects.edge('edge-1')],
    subscribe: [],
  },
  router: {
    kv: [
      buckets.sessions,
      ROSTER_BUCKET,
      PRIVATE_BUCKET,
      VCARD_BUCKET,
      BLOCKLIST_BUCKET,
      LAST_BUCKET,
      SM_BUCKET,
      OFFLINE_BYTES_BUCKET,
      PEP_BUCKET,
      MUC_BUCKET,
      mucInbox.bucket,
      CAPS_BUCKET,
      PREFS_BUCKET,
      RETRACTED_BUCKET,
      buckets.components,
      UPLOAD_INDEX_BUCKET,
    ],
    streams: [OFFLINE_STREAM, SM_STREAM, ACCOUNT_REMOVALS_STREAM, MAM_STREAM, mucInbox.stream],
    publish: [
      subjects.edge('edge-1'),
      smSubject('edge-1'),
      offlineSubject('juliet@example.org'),
      subjects.presenceChanged,
      '_INBOX.abc.1',
      archiveSubject('juliet@example.org'),
      mucInbox.subject(3),
      `$JS.API.STREAM.PURGE.${MAM_STREAM}`,
      `$JS.API.STREAM.PURGE.${OFFLINE_STREAM}`,
      subjects.proxy65Where,
      subjects.proxy65Activate,
    ],
    subscribe: [subjects.sessionEnded, removalSubject('juliet'), subjects.offlineHandled],
  },
  upload: {
    kv: [UPLOAD_INDEX_BUCKET],
    streams: [],
    publish: [
      `$O.${UPLOAD_BUCKET}.C.abc`,
      `$O.${UPLOAD_BUCKET}.M.abc`,
      `$JS.API.STREAM.INFO.OBJ_${UPLOAD_BUCKET}`,
      `$JS.API.STREAM.PURGE.OBJ_${UPLOAD_BUCKET}`,
    ],
    subscribe: [],
  },
};

const allowed = (patterns: string[], subject: string) => patterns.some((p) => subjectMatches(p, subject));

/** Subjects a client of a KV bucket sends to. */
const kvSubjects = (b: string) => [
  `$KV.${b}.juliet=40example=2Eorg`,
  `$JS.API.STREAM.INFO.KV_${b}`,
  `$JS.API.CONSUMER.CREATE.KV_${b}.c1.$KV.${b}.>`,
  `$JS.API.DIRECT.GET.KV_${b}.$KV.${b}.k`,
];

describe('NATS users and permissions', () => {
  it.each(confFiles)('%s carries the generated authorization block', (file) => {
    const path = join(root, file);
    const text = readFileSync(path, 'utf8');
    if (process.env.UPDATE_NATS_AUTH) {
      const old = authorizationIn(text);
      writeFileSync(path, old ? text.replace(old, natsAuthorization()) : `${text}\n${natsAuthorization()}`);
      return;
    }
    expect(authorizationIn(text), 'UPDATE_NATS_AUTH=1 vitest run --root tools/k8s').toBe(natsAuthorization());
  });

  it.each(['dev', 'production', 'ldap'])('overlays/%s: the rendered nats.conf has it', (overlay) => {
    const conf = render(`k8s/overlays/${overlay}`).find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'nats-config') as unknown as {
      data: Record<string, string>;
    };
    expect(authorizationIn(conf.data['nats.conf']!)).toBe(natsAuthorization());
  });

  it.each(natsServices)('%s may use what its code uses', (service) => {
    const p = natsPermissions(service);
    const u = uses[service];
    for (const s of [...u.kv.flatMap(kvSubjects), ...u.streams.map((s) => `$JS.API.STREAM.INFO.${s}`), ...u.publish, '$JS.API.INFO'])
      expect(allowed(p.publish, s), s).toBe(true);
    for (const s of [...u.subscribe, '_INBOX.abc.1']) expect(allowed(p.subscribe, s), s).toBe(true);
    expect(new Set(natsAccess[service].kv)).toEqual(new Set(u.kv));
    expect(new Set(natsAccess[service].streams)).toEqual(new Set(u.streams));
  });

  it.each(natsServices)("%s may not use the other services' buckets and subjects", (service) => {
    const p = natsPermissions(service);
    const own = uses[service];
    const others = natsServices.filter((s) => s !== service).map((s) => uses[s]);
    const foreignKv = [...new Set(others.flatMap((o) => o.kv))].filter((b) => !own.kv.includes(b));
    for (const s of foreignKv.flatMap(kvSubjects)) expect(allowed(p.publish, s), s).toBe(false);
    for (const s of others.flatMap((o) => o.publish).filter((x) => !own.publish.includes(x))) expect(allowed(p.publish, s), s).toBe(false);
    for (const s of others.flatMap((o) => o.subscribe).filter((x) => !own.subscribe.includes(x))) expect(allowed(p.subscribe, s), s).toBe(false);
    // Nothing outside its own: the stream API of everything else, deleting streams, the system account.
    for (const s of ['$JS.API.STREAM.DELETE.KV_xmpp_accounts', '$JS.API.STREAM.CREATE.other', '$SYS.REQ.SERVER.PING', 'xmpp.other'])
      expect(allowed(p.publish, s), s).toBe(false);
    expect(allowed(p.subscribe, '>'), '>').toBe(false);
  });

  it('every bucket and stream the code declares belongs to a service', () => {
    // A new store names its bucket in a constant (FOO_BUCKET = 'xmpp_foo'); one
    // missing from the table would be refused by nats-server in production.
    const declared = new Set<string>(Object.values(buckets));
    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory()
          ? e.name === 'node_modules' || e.name === 'gen'
            ? []
            : walk(join(dir, e.name))
          : e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts')
            ? [join(dir, e.name)]
            : [],
      );
    for (const file of [...walk(join(root, 'apps')), ...walk(join(root, 'libs'))]) {
      for (const m of readFileSync(file, 'utf8').matchAll(/const\s+\w*(?:BUCKET|STREAM)\w*\s*=\s*['"](xmpp_\w+)['"]/g)) declared.add(m[1]!);
    }
    const granted = new Set(natsServices.flatMap((s) => [...natsAccess[s].kv, ...natsAccess[s].streams, ...(natsAccess[s].objects ?? [])]));
    expect([...declared].filter((b) => !granted.has(b))).toEqual([]);
    expect(declared.has('xmpp_offline_bytes')).toBe(true);
  });
});
