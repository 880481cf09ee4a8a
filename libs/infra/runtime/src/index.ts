export { loadConfigOrExit, main, runService } from './run';
export type { BaseConfig, ServiceContext, Started } from './run';
