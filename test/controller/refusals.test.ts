// A write the API server refuses is loud (a log line and a Warning Event once per distinct refusal, a
// metric by status code), never hides the rest of the reconcile, and is retried with backoff rather
// than in a loop. The refusals here are real ones: the operator's RBAC is cut down in the fake API
// server, which answers 403 as a cluster would.
import { Controller } from '../../lib/controller/controller';
import { KubeClient } from '../../lib/controller/kube-client';
import { createLogger } from '../../lib/controller/runtime/logger';
import { Registry } from '../../lib/controller/runtime/metrics';
import { DEFAULT_IMAGES } from '../../lib/images';
import { bindBucket, eventually, openshiftCluster, settleDeployments } from '../support/cluster-sim';
import { FakeApiServer } from '../support/fake-apiserver';
import { installOperator } from '../support/operator-install';
import { leaksOf } from '../support/controller-harness';

type Obj = Record<string, any>;
const NS = 'quay-enterprise';
const NAME = 'example-registry';
const OPERATOR = 'system:serviceaccount:quay-operator:quay-operator';

jest.setTimeout(30_000);

let server: FakeApiServer;
let controller: Controller;
let metrics: Registry;
let logs: Obj[];

/** Installs the operator with its ClusterRole granting only reads (get, list, watch) of `drop`. */
async function start(drop: string): Promise<void> {
  server = await FakeApiServer.start();
  openshiftCluster(server);
  server.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'bundle', namespace: NS }, stringData: { 'config.yaml': 'SERVER_HOSTNAME: example-registry-quay-quay-enterprise.apps.example.com\n' } });
  const kubeConfig = installOperator(server);
  const role = server.get('rbac.authorization.k8s.io/v1', 'ClusterRole', undefined, 'quay-operator')!;
  const rules = (role.rules as Obj[]).flatMap((r): Obj[] => {
    if (!(r.resources as string[]).includes(drop)) return [r];
    const rest: Obj = { ...r, resources: (r.resources as string[]).filter((x) => x !== drop) };
    const reads: Obj = { ...r, resources: [drop], verbs: (r.verbs as string[]).filter((v) => ['get', 'list', 'watch'].includes(v)) };
    return [rest, reads].filter((x) => x.resources.length > 0 && x.verbs.length > 0);
  });
  server.update({ ...role, rules });
  logs = [];
  metrics = new Registry();
  controller = new Controller({
    client: new KubeClient(kubeConfig),
    environment: { images: DEFAULT_IMAGES, quayVersion: 'v3.99.0-dev' },
    logger: createLogger({ level: 'debug', stream: { write: (line: string) => logs.push(JSON.parse(line)) } }),
    metrics,
    discoveryIntervalMs: 3_600_000,
  });
  await controller.start();
  server.create({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: NAME, namespace: NS }, spec: { configBundleSecret: 'bundle' } });
}

afterEach(async () => {
  await controller.stop();
  const leaks = leaksOf(server, { logs, metrics });
  await server.stop();
  expect(leaks).toEqual([]);
});

const registry = () => server.get('quay.redhat.com/v1', 'QuayRegistry', NS, NAME) as Obj;
const cond = (type: string) => (registry().status?.conditions ?? []).find((c: Obj) => c.type === type);
const events = (reason: string) => (server.list('v1', 'Event', NS) as Obj[]).filter((e) => e.reason === reason);
const refusalLines = () => logs.filter((l) => l.msg === 'write refused by the API server');
const counted = (labels: string) => {
  const m = new RegExp(`^quay_operator_api_write_refusals_total\\{${labels}\\} (\\d+)$`, 'm').exec(metrics.render());
  return m ? Number(m[1]) : 0;
};

test('a refused apply: RolloutBlocked with the reason, one log line and one Warning Event for it, counted by code at every attempt; nothing deleted', async () => {
  await start('horizontalpodautoscalers');
  // The HPAs go out once the databases are up and the bucket is bound.
  await eventually(() => {
    settleDeployments(server, NS);
    bindBucket(server, NS, NAME);
    expect(cond('RolloutBlocked')).toMatchObject({ status: 'True', reason: 'ComponentCreationFailed', message: expect.stringMatching(/HorizontalPodAutoscaler .*403.*cannot patch resource "horizontalpodautoscalers"/) });
  });
  // Retried with backoff: counted each time, reported once.
  await eventually(() => expect(counted('code="403",verb="apply",kind="HorizontalPodAutoscaler"')).toBeGreaterThanOrEqual(2), 10_000);
  expect(refusalLines().filter((l) => l.kind === 'HorizontalPodAutoscaler')).toEqual([
    expect.objectContaining({ level: 'warn', registry: NAME, namespace: NS, verb: 'apply', code: 403, reason: 'Forbidden', message: expect.stringContaining(OPERATOR) }),
  ]);
  expect(events('WriteRefused').map((e) => [e.type, e.message])).toEqual([['Warning', expect.stringMatching(/^apply HorizontalPodAutoscaler .*: 403 Forbidden: /)]]);
  expect(logs.filter((l) => l.msg === 'reconcile failed')).toHaveLength(1);
  expect(server.writes().filter((w) => w.method === 'DELETE')).toEqual([]);
});

test('a refused status write: the rest of the reconcile is done (objects, events), and it is retried with backoff, not in a loop', async () => {
  await start('quayregistries/status');
  await eventually(() => expect(server.get('apps/v1', 'Deployment', NS, `${NAME}-quay-database`)).toBeDefined());
  await eventually(() => expect(events('WriteRefused').map((e) => e.message)).toEqual([expect.stringMatching(/^apply QuayRegistry example-registry\/status: 403 Forbidden: /)]));
  // The condition transitions of the reconcile are still told, as Events.
  await eventually(() => expect(events('ComponentsCreationSuccess').length + events('AwaitingDependencies').length).toBeGreaterThan(0));
  expect(registry().status).toBeUndefined();
  await controller.whenIdle();
  const attempts = () => server.writes().filter((w) => w.path.endsWith(`/quayregistries/${NAME}/status`));
  const before = attempts().length;
  // Retried once nothing else changes (no fixed sleep: wait for the retry, then look at its delay).
  await eventually(() => expect(attempts().length).toBeGreaterThan(before), 20_000);
  // Backoff from 1 s doubling: the retry came at least 1 s after the attempt before it, never in a loop.
  const [previous, retry] = attempts().slice(before - 1, before + 1);
  expect(retry.at - previous.at).toBeGreaterThanOrEqual(950);
  expect(refusalLines().filter((l) => l.kind === 'QuayRegistry')).toHaveLength(1);
  expect(counted('code="403",verb="apply",kind="QuayRegistry"')).toBeGreaterThanOrEqual(1);
});

test('a conflict (a write from a stale read) is a race, not a refusal: retried, never reported', async () => {
  // The finalizer patch carries the resourceVersion it read; the server answers 409 Conflict once.
  await start('none');
  server.failNext({ method: 'PATCH', pathIncludes: `/quayregistries/${NAME}?` }, 409);
  await eventually(() => expect(registry().metadata.finalizers).toEqual(['quay-operator/finalizer']));
  expect(server.writes().filter((w) => w.code === 409 && w.path.endsWith(`/quayregistries/${NAME}`))).toHaveLength(1);
  expect(events('WriteRefused')).toEqual([]);
  expect(refusalLines()).toEqual([]);
  expect(metrics.render()).not.toMatch(/^quay_operator_api_write_refusals_total\{/m);
});
