export { bool, ConfigError, defineConfig, extend, int, list, oneOf, str } from './define';
export type { ConfigDefinition, ConfigOf, Schema, Setting } from './define';
export { commonSettings, grpcServerSettings } from './common';
