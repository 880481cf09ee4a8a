export { Health } from './health';
export { serverOptions, startGrpcServer } from './server';
export type { GrpcServerOptions, RunningGrpcServer } from './server';
export { channelOptions, createClient, waitForReady, waitingMetadata } from './client';
export { call, unary } from './calls';
export { Metadata, status, type ServiceError } from '@grpc/grpc-js';
