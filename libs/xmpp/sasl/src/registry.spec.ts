// Mechanism offering (RFC 6120 §6.3.3) and the public API surface of index.ts.
import { describe, it, expect } from 'vitest';
import * as api from './index';
import type { Capability } from './index';

const names = (caps: Capability[]) => api.offeredMechanisms(new Set(caps)).map((m) => m.name);

describe('mechanism registry', () => {
  it('lists mechanisms in preference order', () => {
    expect(api.mechanisms.map((m) => m.name)).toEqual(['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-1-PLUS', 'SCRAM-SHA-256', 'SCRAM-SHA-1', 'DIGEST-MD5', 'PLAIN']);
  });

  it('offers only what the backend can supply', () => {
    expect(names(['password:test'])).toEqual(['PLAIN']);
    expect(names(['scram:SHA-1'])).toEqual(['SCRAM-SHA-1-PLUS', 'SCRAM-SHA-1']);
    expect(names(['scram:SHA-256', 'digest-md5:ha1'])).toEqual(['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256', 'DIGEST-MD5']);
    expect(names(['scram:SHA-1', 'scram:SHA-256', 'digest-md5:ha1', 'password:test'])).toEqual([
      'SCRAM-SHA-256-PLUS',
      'SCRAM-SHA-1-PLUS',
      'SCRAM-SHA-256',
      'SCRAM-SHA-1',
      'DIGEST-MD5',
      'PLAIN',
    ]);
    expect(names([])).toEqual([]);
  });

  it('finds mechanisms by exact name', () => {
    expect(api.findMechanism('SCRAM-SHA-1')?.requires).toEqual(['scram:SHA-1']);
    expect(api.findMechanism('DIGEST-MD5')?.requires).toEqual(['digest-md5:ha1']);
    expect(api.findMechanism('SCRAM-SHA-256-PLUS')).toMatchObject({ requires: ['scram:SHA-256'], channelBinding: true });
    expect(api.findMechanism('CRAM-MD5')).toBeUndefined();
    expect(api.findMechanism('plain')).toBeUndefined();
  });

  it('exports exactly the public runtime API', () => {
    expect(Object.keys(api).sort()).toEqual([
      'SaslFailure',
      'ScramClient',
      'TLS_EXPORTER',
      'TLS_EXPORTER_LABEL',
      'TLS_EXPORTER_LENGTH',
      'TLS_SERVER_END_POINT',
      'TLS_UNIQUE',
      'checkScramPassword',
      'deriveScram',
      'deriveScramAsync',
      'digestHa1',
      'digestMd5ClientResponse',
      'endPointHash',
      'findMechanism',
      'mechanisms',
      'offeredMechanisms',
      'saslPrep',
      'tlsServerEndPoint',
      'verifyDigestMd5Rspauth',
    ]);
  });
});
