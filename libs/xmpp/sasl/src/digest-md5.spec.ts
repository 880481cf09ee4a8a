// DIGEST-MD5: RFC 2831 §4 published example for the digest computation, then the XMPP
// profile end to end (digest-uri xmpp/<domain>) and negative cases.
import { createHash } from 'node:crypto';
import { describe, it, expect } from 'vitest';
import { digestMd5ClientResponse, verifyDigestMd5Rspauth } from './digest-md5-client';
import { digestHa1, digestMd5Response, digestMd5Rspauth } from './digest-md5-crypto';
import { formatDirectives } from './digest-md5-directives';
import { digestMd5 } from './digest-md5-server';
import { digestMd5WithNonce, failingSource, memorySource } from './testing';
import type { SaslStep } from './types';

const b = (s: string) => Buffer.from(s, 'utf8');
const rfc = {
  ha1: digestHa1('chris', 'elwood.innosoft.com', 'secret'),
  nonce: 'OA6MG9tEQGm2hh',
  cnonce: 'OA6MHXh6VqTrRk',
  nc: '00000001',
  qop: 'auth',
  digestUri: 'imap/elwood.innosoft.com',
};

function data(step: SaslStep): Buffer {
  if (step.kind !== 'challenge') throw new Error(`expected challenge, got ${JSON.stringify(step)}`);
  return step.data;
}

describe('DIGEST-MD5 computation (RFC 2831 §4 example)', () => {
  it('computes the published response and rspauth', () => {
    expect(digestMd5Response(rfc)).toBe('d388dad90d4bbd760a152321f2143af7');
    expect(digestMd5Rspauth(rfc)).toBe('ea40f60335c427b5527b84dbabcdfffd');
  });

  it('changes with the password, the cnonce and the authzid', () => {
    expect(digestMd5Response({ ...rfc, ha1: digestHa1('chris', 'elwood.innosoft.com', 'Secret') })).not.toBe('d388dad90d4bbd760a152321f2143af7');
    expect(digestMd5Response({ ...rfc, cnonce: 'x' })).not.toBe('d388dad90d4bbd760a152321f2143af7');
    expect(digestMd5Response({ ...rfc, authzid: 'admin' })).not.toBe('d388dad90d4bbd760a152321f2143af7');
  });

  it('hashes Latin-1-representable text as ISO 8859-1, other text as UTF-8', () => {
    const md5 = (x: Buffer) => createHash('md5').update(x).digest();
    expect(digestHa1('josé', 'r', 'p')).toEqual(md5(Buffer.from('josé:r:p', 'latin1')));
    expect(digestHa1('юлия', 'r', 'p')).toEqual(md5(Buffer.from('юлия:r:p', 'utf8')));
  });
});

describe('DIGEST-MD5 server (XMPP profile)', () => {
  const ctx = { domain: 'example.com' };
  const users = () => memorySource({ chris: { password: 'secret' }, юлия: { password: 'пароль' } }, ctx.domain);
  const client = (o: { password?: string; authzid?: string; username?: string } = {}) => ({
    username: o.username ?? 'chris',
    password: o.password ?? 'secret',
    domain: ctx.domain,
    cnonce: 'OA6MHXh6VqTrRk',
    ...(o.authzid && { authzid: o.authzid }),
  });

  it('sends the XMPP challenge and completes with rspauth then success', async () => {
    const ex = digestMd5WithNonce('OA6MG9tEQGm2hh').start(ctx, users());
    const c1 = data(await ex.step(null));
    expect(c1.toString()).toBe('realm="example.com",nonce="OA6MG9tEQGm2hh",qop="auth",charset=utf-8,algorithm=md5-sess');
    const response = digestMd5ClientResponse(c1, client());
    expect(response.toString()).toContain('digest-uri="xmpp/example.com"');
    const c2 = data(await ex.step(response));
    expect(c2.toString()).toMatch(/^rspauth=[0-9a-f]{32}$/);
    expect(verifyDigestMd5Rspauth(c2, response, 'secret')).toBe(true);
    expect(verifyDigestMd5Rspauth(b('rspauth=00000000000000000000000000000000'), response, 'secret')).toBe(false);
    expect(await ex.step(Buffer.alloc(0))).toEqual({ kind: 'success', username: 'chris' });
    expect(await ex.step(Buffer.alloc(0))).toMatchObject({ kind: 'failure', condition: 'malformed-request' });
  });

  it('supports authzid and UTF-8 usernames', async () => {
    for (const [username, password, authzid] of [
      ['chris', 'secret', 'admin@example.com'],
      ['юлия', 'пароль', undefined],
    ] as const) {
      const ex = digestMd5.start(ctx, users());
      const response = digestMd5ClientResponse(data(await ex.step(null)), client({ username, password, ...(authzid && { authzid }) }));
      data(await ex.step(response));
      const expected = authzid ? { kind: 'success', username, authzid } : { kind: 'success', username };
      expect(await ex.step(Buffer.alloc(0))).toEqual(expected);
    }
  });

  it('rejects the RFC 2831 example message (imap digest-uri, other realm)', async () => {
    const ex = digestMd5WithNonce('OA6MG9tEQGm2hh').start(
      { domain: 'elwood.innosoft.com' },
      memorySource({ chris: { password: 'secret' } }, 'elwood.innosoft.com'),
    );
    await ex.step(null);
    const msg =
      'charset=utf-8,username="chris",realm="elwood.innosoft.com",nonce="OA6MG9tEQGm2hh",nc=00000001,cnonce="OA6MHXh6VqTrRk",digest-uri="imap/elwood.innosoft.com",response=d388dad90d4bbd760a152321f2143af7,qop=auth';
    expect(await ex.step(b(msg))).toEqual({ kind: 'failure', condition: 'not-authorized', text: 'digest-uri mismatch' });
  });

  it('accepts the RFC 2831 example message when the digest-uri is xmpp/<domain>', async () => {
    const domain = 'elwood.innosoft.com';
    const ex = digestMd5WithNonce('OA6MG9tEQGm2hh').start({ domain }, memorySource({ chris: { password: 'secret' } }, domain));
    await ex.step(null);
    const response = digestMd5Response({ ...rfc, digestUri: `xmpp/${domain}` });
    const msg = ` username = "chris" , realm="${domain}",nonce="OA6MG9tEQGm2hh",,nc=00000001,cnonce="OA6\\MHXh6VqTrRk",digest-uri="xmpp/${domain}",response=${response.toUpperCase()},qop=auth,charset=utf-8`;
    const c2 = data(await ex.step(b(msg))); // \\M is a quoted-pair for M
    expect(c2.toString()).toBe(`rspauth=${digestMd5Rspauth({ ...rfc, digestUri: `xmpp/${domain}` })}`);
  });

  /** A digest-response with a correctly recomputed response= for the (possibly altered) fields. */
  function craft(o: Partial<Record<'username' | 'realm' | 'nonce' | 'nc' | 'qop' | 'digest-uri' | 'password', string>> = {}): Buffer {
    const f = {
      username: 'chris',
      realm: ctx.domain,
      nonce: 'OA6MG9tEQGm2hh',
      nc: '00000001',
      qop: 'auth',
      'digest-uri': `xmpp/${ctx.domain}`,
      password: 'secret',
      ...o,
    };
    const ha1 = digestHa1(f.username, f.realm, f.password);
    const response = digestMd5Response({ ha1, nonce: f.nonce, cnonce: 'c1', nc: f.nc, qop: f.qop, digestUri: f['digest-uri'] });
    const entries: [string, string][] = [
      ['username', f.username],
      ['realm', f.realm],
      ['nonce', f.nonce],
      ['cnonce', 'c1'],
      ['nc', f.nc],
      ['qop', f.qop],
      ['digest-uri', f['digest-uri']],
      ['response', response],
      ['charset', 'utf-8'],
    ];
    return b(formatDirectives(entries, new Set(['nc', 'qop', 'response', 'charset'])));
  }

  const tampered: [string, Parameters<typeof craft>[0], string][] = [
    ['wrong nonce', { nonce: 'OA6MG9tEQGm2hX' }, 'nonce mismatch'],
    ['wrong realm', { realm: 'example.org' }, 'realm mismatch'],
    ['wrong nc', { nc: '00000002' }, 'unexpected nonce count'],
    ['wrong qop', { qop: 'auth-int' }, 'unsupported qop'],
    ['wrong digest-uri', { 'digest-uri': 'xmpp/example.org' }, 'digest-uri mismatch'],
    ['other service digest-uri', { 'digest-uri': 'imap/example.com' }, 'digest-uri mismatch'],
  ];

  it('accepts the crafted baseline response', async () => {
    const ex = digestMd5WithNonce('OA6MG9tEQGm2hh').start(ctx, users());
    await ex.step(null);
    expect((await ex.step(craft())).kind).toBe('challenge');
  });

  it.each(tampered)('%s (with a matching response=) -> not-authorized', async (_name, fields, text) => {
    const ex = digestMd5WithNonce('OA6MG9tEQGm2hh').start(ctx, users());
    await ex.step(null);
    expect(await ex.step(craft(fields))).toEqual({ kind: 'failure', condition: 'not-authorized', text });
  });

  const broken: [string, (r: string) => string, string][] = [
    ['tampered response', (r) => r.replace(/response=./, (m) => (m.endsWith('0') ? 'response=1' : 'response=0')), 'not-authorized'],
    ['missing response', (r) => r.replace(/,response=[0-9a-f]+/, ''), 'malformed-request'],
    ['missing cnonce', (r) => r.replace(/,cnonce="[^"]*"/, ''), 'malformed-request'],
    ['duplicate username', (r) => `${r},username="chris"`, 'malformed-request'],
    ['unterminated quote', (r) => `${r},authzid="x`, 'malformed-request'],
    ['bad charset', (r) => r.replace('charset=utf-8', 'charset=latin1'), 'malformed-request'],
  ];

  it.each(broken)('%s -> %s', async (_name, mutate, condition) => {
    const ex = digestMd5WithNonce('OA6MG9tEQGm2hh').start(ctx, users());
    const response = digestMd5ClientResponse(data(await ex.step(null)), client()).toString();
    expect(mutate(response)).not.toBe(response);
    expect(await ex.step(b(mutate(response)))).toMatchObject({ kind: 'failure', condition });
  });

  it('wrong password and unknown user -> not-authorized', async () => {
    for (const o of [{ password: 'wrong' }, { username: 'romeo' }]) {
      const ex = digestMd5.start(ctx, users());
      const response = digestMd5ClientResponse(data(await ex.step(null)), client(o));
      expect(await ex.step(response)).toMatchObject({ kind: 'failure', condition: 'not-authorized' });
    }
  });

  it('an initial response is a protocol error', async () => {
    for (const initial of [b('username="chris"'), Buffer.alloc(0)]) {
      expect(await digestMd5.start(ctx, users()).step(initial)).toMatchObject({ kind: 'failure', condition: 'malformed-request' });
    }
  });

  it('a non-empty answer to rspauth -> malformed-request', async () => {
    const ex = digestMd5.start(ctx, users());
    data(await ex.step(digestMd5ClientResponse(data(await ex.step(null)), client())));
    expect(await ex.step(b('x'))).toMatchObject({ kind: 'failure', condition: 'malformed-request' });
  });

  it('backend throwing -> temporary-auth-failure', async () => {
    const ex = digestMd5.start(ctx, failingSource());
    const response = digestMd5ClientResponse(data(await ex.step(null)), client());
    expect(await ex.step(response)).toEqual({ kind: 'failure', condition: 'temporary-auth-failure' });
  });

  it('uses a fresh random nonce per exchange', async () => {
    const n1 = data(await digestMd5.start(ctx, users()).step(null)).toString();
    const n2 = data(await digestMd5.start(ctx, users()).step(null)).toString();
    expect(n1).not.toBe(n2);
  });
});
