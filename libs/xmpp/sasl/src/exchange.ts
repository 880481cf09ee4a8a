// Exchange plumbing shared by all server mechanisms: RFC 4422 §3.4-3.6 (challenge/response
// sequence, outcome) mapped onto the XMPP failure conditions of RFC 6120 §6.5.
import type { FailureReason, SaslCondition, SaslStep, ServerExchange } from './types';

/** Thrown by mechanism code to end the exchange with a specific condition. */
export class SaslFailure extends Error {
  constructor(
    readonly condition: SaslCondition,
    readonly text?: string,
    readonly reason?: FailureReason,
    readonly username?: string,
  ) {
    super(text ?? condition);
    this.name = 'SaslFailure';
  }
}

/** A wrong password (or proof) for `username`, or an unknown user: counts per address and per account. */
export function badCredentials(username: string, text?: string): SaslStep {
  return failure('not-authorized', text, 'credentials', username);
}

export type StepHandler = (data: Buffer | null) => Promise<SaslStep>;

export function challenge(data: Buffer | string): SaslStep {
  return { kind: 'challenge', data: typeof data === 'string' ? Buffer.from(data, 'utf8') : data };
}

/** A failure step; each optional field is present only when given. */
export function failure(condition: SaslCondition, text?: string, reason?: FailureReason, username?: string): SaslStep {
  const f: Extract<SaslStep, { kind: 'failure' }> = { kind: 'failure', condition };
  if (text !== undefined) f.text = text;
  if (reason !== undefined) f.reason = reason;
  if (username !== undefined) f.username = username;
  return f;
}

function toFailure(err: unknown): SaslStep {
  if (err instanceof SaslFailure) return failure(err.condition, err.text, err.reason, err.username);
  // Anything else comes from the credential backend (or is a bug): never leak details.
  return failure('temporary-auth-failure');
}

/**
 * Wraps a mechanism's step handler: converts thrown errors to failures, rejects
 * steps after a final outcome and overlapping steps (malformed-request).
 */
export function guardedExchange(handler: StepHandler): ServerExchange {
  let finished = false;
  let busy = false;
  return {
    async step(data: Buffer | null): Promise<SaslStep> {
      if (finished || busy) {
        finished = true;
        return failure('malformed-request', 'unexpected response');
      }
      busy = true;
      let result: SaslStep;
      try {
        result = await handler(data);
      } catch (err) {
        result = toFailure(err);
      }
      busy = false;
      if (result.kind !== 'challenge') finished = true;
      return result;
    },
  };
}

/** Decodes strict UTF-8; invalid sequences are a malformed request. */
export function decodeUtf8(data: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(data);
  } catch {
    throw new SaslFailure('malformed-request', 'invalid UTF-8');
  }
}
