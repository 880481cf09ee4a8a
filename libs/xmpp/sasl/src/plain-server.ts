// PLAIN server mechanism, RFC 4616 §2: message = [authzid] NUL authcid NUL passwd (UTF-8).
// The password is passed unchanged to the backend, which does any preparation itself.
import { SaslFailure, badCredentials, challenge, decodeUtf8, guardedExchange } from './exchange';
import type { CredentialSource, SaslStep, ServerExchange, ServerMechanism } from './types';

interface PlainMessage {
  authzid: string;
  authcid: string;
  password: string;
}

export function parsePlainMessage(data: Buffer): PlainMessage {
  const parts = decodeUtf8(data).split('\0');
  if (parts.length !== 3) throw new SaslFailure('malformed-request', 'expected [authzid] NUL authcid NUL passwd');
  const [authzid, authcid, password] = parts as [string, string, string];
  return { authzid, authcid, password };
}

async function authenticate(data: Buffer, source: CredentialSource): Promise<SaslStep> {
  const { authzid, authcid, password } = parsePlainMessage(data);
  if (authcid === '' || password === '') return badCredentials(authcid);
  if (!(await source.testPassword(authcid, password))) return badCredentials(authcid);
  return authzid === '' ? { kind: 'success', username: authcid } : { kind: 'success', username: authcid, authzid };
}

function startPlain(source: CredentialSource): ServerExchange {
  let first = true;
  return guardedExchange(async (data) => {
    const isFirst = first;
    first = false;
    if (data === null || data.length === 0) {
      // No (or an empty) initial response: send an empty challenge and take the next response.
      if (isFirst) return challenge(Buffer.alloc(0));
      throw new SaslFailure('malformed-request', 'empty response');
    }
    return authenticate(data, source);
  });
}

export const plain: ServerMechanism = {
  name: 'PLAIN',
  requires: ['password:test'],
  start: (_ctx, source) => startPlain(source),
};
