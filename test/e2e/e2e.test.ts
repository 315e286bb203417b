// The end-to-end scenario of `npm run e2e`, against the fake API server with a simulated cluster
// (plain Kubernetes, as the real-server run it mirrors): as the manifests' ServiceAccount,
// cluster-wide and watching one namespace.
import { FakeApiServer } from '../support/fake-apiserver';
import { simulateCluster } from '../support/cluster-sim';
import { runScenario } from './scenario';

const KUBERNETES_APIS = ['v1', 'apps/v1', 'batch/v1', 'autoscaling/v2', 'rbac.authorization.k8s.io/v1', 'coordination.k8s.io/v1', 'apiextensions.k8s.io/v1', 'authentication.k8s.io/v1', 'quay.redhat.com/v1'];

let server: FakeApiServer;
let stopSimulation: () => void;

beforeEach(async () => {
  server = await FakeApiServer.start();
  server.setDiscovery(KUBERNETES_APIS);
  stopSimulation = simulateCluster(server);
});

afterEach(async () => {
  stopSimulation();
  await server.stop();
});

test.each([
  ['cluster-wide', false],
  ['watching one namespace', true],
])('every step passes, %s, with no write of the operator refused', async (_mode, watchNamespace) => {
  const lines: string[] = [];
  const result = await runScenario({ kubeConfig: server.kubeConfig(), watchNamespace, stepTimeoutMs: 15_000, print: (l) => lines.push(l) });
  expect(lines.filter((l) => l.startsWith('FAIL'))).toEqual([]);
  expect(result.steps.map((s) => s.name)).toEqual([
    'install the QuayRegistry CRD',
    expect.stringMatching(/^namespace quay-e2e-/),
    'start the operator',
    'create the registry: bundle with external S3 storage and its own certificate',
    'Available',
    'change the bundle: quay-app rolls, the databases do not',
    'unmanage mirror: its Deployment is pruned',
    'an invalid bundle blocks the rollout and deletes nothing',
    'mend the bundle: the rollout continues',
    'delete the registry: what it owned is garbage-collected',
    'clean up',
  ]);
  expect(result.ok).toBe(true);
  // The operator ran with its ServiceAccount's token, and the API server refused none of its writes.
  const operator = server.requests.filter((r) => r.user === 'system:serviceaccount:quay-operator:quay-operator');
  expect(operator.length).toBeGreaterThan(20);
  expect(operator.filter((r) => (r.code ?? 0) === 401 || (r.code ?? 0) === 403)).toEqual([]);
  expect(operator.filter((r) => r.method !== 'GET' && (r.code ?? 0) >= 400)).toEqual([]);
  // Cleaned up: the namespace it made is gone.
  expect(server.list('v1', 'Namespace').filter((n) => n.metadata.name.startsWith('quay-e2e-'))).toEqual([]);
}, 60_000);
