// AuthService over the chosen account store: SASL exchanges, XEP-0077
// registration and the admin calls xmppctl uses.
import type { AccountStore, LoginContext } from '@cx/auth-store';
import type { AccountRemovals } from '@cx/bus';
import { unary as unaryCall, type OpenStreams } from '@cx/grpc';
import type { Logger } from '@cx/log';
import { authv1 } from '@cx/proto';
import { offeredMechanisms, type CredentialSource } from '@cx/sasl';
import type { AuthConfig } from './config';
import type { AccountFailures } from './auth-failures';
import { handleExchangeStream } from './sasl-exchanges';
import { countLogin } from './login-metrics';
import { prepareUsername } from './usernames';

/** The store, with usernames prepared (RFC 7622 localpart, bounded) before every lookup; an invalid one is an unknown user. */
function preparedSource(store: AccountStore, ctx: LoginContext): CredentialSource {
  return {
    getScram: async (u, h) => {
      const p = prepareUsername(u, 'sasl');
      return p ? store.getScram(p, h) : null;
    },
    getDigestHa1: async (u, realm) => {
      const p = prepareUsername(u, 'sasl');
      return p ? store.getDigestHa1(p, realm) : null;
    },
    testPassword: async (u, pw) => {
      const p = prepareUsername(u, 'sasl');
      return p ? store.testPassword(p, pw, ctx) : false;
    },
  };
}

function fail(condition: string, text: string): authv1.AccountResult {
  return { ok: false, condition, text, username: '' };
}

/**
 * Remove an account and everything it had: the removal is announced (durably)
 * before the account goes, the routers remove its data and sessions, and the
 * answer waits for them up to ACCOUNT_REMOVAL_WAIT_MS.
 */
async function removeAccount(store: AccountStore, removals: AccountRemovals, username: string, keepConnectionId: string, waitMs: number, log: Logger) {
  if (!(await store.exists(username))) return { ok: false as const, condition: 'item-not-found', text: 'no such user' };
  const seq = await removals.announce({ username, keepConnectionId, atMs: Date.now() });
  const r = await store.remove(username);
  if (!r.ok) {
    await removals.withdraw(seq);
    return r;
  }
  if (!(await removals.settled(username, waitMs))) log.warn({ username }, 'account removed; its data is still being removed');
  return r;
}

export function authService(
  store: AccountStore,
  config: AuthConfig,
  log: Logger,
  streams: OpenStreams,
  failures?: AccountFailures,
  busUp?: () => boolean,
  removals?: AccountRemovals,
): authv1.AuthServiceServer {
  const mechanisms = offeredMechanisms(store.capabilities).map((m) => m.name);
  const source = preparedSource(store, { secure: false });
  const secureSource = preparedSource(store, { secure: true });
  const account = async (u: string, op: (p: string) => Promise<{ ok: true } | { ok: false; condition: string; text?: string }>) => {
    const p = prepareUsername(u, 'account');
    if (!p) return fail('not-acceptable', 'invalid username');
    if (!store.writable) return fail('not-allowed', `the ${store.name} account backend is read-only`);
    const r = await op(p);
    return r.ok ? { ok: true, condition: '', text: '', username: p } : fail(r.condition, r.text ?? '');
  };
  const loggedIn = (u: string) => void store.loggedIn?.(u).catch((err: Error) => log.warn({ err: err.message }, 'after-login update failed'));
  const unary = <Req, Res>(fn: (req: Req) => Promise<Res>) => unaryCall(log, fn);

  return {
    listMechanisms: unary(async () => ({ mechanisms })),
    exchange: (call) =>
      handleExchangeStream(call, {
        domain: config.XMPP_DOMAIN,
        offered: () => mechanisms,
        source,
        sourceFor: (s) => (s.secure ? secureSource : source),
        log,
        streams,
        failures,
        onResult: countLogin,
        onSuccess: loggedIn,
        busUp,
      }),
    getRegistrationInfo: unary(async () => ({ open: config.REGISTRATION_OPEN && store.writable, instructions: config.REGISTRATION_INSTRUCTIONS })),
    register: unary(async (req: authv1.RegisterRequest) => {
      if (!req.admin && !config.REGISTRATION_OPEN) return fail('not-allowed', 'registration is closed');
      if (!req.password) return fail('not-acceptable', 'a password is required');
      return account(req.username, async (u) => {
        // The data of a removed account with this name is still being removed.
        if (removals && (await removals.pending(u)))
          return { ok: false, condition: 'resource-constraint', text: 'this username is being released; try again in a moment' };
        return store.create(u, req.password);
      });
    }),
    changePassword: unary(async (req: authv1.ChangePasswordRequest) => {
      if (!req.password) return fail('not-acceptable', 'a password is required');
      return account(req.username, (u) => store.setPassword(u, req.password));
    }),
    unregister: unary(async (req: authv1.UnregisterRequest) =>
      account(req.username, (u) => (removals ? removeAccount(store, removals, u, req.connectionId, config.ACCOUNT_REMOVAL_WAIT_MS, log) : store.remove(u))),
    ),
    listUsers: unary(async () => ({ usernames: await store.list() })),
    userExists: unary(async (req: authv1.UserExistsRequest) => {
      const p = prepareUsername(req.username, 'account');
      return { exists: p ? await store.exists(p) : false };
    }),
  };
}
