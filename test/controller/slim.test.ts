// The controller caches owned objects slimmed to what it reads: enough for planning and status.
import { slim } from '../../lib/controller/controller';

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'r-quay-app', namespace: 'ns', generation: 3, managedFields: [{ manager: 'x' }], annotations: { 'quay-operator/applied-hash': 'h' } },
  spec: { replicas: 2, template: { spec: { containers: [{ name: 'quay-app', image: 'quay' }] } } },
  status: { availableReplicas: 2, conditions: [{ type: 'Available', status: 'True' }] },
};

test('a Deployment keeps metadata, replicas, status, its images and claims; the rest of its pod template and managedFields go', () => {
  expect(slim(deployment as any)).toEqual({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'r-quay-app', namespace: 'ns', generation: 3, annotations: { 'quay-operator/applied-hash': 'h' } },
    // The image and volume decide a PostgreSQL major upgrade.
    spec: { replicas: 2, template: { spec: { containers: [{ name: 'quay-app', image: 'quay' }], volumes: [] } } },
    status: deployment.status,
  });
  const db = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'r-quay-database' },
    spec: { template: { spec: { containers: [{ name: 'postgres', image: 'centos/postgresql-10-centos7', env: [{ name: 'X', value: 'y' }] }], volumes: [{ name: 'postgres-data', persistentVolumeClaim: { claimName: 'r-quay-database' } }, { name: 'c', configMap: { name: 'x' } }] } } },
  };
  expect((slim(db as any) as any).spec.template.spec).toEqual({
    containers: [{ name: 'postgres', image: 'centos/postgresql-10-centos7' }],
    volumes: [{ name: 'postgres-data', persistentVolumeClaim: { claimName: 'r-quay-database' } }],
  });
});

test('a Route keeps its host and ingress status; a PVC its requested size and phase; a Service only metadata', () => {
  const route = { apiVersion: 'route.openshift.io/v1', kind: 'Route', metadata: { name: 'r' }, spec: { host: 'h', to: { name: 's' } }, status: { ingress: [{ host: 'h' }] } };
  expect(slim(route as any)).toEqual({ apiVersion: 'route.openshift.io/v1', kind: 'Route', metadata: { name: 'r' }, spec: { host: 'h' }, status: route.status });
  const pvc = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'p' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '50Gi' } } }, status: { phase: 'Bound' } };
  expect(slim(pvc as any)).toEqual({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'p' }, spec: { resources: { requests: { storage: '50Gi' } } }, status: { phase: 'Bound' } });
  expect(slim({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [] } } as any)).toEqual({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' } });
});
