import { describe, expect, it } from 'vitest';
import { redirectSetting, shutdownError } from './shutdown';

describe('shutdown stream error', () => {
  it('is system-shutdown without a redirect, see-other-host with one', () => {
    expect(shutdownError('').condition).toBe('system-shutdown');
    expect(shutdownError('edge2.example.com:5222')).toEqual({ condition: 'see-other-host', text: 'edge2.example.com:5222' });
  });

  it('accepts host, host:port and [IPv6]:port, and nothing else', () => {
    const s = redirectSetting('');
    for (const ok of ['xmpp.example.com', 'lb:5222', '10.0.0.1:5222', '[2001:41D0:1:A49b::1]:9222', '[::1]']) expect(s.parse(ok)).toBe(ok);
    for (const bad of ['a b', 'host:port', 'host:99999', 'ws://x:1', '::1:5222']) expect(() => s.parse(bad)).toThrow(/host:port/);
  });
});
