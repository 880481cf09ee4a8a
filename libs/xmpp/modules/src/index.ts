// The one place server modules are registered.
import { disco } from './disco/disco';
import { CAPS_NODE, capsVer } from './disco/caps';
import { defineModule, ModuleHost, type ServerModule } from './host';
import { ping } from './ping/ping';
import { register } from './register/register';
import { account } from './account/account';
import { last } from './last/last';
import { privateStorage } from './private/private';
import { time } from './time/time';
import { vcard } from './vcard/vcard';
import { version } from './version/version';
import { blockingFeature, carbonsFeature, offlineFeature } from './declared/declared';

export const serverModules: readonly ServerModule[] = [disco, ping, register, version, time, last, account, privateStorage, vcard, offlineFeature, carbonsFeature, blockingFeature];

/** The caps the edge advertises, computed from the same modules the router serves. */
export function serverCaps(domain: string): { node: string; ver: string; hash: string } {
  return new ModuleHost(domain, serverModules).caps();
}

export { CAPS_NODE, capsVer, defineModule, ModuleHost };
export type { DiscoInfo } from './disco/caps';
export type { DocStore, Identity, IqContext, IqHandler, ModuleDeps, ModuleLimits, ServerModule, Target } from './host';
export { DEFAULT_MODULE_LIMITS } from './host';
export { SERVER_NAME, SERVER_VERSION } from './version/version';
export { vcardProblem, VCARD_BUCKET } from './vcard/vcard';
export { PRIVATE_BUCKET } from './private/private';
