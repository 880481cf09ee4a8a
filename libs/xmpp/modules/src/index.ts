// The one place server modules are listed: what each advertises (disco,
// caps) and the IQ handlers that need nothing of the router. The router
// enables them by name (ROUTER_MODULES) and gives blocking, carbons,
// offline and extdisco their handlers (apps/router/src/modules).
import { disco } from './disco/disco';
import { CAPS_NODE, capsVer } from './disco/caps';
import { defineModule, ModuleHost, PASS, REPLIED, type ModuleDeps, type ServerModule } from './host';
import type { ContactAddresses } from './disco/contact';
import { ping } from './ping/ping';
import { register } from './register/register';
import { account } from './account/account';
import { last } from './last/last';
import { privateStorage } from './private/private';
import { time } from './time/time';
import { vcard } from './vcard/vcard';
import { version } from './version/version';
import { blocking } from './blocking/blocking';
import { carbons } from './carbons/carbons';
import { offline } from './offline/offline';
import { pep } from './pep/pep';
import { mam } from './mam/mam';
import { extdisco } from './extdisco/extdisco';

export const serverModules: readonly ServerModule[] = [
  disco,
  ping,
  register,
  version,
  time,
  last,
  account,
  privateStorage,
  vcard,
  offline,
  carbons,
  blocking,
  pep,
  mam,
  extdisco,
];

/**
 * The caps the edge advertises, computed from the same modules the router
 * serves (`modules`: their names, as in ROUTER_MODULES; absent: all) and the
 * same configuration of what they advertise (`contacts`: CONTACT_*).
 */
export function serverCaps(
  domain: string,
  opts: { modules?: readonly string[]; contacts?: ContactAddresses } = {},
): { node: string; ver: string; hash: string } {
  const { modules, contacts } = opts;
  const deps: ModuleDeps = { store: () => ({}) as never, userExists: async () => false, startedAt: 0, contacts };
  return new ModuleHost(domain, modules ? serverModules.filter((m) => modules.includes(m.name)) : serverModules, deps).caps();
}

export { CAPS_NODE, capsVer, defineModule, ModuleHost, PASS, REPLIED };
export type { DiscoInfo } from './disco/caps';
export { formElement, type InfoField, type InfoForm } from './disco/form';
export { CONTACT_KINDS, contactAddresses, contactForm, contactSettings, NS_SERVERINFO, type ContactAddresses, type ContactKind } from './disco/contact';
export type {
  DiscoItem,
  DocStore,
  HostedAddress,
  HostedKind,
  Identity,
  IqContext,
  IqHandler,
  IqOutcome,
  ModuleDeps,
  ModuleLimits,
  ServerModule,
  Target,
} from './host';
export { DEFAULT_MODULE_LIMITS } from './host';
export { Hooks, STOP, type HookHandler, type HookResult } from './hooks';
export { SERVER_NAME, SERVER_VERSION } from './version/version';
export { vcardProblem, VCARD_BUCKET } from './vcard/vcard';
export { PRIVATE_BUCKET, readPrivate, writePrivate } from './private/private';
export { NS_BLOCKING } from './blocking/blocking';
export { NS_CARBONS } from './carbons/carbons';
export { AVATAR_CONVERSION, BOOKMARK_COMPAT_PEP, BOOKMARK_CONVERSION, NS_PUBSUB, PEP_FEATURES } from './pep/pep';
export { NS_MAM, NS_SID } from './mam/mam';
export { NS_EXTDISCO } from './extdisco/extdisco';
export { ROUTER_MODULE_NAMES, routerModulesSetting } from './setting';
