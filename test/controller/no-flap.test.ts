// A registry at rest stays quiet (issue: measured on a real API server, Available went False twice
// while the HPAs took the Deployments from 1 to 2 pods, and the operator re-applied Deployments and
// HPAs 19 times after the HPA controller changed fields it does not own).
// - Available never flaps while every component serves: each sequence below is what the Deployment
//   controller reports during it; every write of the registry's status is watched, and none may
//   carry Available=False.
// - Changes to fields the operator does not set cost no write; drift in its own fields is repaired.
import { Controller } from '../../lib/controller/controller';
import { DEFAULT_QUAY_VERSION } from '../../lib/images';
import { admitRoutes, bindBucket, completeJob, eventually, openshiftCluster, settleDeployments } from '../support/cluster-sim';
import { FakeApiServer } from '../support/fake-apiserver';
import { installOperator } from '../support/operator-install';
import { Registry } from '../../lib/controller/runtime/metrics';
import { OPERATOR_USER, createBundleSecret, reconcileCount, shutDown, startController } from '../support/controller-harness';

type Obj = Record<string, any>;
const NS = 'quay-enterprise';
const NAME = 'example-registry';
const QUAY_APP = `${NAME}-quay-app`;

jest.setTimeout(30_000);

let server: FakeApiServer;
let controller: Controller;
let metrics: Registry;
let availableSeen: string[];
let stopWatching: () => void;

const registry = () => server.get('quay.redhat.com/v1', 'QuayRegistry', NS, NAME) as Obj;
const cond = (type: string) => (registry().status?.conditions ?? []).find((c: Obj) => c.type === type);

/** What the Deployment controller reports: `available` of `replicas` pods, its Available condition by Kubernetes' rule (maxUnavailable 25%, rounded down). */
function deploymentStatus(name: string, s: { replicas: number; available: number; updated?: number; current?: number; progressing?: Obj }): void {
  const d = server.get('apps/v1', 'Deployment', NS, name) as Obj;
  const minimum = s.replicas - Math.floor(s.replicas / 4);
  const available = s.available >= minimum;
  server.updateStatus('apps/v1', 'Deployment', NS, name, {
    observedGeneration: d.metadata.generation,
    replicas: s.current ?? s.replicas,
    updatedReplicas: s.updated ?? s.replicas,
    readyReplicas: s.available,
    availableReplicas: s.available,
    ...(s.available < s.replicas ? { unavailableReplicas: s.replicas - s.available } : {}),
    conditions: [
      available
        ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
        : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' },
      s.progressing ?? { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: 'ReplicaSet has successfully progressed.' },
    ],
  });
}

/** The HPA's scale: spec.replicas through the scale subresource's effect on the Deployment. */
function scaleTo(name: string, replicas: number): void {
  const d = server.get('apps/v1', 'Deployment', NS, name) as Obj;
  server.update({ ...d, spec: { ...d.spec, replicas } }, 'kube-controller-manager');
}

beforeEach(async () => {
  server = await FakeApiServer.start();
  openshiftCluster(server);
  createBundleSecret(server, 'FEATURE_USER_INITIALIZE: true\n');
  metrics = new Registry();
  controller = await startController(installOperator(server), { quayVersion: DEFAULT_QUAY_VERSION, metrics });
  server.create({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: NAME, namespace: NS }, spec: { configBundleSecret: 'config-bundle-secret' } });
  await eventually(() => {
    settleDeployments(server, NS);
    bindBucket(server, NS, NAME);
    expect(server.get('batch/v1', 'Job', NS, `${QUAY_APP}-upgrade`)).toBeDefined();
  });
  completeJob(server, NS, `${QUAY_APP}-upgrade`);
  await eventually(() => {
    settleDeployments(server, NS);
    admitRoutes(server, NS);
    expect(cond('Available')).toMatchObject({ status: 'True' });
  });
  await controller.whenIdle();
  availableSeen = [];
  stopWatching = server.onChange(({ obj }) => {
    if (obj.kind !== 'QuayRegistry') return;
    const available = (obj.status?.conditions ?? []).find((c: Obj) => c.type === 'Available');
    if (available) availableSeen.push(`${available.status} ${available.reason}`);
  });
});

afterEach(async () => {
  stopWatching();
  expect(await shutDown(server, controller, [409, 404])).toEqual([]);
});

/** A change, then the reconcile it causes (through the watch) finished. */
async function reconciled(step: () => void): Promise<void> {
  const before = reconcileCount(metrics);
  step();
  await eventually(() => expect(reconcileCount(metrics)).toBeGreaterThan(before));
  await controller.whenIdle();
}

/** Runs the steps, each followed by the reconcile it causes, then checks no status write said Available=False. */
async function sequence(steps: (() => void)[]): Promise<void> {
  for (const step of steps) await reconciled(step);
  expect(availableSeen.filter((a) => !a.startsWith('True'))).toEqual([]);
  expect(cond('Available')).toMatchObject({ status: 'True', reason: 'HealthChecksPassing' });
}

test('an HPA scales every autoscaled Deployment from 1 to 2 pods', async () => {
  const autoscaled = [QUAY_APP, `${NAME}-clair-app`, `${NAME}-quay-mirror`];
  await sequence([
    ...autoscaled.map((d) => () => scaleTo(d, 2)),
    ...autoscaled.map((d) => () => deploymentStatus(d, { replicas: 2, available: 1 })),
    ...autoscaled.map((d) => () => deploymentStatus(d, { replicas: 2, available: 2 })),
  ]);
});

test('a rolling update with maxUnavailable 0: a surge pod not ready yet, then the old one replaced', async () => {
  await reconciled(() => scaleTo(QUAY_APP, 2));
  await reconciled(() => deploymentStatus(QUAY_APP, { replicas: 2, available: 2 }));
  const rolling = { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: 'ReplicaSet is progressing.' };
  await sequence([
    () => deploymentStatus(QUAY_APP, { replicas: 2, current: 3, updated: 1, available: 2, progressing: rolling }),
    () => deploymentStatus(QUAY_APP, { replicas: 2, current: 3, updated: 2, available: 2, progressing: rolling }),
    () => deploymentStatus(QUAY_APP, { replicas: 2, available: 2 }),
  ]);
});

test('a pod replaced on a drained node: one of two pods gone for a while', async () => {
  for (const d of [QUAY_APP, `${NAME}-clair-app`]) scaleTo(d, 2);
  await sequence([
    () => deploymentStatus(QUAY_APP, { replicas: 2, available: 2 }),
    () => deploymentStatus(QUAY_APP, { replicas: 2, available: 1 }),
    () => deploymentStatus(`${NAME}-clair-app`, { replicas: 2, available: 1 }),
    () => deploymentStatus(QUAY_APP, { replicas: 2, available: 2 }),
    () => deploymentStatus(`${NAME}-clair-app`, { replicas: 2, available: 2 }),
  ]);
});

test('a component with no pod available is not serving: Available goes False (the rule is not "always True")', async () => {
  await reconciled(() => deploymentStatus(`${NAME}-quay-redis`, { replicas: 1, available: 0 }));
  expect(availableSeen).toContain('False ComponentNotReady');
});

describe('writes: only for fields the operator applied', () => {
  const operatorWrites = () => server.writes().filter((w) => w.user === OPERATOR_USER).map((w) => `${w.method} ${w.path}`);

  test('an HPA scaling, controllers writing status and someone annotating: zero writes', async () => {
    server.clearRequests();
    const hpa = `${NAME}-quay-app`;
    await sequence([
      () => scaleTo(QUAY_APP, 3),
      () => deploymentStatus(QUAY_APP, { replicas: 3, available: 3 }),
      () => server.updateStatus('autoscaling/v2', 'HorizontalPodAutoscaler', NS, hpa, { currentReplicas: 3, desiredReplicas: 3, currentMetrics: [] }),
      () => {
        const svc = server.get('v1', 'Service', NS, QUAY_APP) as Obj;
        server.update({ ...svc, metadata: { ...svc.metadata, annotations: { ...svc.metadata.annotations, 'example.com/owner': 'team-a' } } }, 'kubectl-annotate');
      },
    ]);
    expect(operatorWrites()).toEqual([]);
  });

  test('someone changing a field the operator applied (kubectl edit of a label): that object, and only it, re-applied', async () => {
    server.clearRequests();
    const svc = server.get('v1', 'Service', NS, QUAY_APP) as Obj;
    await reconciled(() => server.update({ ...svc, metadata: { ...svc.metadata, labels: { ...svc.metadata.labels, 'quay-component': 'edited' } } }, 'kubectl-edit'));
    expect(operatorWrites()).toEqual([`PATCH /api/v1/namespaces/${NS}/services/${QUAY_APP}`]);
    expect((server.get('v1', 'Service', NS, QUAY_APP) as Obj).metadata.labels['quay-component']).toBe('quay-app');
  });
});
