export { render, load, nameOf, kubectl, parseManifests, root } from './render';
export type { Manifest } from './render';
export { checkSchema, typesModule } from './schema';
export { checkProbePorts, checkServicePorts } from './ports';
export { appOf, checkEnv, envNames, resolveEnv } from './env';
export type { Resolvers } from './env';
export { checkDockerfile, parseDockerfile, readDockerfile } from './dockerfile';
export { containers, selects, workloads } from './workloads';
export type { Workload } from './workloads';
