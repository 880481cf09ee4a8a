export { Health } from './health';
export { serverOptions, startGrpcServer } from './server';
export type { GrpcServerOptions, RunningGrpcServer } from './server';
export { channelOptions, createClient, waitForReady, waitingMetadata } from './client';
export { call, unary } from './calls';
export { DuplexMux } from './duplex-mux';
export { OpenStreams, StreamWork } from './open-streams';
export type { Conversation } from './duplex-mux';
export { Metadata, status, type ServiceError } from '@grpc/grpc-js';
