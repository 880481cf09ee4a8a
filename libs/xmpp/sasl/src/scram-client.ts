// SCRAM client side, RFC 5802 §5 (client-first, client-final, server signature check) and
// RFC 7677 for SHA-256, with channel binding (RFC 5802 §6, -PLUS) when given the binding data.
// Used by tests and the benchmark load generator.
import { createHash, randomBytes } from 'node:crypto';
import { escapeSaslName } from './scram-attributes';
import { clientProof, constantTimeEqual, keysFromSaltedPassword, saltedPassword, serverSignature } from './scram-crypto';
import { parseServerFinal, parseServerFirst } from './scram-messages';
import type { ScramHash } from './types';

export interface ScramClientOptions {
  /** Client nonce (printable, no ","); random when omitted. */
  nonce?: string;
  authzid?: string;
  /** Shared cache of SaltedPassword values, so load generators skip repeated PBKDF2 work. */
  saltedPasswordCache?: Map<string, Buffer>;
  /** Bind to the channel (a -PLUS mechanism): gs2 header p=<type>, and c= carries the data. */
  channelBinding?: { type: string; data: Buffer };
  /**
   * Without channelBinding: 'n' (default, the client does not bind) or 'y' (it could, but the
   * server did not offer -PLUS). Tests use 'y' to check downgrade detection.
   */
  cbindFlag?: 'n' | 'y';
}

export class ScramClient {
  private readonly nonce: string;
  private readonly gs2Header: string;
  private readonly bare: string;
  private expectedSignature: Buffer | undefined;

  constructor(
    private readonly hash: ScramHash,
    username: string,
    private readonly password: string,
    private readonly opts: ScramClientOptions = {},
  ) {
    this.nonce = opts.nonce ?? randomBytes(18).toString('base64');
    const authz = opts.authzid === undefined ? '' : `a=${escapeSaslName(opts.authzid)}`;
    const cb = opts.channelBinding;
    this.gs2Header = `${cb === undefined ? (opts.cbindFlag ?? 'n') : `p=${cb.type}`},${authz},`;
    this.bare = `n=${escapeSaslName(username)},r=${this.nonce}`;
  }

  clientFirst(): Buffer {
    return Buffer.from(this.gs2Header + this.bare, 'utf8');
  }

  /** Builds the client-final-message; throws if the server-first-message is unacceptable. */
  clientFinal(serverFirst: Buffer): Buffer {
    const serverFirstText = serverFirst.toString('utf8');
    const { nonce, salt, iterations } = parseServerFirst(serverFirstText);
    if (!nonce.startsWith(this.nonce) || nonce.length <= this.nonce.length) {
      throw new Error('SCRAM: server nonce does not extend the client nonce');
    }
    const salted = this.salted(salt, iterations);
    const { clientKey, serverKey } = keysFromSaltedPassword(this.hash, salted);
    const cbindInput = [Buffer.from(this.gs2Header, 'utf8'), this.opts.channelBinding?.data ?? Buffer.alloc(0)];
    const channelBinding = Buffer.concat(cbindInput).toString('base64');
    const withoutProof = `c=${channelBinding},r=${nonce}`;
    const authMessage = `${this.bare},${serverFirstText},${withoutProof}`;
    this.expectedSignature = serverSignature(this.hash, serverKey, authMessage);
    const proof = clientProof(this.hash, clientKey, authMessage).toString('base64');
    return Buffer.from(`${withoutProof},p=${proof}`, 'utf8');
  }

  /** True only when the server proved knowledge of ServerKey (v= matches). */
  verifyServerFinal(serverFinal: Buffer): boolean {
    if (this.expectedSignature === undefined) return false;
    try {
      const signature = parseServerFinal(serverFinal.toString('utf8'));
      return signature !== null && constantTimeEqual(signature, this.expectedSignature);
    } catch {
      return false;
    }
  }

  private salted(salt: Buffer, iterations: number): Buffer {
    const cache = this.opts.saltedPasswordCache;
    if (cache === undefined) return saltedPassword(this.hash, this.password, salt, iterations);
    const passwordDigest = createHash('sha256').update(this.password).digest('base64');
    const key = `${this.hash}\0${iterations}\0${salt.toString('base64')}\0${passwordDigest}`;
    let value = cache.get(key);
    if (value === undefined) {
      value = saltedPassword(this.hash, this.password, salt, iterations);
      cache.set(key, value);
    }
    return value;
  }
}
