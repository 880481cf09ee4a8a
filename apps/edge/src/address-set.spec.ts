import { describe, expect, it } from 'vitest';
import { AddressSet } from './address-set';
import { edgeConfig } from './config';

describe('AddressSet', () => {
  it('matches addresses and networks of both families, and IPv4-mapped peers', () => {
    const s = new AddressSet(['127.0.0.1', '::1', '10.0.0.0/8', 'fd00::/8']);
    for (const ip of ['127.0.0.1', '::ffff:127.0.0.1', '::1', '10.42.0.7', '::ffff:10.1.2.3', 'fd12::5']) expect(s.has(ip)).toBe(true);
    for (const ip of ['127.0.0.2', '11.0.0.1', '2001:db8::1', '', 'localhost']) expect(s.has(ip)).toBe(false);
  });

  it("'none' is the empty set; anything else that is not an address or network is refused", () => {
    expect(new AddressSet(['none']).has('127.0.0.1')).toBe(false);
    for (const bad of ['localhost', '10.0.0.0/33', '10.0.0.0/x', '1.2.3.4/8/1']) expect(() => new AddressSet([bad])).toThrow(/not an IP address or network/);
  });

  it('is checked when the configuration loads', () => {
    expect(() => edgeConfig.load({ MAX_CONNECTIONS_PER_IP_EXEMPT: '10.0.0.0/8,ingress' })).toThrow(
      /MAX_CONNECTIONS_PER_IP_EXEMPT: 'ingress' is not an IP address/,
    );
    expect(edgeConfig.load({ MAX_CONNECTIONS_PER_IP_EXEMPT: '10.0.0.0/8, fd00::/8' }).MAX_CONNECTIONS_PER_IP_EXEMPT).toEqual(['10.0.0.0/8', 'fd00::/8']);
  });
});
