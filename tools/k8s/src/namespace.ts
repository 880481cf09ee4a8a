// Every namespaced object lands in the namespace of the overlay: an object
// without one goes to whatever namespace kubectl's context names, away from
// the objects it refers to (an autoscaler beside no Deployment never scales).
import { nameOf, type Manifest } from './render';

/** Kinds that live outside namespaces (the ones a deployment of ours could carry). */
const clusterScoped = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'PersistentVolume',
  'StorageClass',
  'PriorityClass',
  'IngressClass',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'APIService',
  'ClusterIssuer',
]);

/** Problems: each namespaced object not in `namespace`. */
export function checkNamespace(docs: Manifest[], namespace: string): string[] {
  return docs
    .filter((d) => !clusterScoped.has(d.kind) && d.metadata.namespace !== namespace)
    .map((d) => `${nameOf(d)}: in namespace ${d.metadata.namespace ?? "(none: the current context's)"}, not ${namespace}`);
}
