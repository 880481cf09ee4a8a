import { describe, expect, it } from 'vitest';
import { AddressSet } from './address-set';
import { clientAddress } from './forwarded';

const proxies = new AddressSet(['10.0.0.0/8']);

describe('clientAddress (X-Forwarded-For from trusted proxies)', () => {
  it('is the peer when the peer is not a trusted proxy, whatever the header says', () => {
    expect(clientAddress('198.51.100.7', '203.0.113.1', proxies)).toBe('198.51.100.7');
  });

  it('is the peer without the header', () => {
    expect(clientAddress('10.1.2.3', undefined, proxies)).toBe('10.1.2.3');
  });

  it('is the rightmost address no trusted proxy added', () => {
    expect(clientAddress('10.1.2.3', '203.0.113.1', proxies)).toBe('203.0.113.1');
    // The client put a forged hop first; the ingress appended the real one.
    expect(clientAddress('10.1.2.3', '192.0.2.99, 203.0.113.1', proxies)).toBe('203.0.113.1');
    // Two trusted proxies in a row.
    expect(clientAddress('10.1.2.3', '203.0.113.1, 10.9.9.9', proxies)).toBe('203.0.113.1');
    expect(clientAddress('10.1.2.3', ['192.0.2.99', '203.0.113.1'], proxies)).toBe('203.0.113.1');
  });

  it('does not believe a header that is not a list of addresses', () => {
    expect(clientAddress('10.1.2.3', 'unknown', proxies)).toBe('10.1.2.3');
    expect(clientAddress('10.1.2.3', '203.0.113.1, <script>', proxies)).toBe('10.1.2.3');
  });

  it('takes IPv6 and dual-stack peers', () => {
    const v6 = new AddressSet(['fd00::/8', '10.0.0.0/8']);
    expect(clientAddress('::ffff:10.0.0.5', '2001:db8::1', v6)).toBe('2001:db8::1');
    expect(clientAddress('fd00::1', '203.0.113.1', v6)).toBe('203.0.113.1');
  });
});
