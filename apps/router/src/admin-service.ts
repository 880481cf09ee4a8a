// RouterAdminService (xmppctl send, like ejabberdctl send_message): a message
// from an account or from the server, routed by the normal rules (delivered,
// carbons-copied, or stored offline for an account with no available
// resource); and emptying an account's message archive (xmppctl
// purge-archive). Bad requests are answered as values with their XMPP condition.
import { routedStanza } from '@cx/stanza';
import { randomBytes } from 'node:crypto';
import { unary } from '@cx/grpc';
import type { Logger } from '@cx/log';
import { routerv1, type routeradminv1 } from '@cx/proto';
import { tryParseJid, x } from '@cx/xmpp-core';
import type { Router } from './routing';

type Req = routeradminv1.SendMessageRequest;
type Res = routeradminv1.SendMessageResponse;

const TYPES = new Set(['chat', 'normal', 'headline']);

export interface AdminDeps {
  domain: string;
  router: Router;
  userExists: (username: string) => Promise<boolean>;
  /** Empty an account's archive (the mam module's; absent when it is not enabled). */
  purgeArchive?: (username: string) => Promise<void>;
  log: Logger;
}

const refuse = (errorCondition: string, text: string): Res => ({ errorCondition, text, id: '' });

/** The message as a client session's stanza would reach the router, or why not. */
export async function adminMessage(req: Req, d: AdminDeps): Promise<routerv1.Stanza | Res> {
  const from = tryParseJid(req.from);
  const to = tryParseJid(req.to);
  const type = req.type || 'chat';
  if (!from || from.domain !== d.domain) return refuse('jid-malformed', `from must be a JID of ${d.domain}, or ${d.domain}`);
  if (!to || to.domain !== d.domain || !to.local) return refuse('jid-malformed', `to must be an account of ${d.domain}`);
  if (!TYPES.has(type)) return refuse('bad-request', 'type must be chat, normal or headline');
  if (!(await d.userExists(to.local))) return refuse('item-not-found', `no account ${to.bare.toString()}`);
  if (from.local && !(await d.userExists(from.local))) return refuse('item-not-found', `no account ${from.bare.toString()}`);
  const id = `admin-${randomBytes(6).toString('hex')}`;
  const el = x(
    'message',
    { from: from.toString(), to: to.toString(), type, id },
    ...(req.subject ? [x('subject', {}, req.subject)] : []),
    x('body', {}, req.body),
  );
  return routedStanza(el, { from: from.toString(), connectionId: '' });
}

export function routerAdminService(d: AdminDeps): routeradminv1.RouterAdminServiceServer {
  return {
    sendMessage: unary(d.log, async (req: Req): Promise<Res> => {
      const s = await adminMessage(req, d);
      if (!('kind' in s)) return s;
      await d.router.route(s, '');
      d.log.info({ from: s.from, to: s.to, id: s.id }, 'admin message routed');
      return { errorCondition: '', text: '', id: s.id };
    }),
    purgeArchive: unary(d.log, async ({ username }: routeradminv1.PurgeArchiveRequest): Promise<routeradminv1.PurgeArchiveResponse> => {
      if (!d.purgeArchive) return { errorCondition: 'feature-not-implemented', text: 'the mam module is not enabled' };
      if (!username || !(await d.userExists(username))) return { errorCondition: 'item-not-found', text: `no account ${username}@${d.domain}` };
      await d.purgeArchive(username);
      d.log.info({ user: username }, 'archive purged');
      return { errorCondition: '', text: '' };
    }),
  };
}
