// Usernames are prepared and bounded before they can become a KV key (a NATS subject).
import { describe, expect, it } from 'vitest';
import { register } from 'prom-client';
import { boundedLocal, prepareUsername } from './usernames';

async function counted(path: string): Promise<number> {
  const m = await register.getSingleMetric('xmpp_auth_invalid_usernames_total')?.get();
  return m?.values.find((v) => v.labels.path === path)?.value ?? 0;
}

describe('usernames', () => {
  it('prepares a localpart (RFC 7622: case-mapped, NFC)', () => {
    expect(boundedLocal('Juliet')).toBe('juliet');
    expect(boundedLocal('e\u0301mile')).toBe('\u00e9mile');
  });

  it('accepts up to 1023 bytes, refuses more, and does not even prepare very long input', () => {
    expect(boundedLocal('a'.repeat(1023))).toBe('a'.repeat(1023));
    expect(boundedLocal('a'.repeat(1024))).toBeNull();
    expect(boundedLocal('\u00e9'.repeat(511))).toBe('\u00e9'.repeat(511)); // 1022 bytes
    expect(boundedLocal('\u00e9'.repeat(512))).toBeNull(); // 1024 bytes
    expect(boundedLocal('a'.repeat(250_000))).toBeNull();
  });

  it('counts what it refuses, by path', async () => {
    const before = await counted('sasl');
    expect(prepareUsername('x'.repeat(4100), 'sasl')).toBeNull();
    expect(prepareUsername('bad user', 'sasl')).toBeNull();
    expect(prepareUsername('fine', 'sasl')).toBe('fine');
    expect(await counted('sasl')).toBe(before + 2);
  });
});
