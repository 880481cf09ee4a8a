// The router's side of an account removal (the event auth announces on the
// stream xmpp_account_removals, libs/infra/bus): once the account is really
// gone, run every registered removeUser hook and acknowledge. The first hook
// ends the account's sessions: the others get not-authorized with a text
// (XEP-0077 §3.2), the one that asked is left to its edge, which closes it
// after the result; their stream-management state goes too, so nothing can
// resume them.
import { AccountRemovals, type Bus, type RemovalOutcome } from '@cx/bus';
import type { Logger } from '@cx/log';
import type { eventsv1 } from '@cx/proto';
import type { SessionDirectory } from '@cx/session-directory';
import type { Removing, UserRemoval } from './user-removal';
import { countRemoval } from './metrics';

export const REMOVAL_CONSUMER = 'xmpp-router';
/** Retries while auth has announced the removal but not yet deleted the account (about 20 s). */
const MAX_WAITS = 80;

export interface SessionsHookDeps {
  domain: string;
  directory: SessionDirectory;
  kick(fullJid: string, condition: string, text: string): Promise<void>;
  dropSmState(smId: string): Promise<void>;
}

export function endSessions(d: SessionsHookDeps): (r: Removing) => Promise<void> {
  return async ({ user, keepConnectionId }) => {
    const bare = `${user}@${d.domain}`;
    const { sessions } = await d.directory.lookup(bare);
    for (const s of sessions) {
      if (s.connectionId !== keepConnectionId) await d.kick(`${bare}/${s.resource}`, 'not-authorized', 'the account was removed');
      if (s.smId) await d.dropSmState(s.smId);
    }
  };
}

export interface RemovalEventsDeps {
  bus: Bus;
  removal: UserRemoval;
  userExists(username: string): Promise<boolean>;
  log: Logger;
}

export function handleRemoval(d: Omit<RemovalEventsDeps, 'bus'>) {
  return async (ev: eventsv1.AccountRemoved, attempt: number): Promise<RemovalOutcome> => {
    if (await d.userExists(ev.username)) {
      // Announced, not yet deleted (or auth failed between the two: then it never is).
      if (attempt < MAX_WAITS) return { retryInMs: 250 };
      d.log.warn({ username: ev.username }, 'account removal announced but the account still exists; nothing removed');
      countRemoval('not-removed');
      return 'done';
    }
    await d.removal.remove({ user: ev.username, keepConnectionId: ev.keepConnectionId }).catch((err: unknown) => {
      countRemoval('failed');
      throw err;
    });
    countRemoval('removed');
    d.log.info({ username: ev.username, removed: d.removal.names() }, 'account data removed');
    return 'done';
  };
}

export async function followRemovals(d: RemovalEventsDeps): Promise<() => Promise<void>> {
  const removals = await AccountRemovals.open(d.bus);
  return removals.consume(REMOVAL_CONSUMER, handleRemoval(d), (err) => d.log.error({ err }, 'removing an account’s data failed; retrying'));
}
