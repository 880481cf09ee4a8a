import { describe, expect, it } from 'vitest';
import { utcNow } from './time';

describe('XEP-0202 time', () => {
  it('formats UTC per XEP-0082 without fractions', () => {
    expect(utcNow(new Date(Date.UTC(2006, 11, 19, 17, 58, 35, 123)))).toBe('2006-12-19T17:58:35Z');
  });
});
