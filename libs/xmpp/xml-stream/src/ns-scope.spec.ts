// Namespace lookups cost O(1) each (issue 9 #7): a stanza that declares n prefixes and
// uses the first one n times was quadratic when each lookup scanned the scope chain.
import { describe, expect, it } from 'vitest';
import { NsScope } from './ns-scope';

/** Bindings the scope examines for one item with n declarations and n uses of the first prefix. */
function probesFor(n: number): number {
  const scope = new NsScope({ itemDepth: 1, maxDeclarations: 0 });
  const decls: Record<string, string> = {};
  for (let i = 0; i < n; i++) decls[`xmlns:p${i}`] = `urn:example:${i}`;
  expect(scope.enter('m', decls, 1)).toBeNull();
  for (let i = 0; i < n; i++) {
    expect(scope.enter('p0:x', { 'p0:a': '1' }, 2)).toBeNull();
    scope.leave(2);
  }
  scope.leave(1);
  expect(scope.has('p0')).toBe(false);
  return scope.probes;
}

describe('NsScope', () => {
  it('examines a bounded number of bindings per lookup, whatever is in scope', () => {
    const small = probesFor(1000);
    const large = probesFor(4000);
    expect(large).toBeLessThanOrEqual(3 * 4000); // two lookups per use, one pop per declaration
    expect(large / small).toBeLessThan(4.5); // linear: 4x the input, about 4x the work
  });

  it('restores an outer binding when an inner one goes out of scope', () => {
    const scope = new NsScope({ itemDepth: 1, maxDeclarations: 0 });
    scope.enter('stream:stream', { 'xmlns:stream': 'urn:s', 'xmlns:a': 'urn:outer' }, 0);
    scope.enter('m', { 'xmlns:a': 'urn:inner' }, 1);
    expect(scope.enter('a:x', {}, 2)).toBeNull();
    expect(scope.takeInherited()).toBeNull(); // a: was bound inside the item
    scope.leave(1);
    expect(scope.enter('n', {}, 1)).toBeNull();
    expect(scope.enter('a:y', {}, 2)).toBeNull();
    expect(scope.takeInherited()).toEqual(new Map([['a', 'urn:outer']]));
  });

  it('refuses more prefixed declarations on one element than configured, with policy-violation', () => {
    const scope = new NsScope({ itemDepth: 1, maxDeclarations: 2 });
    expect(scope.enter('m', { 'xmlns:a': 'urn:a', 'xmlns:b': 'urn:b', xmlns: 'urn:d' }, 1)).toBeNull();
    expect(scope.enter('n', { 'xmlns:a': 'urn:a', 'xmlns:b': 'urn:b', 'xmlns:c': 'urn:c' }, 2)).toEqual({
      condition: 'policy-violation',
      text: 'more than 2 namespace declarations on one element',
      limit: 'namespace-declarations',
    });
  });
});
