// The small readers over what the controller observed: which object, which condition, whether a
// Deployment serves, what a Job's state is, and whether the registry owns an object.
import { annotation, conditionOf, deploymentAvailable, findObject, jobState, ownedBy } from '../../lib/controller/observed';
import type { KubeObject } from '../../lib/synth';

const obj = (kind: string, name: string, namespace: string, rest: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind, metadata: { name, namespace }, ...rest }) as KubeObject;
const job = (status: Record<string, unknown> | undefined) => obj('Job', 'j', 'ns', status === undefined ? {} : { status });

test('findObject: by kind and name, and by namespace when one is given', () => {
  const a = obj('ConfigMap', 'dash', 'quay');
  const b = obj('ConfigMap', 'dash', 'openshift-config-managed');
  const state = { owned: [obj('Secret', 'dash', 'quay'), a, b] };
  expect(findObject(state, 'ConfigMap', 'dash')).toBe(a);
  expect(findObject(state, 'ConfigMap', 'dash', 'openshift-config-managed')).toBe(b);
  expect(findObject(state, 'ConfigMap', 'dash', 'other')).toBeUndefined();
  expect(findObject(state, 'ConfigMap', 'other')).toBeUndefined();
});

test('conditionOf: the condition of that type, none without status or conditions', () => {
  const failed = { type: 'Failed', status: 'True', message: 'm' };
  expect(conditionOf(job({ conditions: [{ type: 'FailureTarget', status: 'True' }, failed] }), 'Failed')).toEqual(failed);
  expect(conditionOf(job({}), 'Failed')).toBeUndefined();
  expect(conditionOf(job(undefined), 'Failed')).toBeUndefined();
  expect(conditionOf(undefined, 'Failed')).toBeUndefined();
});

test('deploymentAvailable: at least one available pod', () => {
  expect(deploymentAvailable(obj('Deployment', 'd', 'ns', { status: { availableReplicas: 1 } }))).toBe(true);
  expect(deploymentAvailable(obj('Deployment', 'd', 'ns', { status: { availableReplicas: 0, readyReplicas: 1 } }))).toBe(false);
  expect(deploymentAvailable(obj('Deployment', 'd', 'ns', { status: {} }))).toBe(false);
  expect(deploymentAvailable(obj('Deployment', 'd', 'ns'))).toBe(false);
  expect(deploymentAvailable(undefined)).toBe(false);
});

test.each([
  ['no status yet', undefined, 'pending'],
  ['nothing counted', {}, 'pending'],
  ['a pod running', { active: 1 }, 'active'],
  ['active 0', { active: 0 }, 'pending'],
  ['a pod succeeded', { succeeded: 1 }, 'succeeded'],
  ['succeeded 0 with a failed pod being retried', { succeeded: 0, failed: 1, active: 1 }, 'active'],
  ['Complete=True (counts not yet written)', { conditions: [{ type: 'Complete', status: 'True' }] }, 'succeeded'],
  ['Complete=False', { conditions: [{ type: 'Complete', status: 'False' }] }, 'pending'],
  ['Failed=True', { failed: 6, conditions: [{ type: 'Failed', status: 'True' }] }, 'failed'],
  ['Failed=False while a pod runs', { active: 1, conditions: [{ type: 'Failed', status: 'False' }] }, 'active'],
  ['failed pods counted, not given up yet', { failed: 2 }, 'pending'],
])('jobState: %s', (_, status, state) => {
  expect(jobState(job(status as Record<string, unknown> | undefined))).toBe(state);
});

test('annotation: the value, none on an object without annotations or no object', () => {
  expect(annotation(obj('Job', 'j', 'ns', { metadata: { name: 'j', annotations: { a: '1' } } }), 'a')).toBe('1');
  expect(annotation(obj('Job', 'j', 'ns'), 'a')).toBeUndefined();
  expect(annotation(undefined, 'a')).toBeUndefined();
});

test('ownedBy: an ownerReference with the uid; never without a uid', () => {
  const o = obj('Secret', 's', 'ns', { metadata: { name: 's', ownerReferences: [{ uid: 'other' }, { uid: 'u1' }] } });
  expect(ownedBy(o, 'u1')).toBe(true);
  expect(ownedBy(o, 'u2')).toBe(false);
  expect(ownedBy(o, undefined)).toBe(false);
  expect(ownedBy(obj('Secret', 's', 'ns', { metadata: { name: 's', ownerReferences: [{}] } }), undefined)).toBe(false);
  expect(ownedBy(obj('Secret', 's', 'ns'), 'u1')).toBe(false);
});
