// The user search filter: a template such as `(uid=%u)` with the username put
// in as an RFC 4515 §3 assertion value, so a username can never change the
// filter's structure (LDAP injection).

/** RFC 4515 §3: escape `*`, `(`, `)`, `\` and NUL as \XX (UTF-8 passes unchanged). */
export function escapeFilterValue(value: string): string {
  return value.replace(/[*()\\\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** The filter that finds one user. */
export function userFilter(template: string, username: string): string {
  const escaped = escapeFilterValue(username);
  return template.replaceAll('%u', () => escaped);
}

/** The filter that finds every user: `%u` becomes `*` (a presence or substring match). */
export function allUsersFilter(template: string): string {
  return template.replaceAll('%u', '*');
}

/** The attribute that holds the username: the one compared with `%u` (uid by default). */
export function usernameAttribute(template: string): string {
  return /\(\s*([A-Za-z][\w.-]*)\s*=\s*%u\s*\)/.exec(template)?.[1] ?? 'uid';
}

/** Problems with a filter template (empty: usable). */
export function checkFilterTemplate(template: string): string[] {
  const problems: string[] = [];
  if (!template.includes('%u')) problems.push('the filter must contain %u (the username)');
  if (!/^\(.*\)$/s.test(template.trim())) problems.push('the filter must be parenthesised, e.g. (uid=%u)');
  let depth = 0;
  for (const c of template.replace(/\\./g, '')) {
    depth += c === '(' ? 1 : c === ')' ? -1 : 0;
    if (depth < 0) break;
  }
  if (depth !== 0) problems.push('the filter has unbalanced parentheses');
  return problems;
}
