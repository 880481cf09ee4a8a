import { describe, expect, it } from 'vitest';
import { turnCredentials, turnPassword } from './turn-credentials';

describe('TURN REST credentials (coturn use-auth-secret)', () => {
  it('computes the password as base64 HMAC-SHA1 of the username', () => {
    // RFC 2202 test case 2 (HMAC-SHA1, key "Jefe"): effcdf6ae5eb2fa2d27416d5f184df9c259a7c79.
    expect(turnPassword('Jefe', 'what do ya want for nothing?')).toBe(Buffer.from('effcdf6ae5eb2fa2d27416d5f184df9c259a7c79', 'hex').toString('base64'));
  });

  it('names the expiry then the user, and says when it expires', () => {
    const c = turnCredentials({ secret: 's3cret', user: 'romeo@localhost', ttlS: 3600, nowMs: Date.UTC(2026, 0, 1, 0, 0, 0, 500) });
    expect(c.username).toBe('1767229200:romeo@localhost');
    expect(c.expires).toBe('2026-01-01T01:00:00Z');
    // As coturn's REST API documents it, by hand:
    // printf '%s' '1767229200:romeo@localhost' | openssl dgst -sha1 -hmac s3cret -binary | base64
    expect(c.password).toBe('jXoAtKu7C1lhsGgFTjKudmtLzpo=');
    expect(c.password).toHaveLength(28);
  });
});
