// Every router module, in load order (ROUTER_MODULES enables them by name).
// The ones whose handlers need nothing of the router are @cx/modules' as
// they are; the others hook the router's events (module.ts).
import type { RouterModule } from './module';
import { serverModule } from './served';
import { lastModule } from './last';
import { rosterModule } from './roster';
import { presenceModule } from './presence';
import { blockingModule } from './blocking';
import { carbonsModule } from './carbons';
import { offlineModule } from './offline';
import { pepModule } from './pep';
import { mamModule } from './mam';
import { mucModule } from './muc';
import { componentsModule } from './components';
import { uploadModule } from './upload';
import { extdiscoModule } from './extdisco';
import { proxy65Module } from './proxy65';

const served = (name: string): RouterModule => ({ name, serves: serverModule(name) });

export const routerModules: readonly RouterModule[] = [
  served('disco'),
  served('account'),
  served('ping'),
  served('register'),
  served('version'),
  served('time'),
  served('private'),
  served('vcard'),
  rosterModule,
  presenceModule,
  blockingModule,
  carbonsModule,
  offlineModule,
  lastModule,
  pepModule,
  mamModule,
  mucModule,
  componentsModule,
  uploadModule,
  extdiscoModule,
  proxy65Module,
];

export { enabledModules, loadModules, moduleHost } from './module';
export type { RouterContext, RouterEvents, RouterHooks, RouterModule, SharedServices } from './module';
