// SCRAM server mechanism, RFC 5802 §5 (exchange) and §7 (syntax); SCRAM-SHA-256 per RFC 7677.
// SCRAM-SHA-1 and SCRAM-SHA-256, with and without channel binding (-PLUS, RFC 5802 §6), share
// this implementation, parameterised by hash.
import { randomBytes } from 'node:crypto';
import { badCredentials, challenge, decodeUtf8, failure, guardedExchange } from './exchange';
import { malformed } from './scram-attributes';
import { expectedBindingData } from './scram-channel-binding';
import { constantTimeEqual, serverSignature, verifyClientProof } from './scram-crypto';
import { parseClientFinal, parseClientFirst, type ClientFirst } from './scram-messages';
import { fakeScramCredentials } from './scram-unknown-user';
import type { CredentialSource, SaslContext, SaslStep, ScramCredentials, ScramHash, ServerExchange, ServerMechanism } from './types';

/** Random bytes appended (base64) to the client nonce; RFC 5802 asks for a fresh random value. */
export const SERVER_NONCE_BYTES = 18;

export interface ScramServerOptions {
  /** Produces the server's part of the nonce (printable, no ","). Tests inject fixed values. */
  nonceSuffix?: () => string;
  /** The -PLUS variant: the client must bind to the channel (p=<type>). */
  plus?: boolean;
}

interface Pending {
  first: ClientFirst;
  /** What c= must decode to: the gs2 header followed by the channel binding data. */
  cbind: Buffer;
  serverFirst: string;
  nonce: string;
  creds: ScramCredentials;
  known: boolean;
}

function randomSuffix(): string {
  return randomBytes(SERVER_NONCE_BYTES).toString('base64');
}

interface Setup {
  hash: ScramHash;
  plus: boolean;
  ctx: SaslContext;
  source: CredentialSource;
  makeSuffix: () => string;
}

async function handleClientFirst({ hash, plus, ctx, source, makeSuffix }: Setup, data: Buffer): Promise<Pending> {
  const first = parseClientFirst(decodeUtf8(data));
  const cbind = Buffer.concat([Buffer.from(first.gs2Header, 'utf8'), expectedBindingData(first.cbind, plus, ctx)]);
  const stored = await source.getScram(first.username, hash);
  const creds = stored ?? fakeScramCredentials(hash, first.username);
  const nonce = first.clientNonce + makeSuffix();
  const serverFirst = `r=${nonce},s=${creds.salt.toString('base64')},i=${creds.iterations}`;
  return { first, cbind, serverFirst, nonce, creds, known: stored !== null };
}

function handleClientFinal(hash: ScramHash, p: Pending, data: Buffer): SaslStep {
  const final = parseClientFinal(decodeUtf8(data));
  if (!constantTimeEqual(final.channelBinding, p.cbind)) {
    return failure('not-authorized', 'channel binding mismatch');
  }
  if (final.nonce !== p.nonce) return failure('not-authorized', 'nonce mismatch');
  const authMessage = `${p.first.bare},${p.serverFirst},${final.withoutProof}`;
  const proofOk = verifyClientProof(hash, p.creds.storedKey, final.proof, authMessage);
  if (!proofOk || !p.known) return badCredentials(p.first.username);
  const verifier = serverSignature(hash, p.creds.serverKey, authMessage).toString('base64');
  const serverFinal = Buffer.from(`v=${verifier}`, 'utf8');
  const { username, authzid } = p.first;
  return authzid === undefined ? { kind: 'success', username, data: serverFinal } : { kind: 'success', username, authzid, data: serverFinal };
}

function startScram(setup: Setup): ServerExchange {
  const { hash } = setup;
  let pending: Pending | undefined;
  let emptyChallengeSent = false;
  return guardedExchange(async (data) => {
    if (pending !== undefined) {
      if (data === null || data.length === 0) throw malformed('empty client-final-message');
      return handleClientFinal(hash, pending, data);
    }
    if (data === null || data.length === 0) {
      // No initial response (RFC 6120 §6.4.2): ask for the client-first-message once.
      if (emptyChallengeSent) throw malformed('empty client-first-message');
      emptyChallengeSent = true;
      return challenge(Buffer.alloc(0));
    }
    pending = await handleClientFirst(setup, data);
    return challenge(pending.serverFirst);
  });
}

export function createScramMechanism(hash: ScramHash, opts: ScramServerOptions = {}): ServerMechanism {
  const makeSuffix = opts.nonceSuffix ?? randomSuffix;
  const plus = opts.plus === true;
  return {
    name: `SCRAM-${hash}${plus ? '-PLUS' : ''}`,
    requires: [`scram:${hash}`],
    channelBinding: plus,
    start: (ctx, source) => startScram({ hash, plus, ctx, source, makeSuffix }),
  };
}

export const scramSha1 = createScramMechanism('SHA-1');
export const scramSha256 = createScramMechanism('SHA-256');
export const scramSha1Plus = createScramMechanism('SHA-1', { plus: true });
export const scramSha256Plus = createScramMechanism('SHA-256', { plus: true });
