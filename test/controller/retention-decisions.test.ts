// spec.persistentVolumeClaimRetentionPolicy's decisions read directly (lib/controller/retention.ts):
// what holds a registry's data, which of it an apply releases, and the patch that drops the keys
// Secret's ownerReference. retention.test.ts runs the same against the fake API server.
import { managedKeysSecretName } from '../../lib/keys';
import { holdsData, keysOwnerReferencesPatch, releasedByApply, retainsData } from '../../lib/controller/retention';
import type { KubeObject } from '../../lib/synth';

const UID = 'uid-registry';
const registry = (whenDeleted?: string) =>
  ({
    apiVersion: 'quay.redhat.com/v1',
    kind: 'QuayRegistry',
    metadata: { name: 'r', namespace: 'ns', uid: UID },
    spec: whenDeleted ? { persistentVolumeClaimRetentionPolicy: { whenDeleted } } : {},
  }) as KubeObject;
const obj = (kind: string, name: string, owners: string[] = [], rv = '7') =>
  ({ apiVersion: 'v1', kind, metadata: { name, namespace: 'ns', resourceVersion: rv, ownerReferences: owners.map((uid) => ({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', name: 'r', uid })) } }) as KubeObject;
const KEYS = managedKeysSecretName('r');

test('retainsData: only whenDeleted Retain', () => {
  expect([registry('Retain'), registry('Delete'), registry()].map(retainsData)).toEqual([true, false, false]);
});

test('holdsData: claims and the managed keys Secret, nothing else', () => {
  expect(holdsData(obj('PersistentVolumeClaim', 'any'), 'r')).toBe(true);
  expect(holdsData(obj('Secret', KEYS), 'r')).toBe(true);
  expect(holdsData(obj('Secret', 'r-quay-config-secret'), 'r')).toBe(false);
  expect(holdsData(obj('ConfigMap', KEYS), 'r')).toBe(false);
  expect(holdsData(obj('Secret', managedKeysSecretName('other')), 'r')).toBe(false);
});

test('releasedByApply: with Retain, the data holders whose live copy still names this registry as owner', () => {
  const rendered = [obj('PersistentVolumeClaim', 'db'), obj('PersistentVolumeClaim', 'theirs'), obj('PersistentVolumeClaim', 'new'), obj('Secret', KEYS), obj('Deployment', 'app')];
  const live = new Map([
    ['db', obj('PersistentVolumeClaim', 'db', ['other', UID])],
    ['theirs', obj('PersistentVolumeClaim', 'theirs', ['other'])],
    [KEYS, obj('Secret', KEYS, [UID])],
    ['app', obj('Deployment', 'app', [UID])],
  ]);
  const find = (o: KubeObject) => live.get(o.metadata.name);
  expect(releasedByApply(rendered, registry('Retain'), find)).toEqual(['PersistentVolumeClaim db', `Secret ${KEYS}`]);
  expect(releasedByApply(rendered, registry('Delete'), find)).toEqual([]);
});

test('keysOwnerReferencesPatch: drops only this registry\'s reference, at the resourceVersion read; nothing to do otherwise', () => {
  const owned = obj('Secret', KEYS, ['other', UID], '42');
  expect(keysOwnerReferencesPatch(registry('Retain'), owned)).toEqual({
    metadata: { ownerReferences: [{ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', name: 'r', uid: 'other' }], resourceVersion: '42' },
  });
  expect(keysOwnerReferencesPatch(registry('Retain'), obj('Secret', KEYS, [UID]))).toEqual({ metadata: { ownerReferences: [], resourceVersion: '7' } });
  expect(keysOwnerReferencesPatch(registry('Retain'), obj('Secret', KEYS, ['other']))).toBeUndefined();
  expect(keysOwnerReferencesPatch(registry('Retain'), obj('Secret', KEYS))).toBeUndefined();
  expect(keysOwnerReferencesPatch(registry('Delete'), owned)).toBeUndefined();
  expect(keysOwnerReferencesPatch(registry('Retain'), undefined)).toBeUndefined();
});
