import { describe, expect, it } from 'vitest';
import { allUsersFilter, checkFilterTemplate, escapeFilterValue, userFilter, usernameAttribute } from './filter';

describe('RFC 4515 escaping', () => {
  it('escapes the five special characters as \\XX', () => {
    expect(escapeFilterValue('a*b(c)d\\e\0f')).toBe('a\\2ab\\28c\\29d\\5ce\\00f');
  });

  it('leaves ordinary and non-ASCII characters alone', () => {
    expect(escapeFilterValue('juliet.capulet-1_é')).toBe('juliet.capulet-1_é');
  });

  it('keeps an injection attempt inside the assertion value', () => {
    expect(userFilter('(uid=%u)', '*)(uid=*')).toBe('(uid=\\2a\\29\\28uid=\\2a)');
  });

  it('fills every %u of a compound template, and $-patterns are not special', () => {
    expect(userFilter('(&(objectClass=person)(|(uid=%u)(mail=%u)))', '$&a')).toBe('(&(objectClass=person)(|(uid=$&a)(mail=$&a)))');
  });
});

describe('filter templates', () => {
  it('lists users with %u as *', () => {
    expect(allUsersFilter('(&(objectClass=person)(uid=%u))')).toBe('(&(objectClass=person)(uid=*))');
  });

  it('finds the username attribute, uid when it cannot tell', () => {
    expect(usernameAttribute('(&(objectClass=person)(sAMAccountName=%u))')).toBe('sAMAccountName');
    expect(usernameAttribute('(uid=%u)')).toBe('uid');
    expect(usernameAttribute('(cn=x-%u)')).toBe('uid');
  });

  it('rejects templates without %u, without parentheses or unbalanced', () => {
    expect(checkFilterTemplate('(uid=%u)')).toEqual([]);
    expect(checkFilterTemplate('(uid=bob)')).toHaveLength(1);
    expect(checkFilterTemplate('uid=%u')).toHaveLength(1);
    expect(checkFilterTemplate('(&(uid=%u)')).toHaveLength(1);
  });
});
