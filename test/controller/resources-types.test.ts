// Where each kind lives in the REST API (lib/controller/resources.ts), read directly: the lookups by
// apiVersion/kind and by kind alone, the collection and object paths every request is built from,
// and the owner reference every rendered object carries. Other tests reach these only through the
// KubeClient and the fake API server, which would route a wrong path the same wrong way.
import { OWNED_KINDS, RESOURCE_TYPES, collectionPath, objectPath, ownerReference, resourceType, typeOf } from '../../lib/controller/resources';
import type { KubeObject } from '../../lib/synth';

test('resourceType: by apiVersion and kind; the two Ingress kinds apart; an unknown pair refused by name', () => {
  expect(resourceType('apps/v1', 'Deployment')).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments', namespaced: true });
  expect(resourceType('networking.k8s.io/v1', 'Ingress')).toEqual({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', plural: 'ingresses', namespaced: true });
  expect(resourceType('config.openshift.io/v1', 'Ingress')).toEqual({ apiVersion: 'config.openshift.io/v1', kind: 'Ingress', plural: 'ingresses', namespaced: false });
  expect(() => resourceType('v1', 'Deployment')).toThrow(new Error('unknown resource type v1 Deployment'));
  expect(() => resourceType('apps/v1', 'Gadget')).toThrow(new Error('unknown resource type apps/v1 Gadget'));
});

test('typeOf: by kind alone, the first listed (Ingress is the networking one); an unknown kind refused by name', () => {
  expect(typeOf('Secret')).toEqual({ apiVersion: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true });
  expect(typeOf('Ingress')).toEqual({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', plural: 'ingresses', namespaced: true });
  expect(typeOf('QuayRegistry')).toEqual({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', plural: 'quayregistries', namespaced: true });
  expect(() => typeOf('Gadget')).toThrow(new Error('unknown kind Gadget'));
});

test('every kind the operator renders has a resource type, and no apiVersion/kind is listed twice', () => {
  expect(OWNED_KINDS.filter((k) => !RESOURCE_TYPES.some((t) => t.kind === k))).toEqual([]);
  const keys = RESOURCE_TYPES.map((t) => `${t.apiVersion}/${t.kind}`);
  expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);
});

test('collectionPath: /api for the core group, /apis otherwise; namespaced kinds under their namespace, or across all without one', () => {
  expect(collectionPath(typeOf('Secret'), 'ns')).toBe('/api/v1/namespaces/ns/secrets');
  expect(collectionPath(typeOf('Secret'))).toBe('/api/v1/secrets');
  expect(collectionPath(typeOf('Secret'), '')).toBe('/api/v1/secrets');
  expect(collectionPath(typeOf('Deployment'), 'ns')).toBe('/apis/apps/v1/namespaces/ns/deployments');
  expect(collectionPath(typeOf('Deployment'))).toBe('/apis/apps/v1/deployments');
  // Cluster-scoped: a namespace given is not part of the path.
  expect(collectionPath(typeOf('Namespace'), 'ns')).toBe('/api/v1/namespaces');
  expect(collectionPath(typeOf('ClusterRole'), 'ns')).toBe('/apis/rbac.authorization.k8s.io/v1/clusterroles');
});

test('objectPath: the collection path and the name, escaped', () => {
  expect(objectPath(typeOf('Secret'), 'ns', 'bundle')).toBe('/api/v1/namespaces/ns/secrets/bundle');
  expect(objectPath(resourceType('config.openshift.io/v1', 'Ingress'), undefined, 'cluster')).toBe('/apis/config.openshift.io/v1/ingresses/cluster');
  expect(objectPath(typeOf('Secret'), 'ns', 'a/b c')).toBe('/api/v1/namespaces/ns/secrets/a%2Fb%20c');
});

test('ownerReference: the registry as controlling owner, blocking its deletion until the object is gone', () => {
  const registry = { apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: 'r', namespace: 'ns', uid: 'uid-1' } } as KubeObject;
  expect(ownerReference(registry)).toEqual({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', name: 'r', uid: 'uid-1', controller: true, blockOwnerDeletion: true });
});
