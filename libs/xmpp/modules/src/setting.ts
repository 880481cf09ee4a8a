// ROUTER_MODULES: which router modules are enabled. The router loads them;
// the edge computes its caps (XEP-0115) from the same list, so the hash
// matches the disco#info the router answers.
import { list, type Setting } from '@cx/config';

/** Every router module, in load order (apps/router/src/modules/index.ts lists them in the same order). */
export const ROUTER_MODULE_NAMES = [
  'disco',
  'account',
  'ping',
  'register',
  'version',
  'time',
  'private',
  'vcard',
  'roster',
  'presence',
  'blocking',
  'carbons',
  'offline',
  'last',
  'pep',
  'mam',
  'muc',
  'components',
  'upload',
  'extdisco',
  'proxy65',
] as const;

/** A list of module names, all by default; an unknown name is a configuration error (reported before anything starts). */
export function routerModulesSetting(description: string): Setting<string[]> {
  const base = list([...ROUTER_MODULE_NAMES], description);
  return {
    ...base,
    kind: `comma-separated list of ${ROUTER_MODULE_NAMES.join(', ')}`,
    parse(raw) {
      const names = base.parse(raw);
      const unknown = names.filter((n) => !(ROUTER_MODULE_NAMES as readonly string[]).includes(n));
      if (unknown.length)
        throw new Error(`unknown module${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')} (known: ${ROUTER_MODULE_NAMES.join(', ')})`);
      return names;
    },
  };
}
