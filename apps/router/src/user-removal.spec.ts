import { describe, expect, it } from 'vitest';
import { UserRemoval } from './user-removal';

describe('UserRemoval', () => {
  it('runs every registered hook, sessions before contacts before data, and fails (to be retried) if one fails', async () => {
    const seen: string[] = [];
    const hook = (name: string) => async () => void seen.push(name);
    const r = new UserRemoval()
      .register('vcard', hook('vcard'))
      .register('kick', hook('kick'), 'sessions')
      .register('tell', hook('tell'), 'contacts')
      .register('roster', hook('roster'));
    await r.remove({ user: 'u', keepConnectionId: '' });
    expect(seen.slice(0, 2)).toEqual(['kick', 'tell']);
    expect(seen.slice(2).sort()).toEqual(['roster', 'vcard']);
    r.register('broken', async () => Promise.reject(new Error('down')), 'contacts');
    seen.length = 0;
    await expect(r.remove({ user: 'u', keepConnectionId: '' })).rejects.toThrow('down');
    expect(seen).toEqual(['kick', 'tell']);
  });
});
