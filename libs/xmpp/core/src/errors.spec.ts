import { describe, expect, it } from 'vitest';
import { StreamError } from './errors';

describe('StreamError', () => {
  it('puts the text in a <text/> element', () => {
    expect(new StreamError('system-shutdown', 'restarting').toElement().toString()).toBe(
      `<stream:error><system-shutdown xmlns="urn:ietf:params:xml:ns:xmpp-streams"/><text xmlns="urn:ietf:params:xml:ns:xmpp-streams" xml:lang="en">restarting</text></stream:error>`,
    );
  });

  it('gives see-other-host the other host as its character data (RFC 6120 §4.9.3.19)', () => {
    expect(new StreamError('see-other-host', '[2001:41D0:1:A49b::1]:9222').toElement().toString()).toBe(
      `<stream:error><see-other-host xmlns="urn:ietf:params:xml:ns:xmpp-streams">[2001:41D0:1:A49b::1]:9222</see-other-host></stream:error>`,
    );
  });
});
