export { bool, ConfigError, defineConfig, extend, int, list, oneOf, str } from './define';
export type { ConfigDefinition, ConfigOf, FileValues, Schema, Setting } from './define';
export { commonSettings, configFileSetting, grpcServerSettings, grpcTlsSettings, natsAuthSettings } from './common';
export { tracingSettings } from './tracing';
export { appSections, fileSettings, loadConfig, readConfigFile, sharedSettingNames } from './config-file';
