// Lint, and above all the dependency rules between projects: libraries depend
// downward only (app → feature → protocol/infra → util/proto), scopes keep to
// themselves or shared, and pure protocol code does no I/O.
import nx from '@nx/eslint-plugin';

const pureBans = ['@grpc/*', '@nats-io/*', 'node:net', 'node:tls', 'net', 'tls', 'node:http', 'http', 'pino', 'prom-client'];

function boundaries(spec) {
  const t = (tags) => (spec ? [...tags, 'type:testing'] : tags);
  return {
    enforceBuildableLibDependency: false,
    allowCircularSelfDependency: false,
    depConstraints: [
      { sourceTag: 'type:app', onlyDependOnLibsWithTags: t(['type:feature', 'type:protocol', 'type:infra', 'type:proto', 'type:util']) },
      { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:testing', 'type:protocol', 'type:infra', 'type:proto', 'type:util'] },
      { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:protocol', 'type:util'] },
      { sourceTag: 'type:feature', onlyDependOnLibsWithTags: t(['type:feature', 'type:protocol', 'type:infra', 'type:proto', 'type:util']) },
      { sourceTag: 'type:infra', onlyDependOnLibsWithTags: t(['type:infra', 'type:proto', 'type:util']) },
      { sourceTag: 'type:protocol', onlyDependOnLibsWithTags: t(['type:protocol', 'type:util']), bannedExternalImports: pureBans },
      { sourceTag: 'type:util', onlyDependOnLibsWithTags: t(['type:util']), bannedExternalImports: ['@grpc/*', '@nats-io/*'] },
      { sourceTag: 'type:proto', onlyDependOnLibsWithTags: [] },
      { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
      { sourceTag: 'scope:edge', onlyDependOnLibsWithTags: ['scope:edge', 'scope:shared'] },
      { sourceTag: 'scope:auth', onlyDependOnLibsWithTags: ['scope:auth', 'scope:shared'] },
      { sourceTag: 'scope:session', onlyDependOnLibsWithTags: ['scope:session', 'scope:shared'] },
      { sourceTag: 'scope:router', onlyDependOnLibsWithTags: ['scope:router', 'scope:shared'] },
      { sourceTag: 'scope:admin', onlyDependOnLibsWithTags: ['scope:admin', 'scope:shared'] },
      { sourceTag: 'scope:upload', onlyDependOnLibsWithTags: ['scope:upload', 'scope:shared'] },
    ],
  };
}

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/dist/**', '**/node_modules/**', 'libs/proto/src/gen/**', 'var/**', 'tmp/**', '**/*.mjs', '**/*.cjs', 'types/**'] },
  {
    files: ['**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': ['error', boundaries(false)], '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  // Specs may also use the test harness (type:testing); production code may not.
  {
    files: ['**/*.spec.ts'],
    rules: { '@nx/enforce-module-boundaries': ['error', boundaries(true)] },
  },
];
