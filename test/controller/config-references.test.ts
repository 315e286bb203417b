// What a pod reads (lib/controller/references.ts), read directly: every place a pod spec names a Secret
// or ConfigMap, and which pods still hold their mounts. Pruning deletes what nothing reads, so a
// reference missed here is a Secret deleted under a running pod; plan-prune.test.ts reaches this only
// through whole plans.
import { configReferences, podHoldsMounts, templateSpec } from '../../lib/controller/references';

const sorted = (s: Set<string>) => [...s].sort();

test('volumes: secret, configMap and projected sources', () => {
  const spec = {
    volumes: [
      { name: 'a', secret: { secretName: 'vol-secret' } },
      { name: 'b', configMap: { name: 'vol-cm' } },
      { name: 'c', projected: { sources: [{ secret: { name: 'proj-secret' } }, { configMap: { name: 'proj-cm' } }, { serviceAccountToken: { path: 't' } }] } },
      { name: 'd', emptyDir: {} },
      { name: 'e', projected: {} },
    ],
  };
  expect(sorted(configReferences(spec))).toEqual(['ConfigMap/proj-cm', 'ConfigMap/vol-cm', 'Secret/proj-secret', 'Secret/vol-secret']);
});

test('env and envFrom, in containers and init containers', () => {
  const spec = {
    initContainers: [{ name: 'init', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'init-secret', key: 'k' } } }], envFrom: [{ configMapRef: { name: 'init-cm' } }] }],
    containers: [
      {
        name: 'main',
        env: [{ name: 'PLAIN', value: 'v' }, { name: 'Y', valueFrom: { configMapKeyRef: { name: 'env-cm', key: 'k' } } }, { name: 'Z', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
        envFrom: [{ secretRef: { name: 'from-secret' } }, { prefix: 'P_' }],
      },
      { name: 'bare' },
    ],
  };
  expect(sorted(configReferences(spec))).toEqual(['ConfigMap/env-cm', 'ConfigMap/init-cm', 'Secret/from-secret', 'Secret/init-secret']);
});

test('the kind is part of the reference: a Secret and a ConfigMap of one name are two', () => {
  expect(sorted(configReferences({ volumes: [{ secret: { secretName: 'same' } }, { configMap: { name: 'same' } }] }))).toEqual(['ConfigMap/same', 'Secret/same']);
});

test('names that are not strings are no references; no spec reads nothing', () => {
  expect(sorted(configReferences({ volumes: [{ secret: { secretName: 7 } }, { configMap: { name: null } }], containers: [{ envFrom: [{ secretRef: {} }] }] }))).toEqual([]);
  expect(sorted(configReferences({}))).toEqual([]);
  expect(sorted(configReferences(undefined))).toEqual([]);
});

test('templateSpec: a workload\'s pod spec, or none', () => {
  const podSpec = { containers: [{ name: 'c' }] };
  expect(templateSpec({ kind: 'Deployment', spec: { template: { spec: podSpec } } })).toBe(podSpec);
  expect(templateSpec({ kind: 'Service', spec: { ports: [] } })).toBeUndefined();
  expect(templateSpec({ kind: 'ConfigMap', data: {} })).toBeUndefined();
  expect(templateSpec({ kind: 'Deployment', spec: {} })).toBeUndefined();
});

test('podHoldsMounts: every phase but Succeeded and Failed (and no status yet)', () => {
  const phases = ['Pending', 'Running', 'Unknown', 'Succeeded', 'Failed'];
  expect(phases.map((phase) => podHoldsMounts({ status: { phase } }))).toEqual([true, true, true, false, false]);
  expect(podHoldsMounts({})).toBe(true);
});
