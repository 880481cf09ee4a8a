import { describe, expect, it } from 'vitest';
import { defineModule, Hooks, type ModuleDeps } from '@cx/modules';
import { ROUTER_MODULE_NAMES, routerConfig } from '../config';
import { routerModules } from './index';
import { enabledModules, loadModules, moduleHost, type RouterContext, type RouterEvents, type RouterModule } from './module';

const deps: ModuleDeps = { store: () => ({}) as never, userExists: async () => true, startedAt: 0 };

function context(modules: readonly RouterModule[]): RouterContext {
  return { host: moduleHost('localhost', modules, deps), hooks: new Hooks<RouterEvents>() } as unknown as RouterContext;
}

describe('router modules', () => {
  it('ROUTER_MODULES enables every module by default, in the order they load', () => {
    expect(routerModules.map((m) => m.name)).toEqual([...ROUTER_MODULE_NAMES]);
    expect(routerConfig.load({}).ROUTER_MODULES).toEqual([...ROUTER_MODULE_NAMES]);
  });

  it('an unknown name in ROUTER_MODULES is a configuration error, before anything starts', () => {
    expect(routerConfig.load({ ROUTER_MODULES: 'ping, carbons' }).ROUTER_MODULES).toEqual(['ping', 'carbons']);
    expect(() => routerConfig.load({ ROUTER_MODULES: 'ping,pong' })).toThrow(/ROUTER_MODULES: unknown module "pong" \(known: disco, account, ping/);
  });

  it('load in their defined order whatever the order of the setting', () => {
    expect(enabledModules(routerModules, ['offline', 'ping', 'presence', 'disco']).map((m) => m.name)).toEqual(['disco', 'ping', 'presence', 'offline']);
  });

  it('an unknown name fails the start with the names known', () => {
    expect(() => enabledModules(routerModules, ['ping', 'pong'])).toThrow(/ROUTER_MODULES: unknown module "pong" \(known: disco, account, ping/);
  });

  it('a module enabled without one it needs to serve what it advertises fails the start, saying why', () => {
    expect(() => enabledModules(routerModules, ['disco', 'offline', 'last'])).toThrow(
      /ROUTER_MODULES: "offline" needs "presence" \(stored messages are handed over at initial presence.*\); "last" needs "presence"/,
    );
    expect(enabledModules(routerModules, ['presence', 'offline']).map((m) => m.name)).toEqual(['presence', 'offline']);
  });

  it('the disco#info of the domain lists only the enabled modules', async () => {
    const host = moduleHost('localhost', enabledModules(routerModules, ['disco', 'ping', 'carbons']), deps);
    expect(host.features()).toEqual(['http://jabber.org/protocol/disco#info', 'http://jabber.org/protocol/disco#items', 'urn:xmpp:carbons:2', 'urn:xmpp:ping']);
  });

  it('a module that advertises a feature and serves nothing does not load; with a hook it does', async () => {
    const empty: RouterModule = { name: 'empty', serves: defineModule({ name: 'empty', spec: 'none', features: ['urn:example:x'] }) };
    await expect(loadModules([empty], context([empty]))).rejects.toThrow('router module "empty" advertises urn:example:x but serves nothing');
    const hooked: RouterModule = { ...empty, setup: (ctx) => void ctx.hooks.on('stanza-in', () => undefined, { module: 'empty' }) };
    const stop = await loadModules([hooked], context([hooked]));
    await stop();
  });

  it('stops the loaded modules in reverse order', async () => {
    const order: string[] = [];
    const mod = (name: string): RouterModule => ({ name, setup: () => () => void order.push(name) });
    const stop = await loadModules([mod('a'), mod('b')], context([]));
    await stop();
    expect(order).toEqual(['b', 'a']);
  });
});
