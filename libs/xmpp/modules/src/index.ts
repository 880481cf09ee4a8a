// The one place server modules are listed: what each advertises (disco,
// caps) and the IQ handlers that need nothing of the router. The router
// enables them by name (ROUTER_MODULES) and gives blocking, carbons and
// offline their handlers (apps/router/src/modules).
import { disco } from './disco/disco';
import { CAPS_NODE, capsVer } from './disco/caps';
import { defineModule, ModuleHost, PASS, REPLIED, type ServerModule } from './host';
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
];

/**
 * The caps the edge advertises, computed from the same modules the router
 * serves (`enabled`: their names, as in ROUTER_MODULES; absent: all).
 */
export function serverCaps(domain: string, enabled?: readonly string[]): { node: string; ver: string; hash: string } {
  return new ModuleHost(domain, enabled ? serverModules.filter((m) => enabled.includes(m.name)) : serverModules).caps();
}

export { CAPS_NODE, capsVer, defineModule, ModuleHost, PASS, REPLIED };
export type { DiscoInfo } from './disco/caps';
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
export { AVATAR_CONVERSION, BOOKMARK_CONVERSION, NS_PUBSUB, PEP_FEATURES } from './pep/pep';
export { ROUTER_MODULE_NAMES, routerModulesSetting } from './setting';
