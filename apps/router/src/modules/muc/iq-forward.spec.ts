import { describe, expect, it } from 'vitest';
import { forwardId, readForwardId } from './iq-forward';

describe('forwarded iq ids', () => {
  const f = { asker: 'a@localhost/phone', target: 'b@localhost/laptop', id: 'v1' };

  it('round-trips under the same key', () => {
    expect(readForwardId('salt', forwardId('salt', f))).toEqual(f);
  });

  it('refuses another key, an altered body or signature, and ids that are not ours', () => {
    const id = forwardId('salt', f);
    expect(readForwardId('other', id)).toBeNull();
    const [body, sig] = id.slice('muc-fwd-'.length).split('.');
    const forged = Buffer.from(JSON.stringify(['evil@localhost/x', f.target, 'v1'])).toString('base64url');
    expect(readForwardId('salt', `muc-fwd-${forged}.${sig}`)).toBeNull();
    expect(readForwardId('salt', `muc-fwd-${body}.${sig.slice(1)}x`)).toBeNull();
    expect(readForwardId('salt', 'v1')).toBeNull();
    expect(readForwardId('salt', undefined)).toBeNull();
  });
});
