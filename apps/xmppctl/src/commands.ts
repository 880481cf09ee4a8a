// The admin commands, like ejabberdctl's: each talks to a service over gRPC.
import { call } from '@cx/grpc';
import type { authv1, sessionv1 } from '@cx/proto';

export interface Clients {
  domain: string;
  auth: authv1.AuthServiceClient;
  session: sessionv1.SessionServiceClient;
}

type Out = { code: number; lines: string[] };

function result(r: authv1.AccountResult, ok: string): Out {
  return r.ok ? { code: 0, lines: [ok] } : { code: 1, lines: [`error: ${r.condition}${r.text ? `: ${r.text}` : ''}`] };
}

export const usage = `usage: xmppctl <command> [args]
  register <user> <password>   create an account (works when in-band registration is closed)
  unregister <user>            delete an account
  passwd <user> <password>     set an account's password
  list                         list registered accounts
  connected                    list connected sessions (full JID, edge)
settings: AUTH_ADDR, SESSION_ADDR, XMPP_DOMAIN`;

export async function run(argv: string[], c: Clients): Promise<Out> {
  const [cmd, ...args] = argv;
  const { auth, session, domain } = c;
  const need = (n: number) => {
    if (args.length !== n) throw new UsageError();
  };
  switch (cmd) {
    case 'register':
      need(2);
      return result(await call(auth.register.bind(auth), { domain, username: args[0], password: args[1], admin: true }), `registered ${args[0]}@${domain}`);
    case 'unregister':
      need(1);
      return result(await call(auth.unregister.bind(auth), { domain, username: args[0] }), `unregistered ${args[0]}@${domain}`);
    case 'passwd':
      need(2);
      return result(await call(auth.changePassword.bind(auth), { domain, username: args[0], password: args[1] }), `password changed for ${args[0]}@${domain}`);
    case 'list':
      need(0);
      return { code: 0, lines: (await call(auth.listUsers.bind(auth), { domain })).usernames };
    case 'connected': {
      need(0);
      const r = await call(session.getSessions.bind(session), { bareJid: '' });
      return { code: 0, lines: r.users.flatMap((u) => u.sessions.map((s) => `${u.bareJid}/${s.resource}\t${s.edgeId}`)) };
    }
    default:
      throw new UsageError();
  }
}

export class UsageError extends Error {
  override name = 'UsageError';
}
