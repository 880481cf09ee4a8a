// What a router module advertises, by the name @cx/modules gives it (the
// edge computes the caps from the same list).
import { serverModules, type ServerModule } from '@cx/modules';

export function serverModule(name: string): ServerModule {
  const m = serverModules.find((x) => x.name === name);
  if (!m) throw new Error(`no server module "${name}" in @cx/modules`);
  return m;
}
