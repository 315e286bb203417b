// A disconnected Clair's updaters import against the fake API server, as the operator's
// ServiceAccount: the annotation waits for Clair to be available, then one Job runs clairctl
// import-updaters; its outcome (the pod's termination message on failure) goes into
// status.clairUpdatersImport, the ClairUpdatersImported condition and Events; a new id is a new
// Job (the last one pruned); a value that is no source is refused without a Job. The fake runs no
// pods: this test plays the Jobs' pods.
import type { KubeConfig } from '@kubernetes/client-node';
import { clairImportJobName } from '../../constructs/clair-import';
import { Controller } from '../../lib/controller/controller';
import { DEFAULT_QUAY_VERSION } from '../../lib/images';
import { admitRoutes, bindBucket, completeJob, eventually, openshiftCluster, settleDeployments } from '../support/cluster-sim';
import { FakeApiServer } from '../support/fake-apiserver';
import { installOperator } from '../support/operator-install';
import { createBundleSecret, shutDown, startController } from '../support/controller-harness';

type Obj = Record<string, any>;
const NS = 'quay-enterprise';
const NAME = 'example-registry';
const SOURCE = 'pvc://clair-updaters/updates.gz';
const ANNOTATION = 'quay-operator/clair-import-updaters';
const ID = 'quay-operator/clair-import-updaters-id';

jest.setTimeout(30_000);

let server: FakeApiServer;
let kubeConfig: KubeConfig;
let controller: Controller | undefined;
let stopSim: (() => void) | undefined;
let clairUp = false;

const get = (apiVersion: string, kind: string, name: string) => server.get(apiVersion, kind, NS, name) as Obj | undefined;
const registry = () => get('quay.redhat.com/v1', 'QuayRegistry', NAME)!;
const importStatus = () => registry().status?.clairUpdatersImport as Obj | undefined;
const cond = () => ((registry().status?.conditions ?? []) as Obj[]).find((c) => c.type === 'ClairUpdatersImported');
const events = (reason: string) => (server.list('v1', 'Event', NS) as Obj[]).filter((e) => e.reason === reason);
const importJobs = () => (server.list('batch/v1', 'Job', NS) as Obj[]).filter((j) => j.metadata.labels?.['quay-component'] === 'clair-import-updaters');
const jobName = (id?: string) => clairImportJobName({ name: NAME }, { source: SOURCE, ...(id ? { id } : {}) });

/** The cluster; Clair's pods become available only once `clairUp`; only the migration Job ends by itself. */
function simulate(): () => void {
  const timer = setInterval(() => {
    try {
      settleDeployments(server, NS, (d) => clairUp || d.metadata.name !== `${NAME}-clair-app`);
      bindBucket(server, NS, NAME);
      admitRoutes(server, NS);
      const migration = get('batch/v1', 'Job', `${NAME}-quay-app-upgrade`);
      if (migration && !migration.status?.succeeded) completeJob(server, NS, migration.metadata.name);
    } catch {
      // deleted meanwhile: next tick
    }
  }, 40);
  return () => clearInterval(timer);
}

/** The Job's pod ended with `exitCode` and `message` (its termination message), then the Job's outcome. */
function jobRan(name: string, exitCode: number, message: string): void {
  const job = get('batch/v1', 'Job', name)!;
  server.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `${name}-x1`, namespace: NS, labels: { ...job.spec.template.metadata.labels, 'job-name': name } }, spec: job.spec.template.spec });
  server.updateStatus('v1', 'Pod', NS, `${name}-x1`, {
    phase: exitCode === 0 ? 'Succeeded' : 'Failed',
    containerStatuses: [{ name: 'import-updaters', ready: false, restartCount: 0, image: 'x', imageID: 'x', state: { terminated: { exitCode, message, finishedAt: '2026-01-02T03:00:10Z', startedAt: '2026-01-02T03:00:00Z' } } }],
  });
  completeJob(server, NS, name, exitCode === 0 ? 'succeeded' : 'failed');
}

function annotate(annotations: Record<string, string>): void {
  const r = registry();
  server.update({ ...r, metadata: { ...r.metadata, annotations: { ...r.metadata.annotations, ...annotations } } });
}

beforeEach(async () => {
  server = await FakeApiServer.start();
  openshiftCluster(server);
  createBundleSecret(server, 'FEATURE_USER_INITIALIZE: true\n');
  kubeConfig = installOperator(server);
  clairUp = false;
  stopSim = simulate();
  controller = await startController(kubeConfig, { quayVersion: DEFAULT_QUAY_VERSION });
  server.create({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: NAME, namespace: NS }, spec: { configBundleSecret: 'config-bundle-secret', clair: { disconnected: true } } });
  await eventually(() => expect(registry().status?.currentVersion).toBe(DEFAULT_QUAY_VERSION));
});

afterEach(async () => {
  stopSim?.();
  const refused = await shutDown(server, controller, [409, 404]);
  controller = undefined;
  expect(refused).toEqual([]);
});

test('waits for Clair, imports with one Job, reports success; a new id imports again (another Job, the last one pruned) and reports a failure with its log', async () => {
  annotate({ [ANNOTATION]: SOURCE, [ID]: '1' });
  await eventually(() => expect(importStatus()).toMatchObject({ source: SOURCE, id: '1', phase: 'Waiting' }));
  expect(cond()).toMatchObject({ status: 'False', reason: 'ImportInProgress', message: expect.stringMatching(/^waiting for Clair \(Deployment example-registry-clair-app\) to be available/) });
  await controller!.whenIdle();
  expect(importJobs()).toEqual([]);

  clairUp = true;
  await eventually(() => expect(importStatus()).toMatchObject({ phase: 'Importing', job: jobName('1') }));
  const job = get('batch/v1', 'Job', jobName('1'))!;
  expect(job.spec.template.spec.containers[0].command).toEqual(['/usr/bin/clairctl', '--config', '/clair/config.yaml', 'import-updaters', '/updaters/updates.gz']);
  expect(job.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'QuayRegistry', name: NAME, uid: registry().metadata.uid })]);
  await eventually(() => expect(events('ClairUpdatersImportStarted')).toHaveLength(1));

  jobRan(jobName('1'), 0, '');
  await eventually(() => expect(cond()).toMatchObject({ status: 'True', reason: 'ImportSucceeded', message: `imported ${SOURCE} into Clair's database (Job ${jobName('1')})` }));
  expect(importStatus()!.completionTime).toBeDefined();
  // Events are recorded after the status.
  await eventually(() => expect(events('ClairUpdatersImported').map((e) => e.type)).toEqual(['Normal']));
  await controller!.whenIdle();
  // Kept for its log, and not run again, until another request.
  expect(importJobs().map((j) => j.metadata.name)).toEqual([jobName('1')]);

  annotate({ [ID]: '2' });
  await eventually(() => expect(importJobs().map((j) => j.metadata.name)).toEqual([jobName('2')]));
  jobRan(jobName('2'), 1, 'error opening input: open /updaters/updates.gz: no such file or directory');
  await eventually(() => expect(cond()).toMatchObject({ status: 'False', reason: 'ImportFailed' }));
  expect(cond()!.message).toBe(
    `importing ${SOURCE} failed: error opening input: open /updaters/updates.gz: no such file or directory; see \`kubectl logs -n ${NS} job/${jobName('2')}\`; set a new ${ID} to try again`,
  );
  await eventually(() => expect(events('ClairUpdatersImportFailed').map((e) => e.type)).toEqual(['Warning']));
});

test('a value that is no source is refused, naming the annotation; no Job', async () => {
  clairUp = true;
  annotate({ [ANNOTATION]: 'ftp://mirror.example.com/updates.gz' });
  await eventually(() => expect(cond()).toMatchObject({ status: 'False', reason: 'ImportRefused' }));
  expect(importStatus()).toMatchObject({ phase: 'Refused', message: `${ANNOTATION}: "ftp://mirror.example.com/updates.gz" has scheme ftp: use http(s):// or pvc://<claim>/<path>` });
  await eventually(() => expect(events('ClairUpdatersImportRefused').map((e) => e.type)).toEqual(['Warning']));
  await controller!.whenIdle();
  expect(importJobs()).toEqual([]);
});
