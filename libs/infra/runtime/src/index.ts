export { loadConfigOrExit, main, runService } from './run';
export { Readiness, startStatusServer } from './status-server';
export type { BaseConfig, ServiceContext, Started } from './run';
