import { describe, expect, it } from 'vitest';
import { checkScramPassword, deriveScram, deriveScramAsync } from './index';

describe('async SCRAM derivation', () => {
  it('matches the RFC 5802 §5 keys for user/pencil', async () => {
    const salt = Buffer.from('QSXCR+Q6sek8bf92', 'base64');
    const a = await deriveScramAsync('pencil', 'SHA-1', { salt, iterations: 4096 });
    expect(a).toEqual(deriveScram('pencil', 'SHA-1', { salt, iterations: 4096 }));
  });
  it('checks a password against stored credentials', async () => {
    const stored = await deriveScramAsync('pencil', 'SHA-256', { iterations: 4096 });
    expect(await checkScramPassword('pencil', 'SHA-256', stored)).toBe(true);
    expect(await checkScramPassword('Pencil', 'SHA-256', stored)).toBe(false);
    expect(await checkScramPassword('bad\u0007', 'SHA-256', stored)).toBe(false);
  });
});
