// Public API of @cx/component-registry: where external components (XEP-0114) are connected.
export { COMPONENTS_BUCKET, ComponentRegistry, type ComponentRoute } from './registry';
