// The admin commands, like ejabberdctl's: each talks to a service over gRPC.
import { call } from '@cx/grpc';
import type { authv1, routeradminv1, sessionv1 } from '@cx/proto';
import { asJid, stats } from './format';
import type { UploadAdmin } from './upload-admin';

export interface Clients {
  domain: string;
  auth: authv1.AuthServiceClient;
  session: sessionv1.SessionServiceClient;
  router: routeradminv1.RouterAdminServiceClient;
  /** The upload service's admin calls (UPLOAD_ADMIN_URL). */
  upload?: UploadAdmin;
}

type Out = { code: number; lines: string[] };

function result(r: authv1.AccountResult, ok: string): Out {
  return r.ok ? { code: 0, lines: [ok] } : { code: 1, lines: [`error: ${r.condition}${r.text ? `: ${r.text}` : ''}`] };
}

const failed = (condition: string, text = ''): Out => ({ code: 1, lines: [`error: ${condition}${text ? `: ${text}` : ''}`] });

export const usage = `usage: xmppctl <command> [args]
  register <user> <password>     create an account (works when in-band registration is closed)
  unregister <user>              delete an account
  passwd <user> <password>       set an account's password
  registered                     list registered accounts (also: list)
  connected                      list connected sessions (full JID, edge)
  kick <jid> [reason]            end a session (full JID) or all of an account's (bare JID or user)
                                 with a policy-violation stream error carrying the reason; not resumable
  send <from> <to> <body>        send a chat message from an account (or from the server: the domain)
                                 as if from a session: delivered, or stored offline (also: send-message)
  purge-archive <user>           delete every message in an account's archive (XEP-0313); the account stays
  upload-files <user>            list an account's uploaded files (XEP-0363): URL path, size, type, date
  delete-upload-files <user>     delete every file an account uploaded
  stats                          registered accounts, online users and sessions, sessions per edge
A <user> without @ means <user>@XMPP_DOMAIN.
settings: AUTH_ADDR, SESSION_ADDR, ROUTER_ADDR (the services' admin ports), UPLOAD_ADMIN_URL, ADMIN_TOKEN, XMPP_DOMAIN,
  GRPC_TLS_CA, GRPC_TLS_CERT, GRPC_TLS_KEY (mutual TLS) (or CONFIG_FILE, section xmppctl)`;

export async function run(argv: string[], c: Clients): Promise<Out> {
  const [cmd, ...args] = argv;
  const { auth, session, router, domain } = c;
  const need = (n: number, max = n) => {
    if (args.length < n || args.length > max) throw new UsageError();
  };
  switch (cmd) {
    case 'register':
      need(2);
      return result(await call(auth.register.bind(auth), { domain, username: args[0]!, password: args[1]!, admin: true }), `registered ${args[0]}@${domain}`);
    case 'unregister':
      need(1);
      return result(await call(auth.unregister.bind(auth), { domain, username: args[0]!, connectionId: '' }), `unregistered ${args[0]}@${domain}`);
    case 'passwd':
      need(2);
      return result(
        await call(auth.changePassword.bind(auth), { domain, username: args[0]!, password: args[1]! }),
        `password changed for ${args[0]}@${domain}`,
      );
    case 'list':
    case 'registered':
      need(0);
      return { code: 0, lines: (await call(auth.listUsers.bind(auth), { domain })).usernames };
    case 'connected': {
      need(0);
      const r = await call(session.getSessions.bind(session), { bareJid: '' });
      return { code: 0, lines: r.users.flatMap((u) => u.sessions.map((s) => `${u.bareJid}/${s.resource}\t${s.edgeId}`)) };
    }
    case 'kick': {
      need(1, Infinity);
      const r = await call(session.kick.bind(session), { jid: asJid(args[0]!, domain), condition: 'policy-violation', text: args.slice(1).join(' ') });
      if (r.errorCondition) return failed(r.errorCondition);
      return r.kicked.length ? { code: 0, lines: r.kicked.map((j) => `kicked ${j}`) } : failed('item-not-found', `no session of ${asJid(args[0]!, domain)}`);
    }
    case 'send':
    case 'send-message': {
      need(3, Infinity);
      const r = await call(router.sendMessage.bind(router), {
        from: asJid(args[0]!, domain),
        to: asJid(args[1]!, domain),
        body: args.slice(2).join(' '),
        type: 'chat',
        subject: '',
      });
      return r.errorCondition ? failed(r.errorCondition, r.text) : { code: 0, lines: [`sent ${r.id}`] };
    }
    case 'purge-archive': {
      need(1);
      const user = asJid(args[0]!, domain);
      if (!user.endsWith(`@${domain}`)) return failed('jid-malformed', `not an account of ${domain}`);
      const r = await call(router.purgeArchive.bind(router), { username: user.slice(0, user.indexOf('@')) });
      return r.errorCondition ? failed(r.errorCondition, r.text) : { code: 0, lines: [`purged the archive of ${user}`] };
    }
    case 'upload-files': {
      need(1);
      if (!c.upload) return failed('service-unavailable', 'no UPLOAD_ADMIN_URL');
      const files = await c.upload.files(asJid(args[0]!, domain));
      return { code: 0, lines: files.map((f) => `/upload/${f.id}/${encodeURIComponent(f.name)}\t${f.size}\t${f.type}\t${new Date(f.at).toISOString()}`) };
    }
    case 'delete-upload-files': {
      need(1);
      if (!c.upload) return failed('service-unavailable', 'no UPLOAD_ADMIN_URL');
      const jid = asJid(args[0]!, domain);
      return { code: 0, lines: [`deleted ${await c.upload.deleteAll(jid)} files of ${jid}`] };
    }
    case 'stats': {
      need(0);
      const [users, online] = await Promise.all([call(auth.listUsers.bind(auth), { domain }), call(session.getSessions.bind(session), { bareJid: '' })]);
      return { code: 0, lines: stats(users.usernames.length, online) };
    }
    default:
      throw new UsageError();
  }
}

export class UsageError extends Error {
  override name = 'UsageError';
}
