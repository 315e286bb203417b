// The backup and restore controller tests' cluster: the fake API server runs no pods and no CronJob
// controller, so this plays them (Deployments ready, Routes admitted, the migration Job done by
// itself; backup and restore Jobs ended as a test decides), and reads what the operator wrote.
import { keysDigest } from '../../constructs/backup';
import { DEFAULT_IMAGES, DEFAULT_QUAY_VERSION } from '../../lib/images';
import { ensureManagedKeys, keysFromSecret } from '../../lib/keys';
import { admitRoutes, bindBucket, completeJob, settleDeployments } from './cluster-sim';
import type { FakeApiServer } from './fake-apiserver';
import { testModel } from './model';

type Obj = Record<string, any>;

/** An exit code and termination message of a container. */
export interface Ended {
  readonly exitCode: number;
  readonly message: string;
}

export class BackupCluster {
  /** The backup CronJob's name. */
  readonly cron: string;

  constructor(
    readonly server: FakeApiServer,
    readonly ns: string,
    readonly name: string,
  ) {
    this.cron = `${name}-postgres-backup`;
  }

  get(apiVersion: string, kind: string, name: string): Obj | undefined {
    return this.server.get(apiVersion, kind, this.ns, name) as Obj | undefined;
  }

  registry(): Obj {
    return this.get('quay.redhat.com/v1', 'QuayRegistry', this.name)!;
  }

  cond(type: string): Obj | undefined {
    return ((this.registry().status?.conditions ?? []) as Obj[]).find((c) => c.type === type);
  }

  events(reason: string): Obj[] {
    return (this.server.list('v1', 'Event', this.ns) as Obj[]).filter((e) => e.reason === reason);
  }

  /** spec.replicas of the Deployment `<registry>-<component>`. */
  replicas(component: string): number | undefined {
    return this.get('apps/v1', 'Deployment', `${this.name}-${component}`)?.spec.replicas;
  }

  jobs(): Obj[] {
    return this.server.list('batch/v1', 'Job', this.ns) as Obj[];
  }

  /** The restore's first Job: it reads the dump's metadata. */
  inspectJob(): Obj | undefined {
    return this.jobs().find((j) => j.metadata.name.startsWith(`${this.name}-restore-inspect-`));
  }

  /** The restore's Job proper. */
  restoreJob(): Obj | undefined {
    return this.jobs().find((j) => /-restore-[0-9a-f]{8}$/.test(j.metadata.name));
  }

  /** Plays the cluster every 50 ms (bucket bound too when `bucket`); returns how to stop. */
  simulate(bucket: boolean): () => void {
    const timer = setInterval(() => {
      try {
        settleDeployments(this.server, this.ns);
        if (bucket) bindBucket(this.server, this.ns, this.name);
        admitRoutes(this.server, this.ns);
        for (const job of this.jobs()) {
          if (job.metadata.name === `${this.name}-quay-app-upgrade` && !job.status?.succeeded && !job.status?.failed) completeJob(this.server, this.ns, job.metadata.name);
        }
      } catch {
        // deleted meanwhile: next tick
      }
    }, 50);
    return () => clearInterval(timer);
  }

  /**
   * A Job's pod: its init container ended as `init` if given, then its container with `exitCode` and
   * `message` (its termination message); or, when the init container failed, the container still
   * waiting. Then the Job's outcome.
   */
  jobRan(name: string, exitCode: number, message: string, init?: Ended): void {
    const main: Ended = { exitCode, message };
    const job = this.get('batch/v1', 'Job', name)!;
    const podName = `${name}-x1`;
    const spec = job.spec.template.spec;
    this.server.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: podName, namespace: this.ns, labels: { ...job.spec.template.metadata.labels, 'job-name': name } }, spec });
    const terminated = (e: Ended, at: string) => ({ terminated: { exitCode: e.exitCode, message: e.message, startedAt: '2026-01-02T03:00:00Z', finishedAt: at } });
    const initFailed = init !== undefined && init.exitCode !== 0;
    const succeeded = main.exitCode === 0 && !initFailed;
    this.server.updateStatus('v1', 'Pod', this.ns, podName, {
      phase: succeeded ? 'Succeeded' : 'Failed',
      ...(init ? { initContainerStatuses: [{ name: spec.initContainers[0].name, ready: false, restartCount: 0, image: 'x', imageID: 'x', state: terminated(init, '2026-01-02T03:00:05Z') }] } : {}),
      containerStatuses: [
        { name: spec.containers[0].name, ready: false, restartCount: 0, image: 'x', imageID: 'x', state: initFailed ? { waiting: { reason: 'PodInitializing' } } : terminated(main, '2026-01-02T03:00:10Z') },
      ],
    });
    completeJob(this.server, this.ns, name, succeeded ? 'succeeded' : 'failed');
  }

  /** The CronJob controller: a Job from the CronJob's template at `stamp`, its schedule time in the CronJob's status. */
  cronJobStarts(stamp: string): string {
    const cron = this.get('batch/v1', 'CronJob', this.cron)!;
    const name = `${this.cron}-${stamp}`;
    this.server.create({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name,
        namespace: this.ns,
        labels: cron.spec.jobTemplate.metadata.labels,
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: this.cron, uid: cron.metadata.uid, controller: true, blockOwnerDeletion: true }],
      },
      spec: cron.spec.jobTemplate.spec,
    });
    this.server.updateStatus('batch/v1', 'CronJob', this.ns, this.cron, { ...cron.status, lastScheduleTime: '2026-01-02T03:00:00Z', active: [{ kind: 'Job', name, namespace: this.ns }] });
    return name;
  }

  /** The metadata the backup script writes (and its container reports): of a dump of this registry by the default Quay. */
  metadata(overrides: Obj = {}): Obj {
    const keys = keysFromSecret(this.get('v1', 'Secret', `${this.name}-quay-registry-managed-secret-keys`)!);
    const model = testModel({ spec: { backup: { schedule: '@daily' } } });
    return {
      dump: `${this.name}-postgres-20260102T030000Z-${DEFAULT_QUAY_VERSION}.dump`,
      registry: this.name,
      namespace: this.ns,
      uid: this.registry().metadata.uid,
      component: 'postgres',
      database: `${this.name}-quay-database`,
      quayVersion: DEFAULT_QUAY_VERSION,
      created: '2026-01-02T03:00:00Z',
      size: 123456,
      image: DEFAULT_IMAGES.postgres,
      keysDigest: keysDigest({ ...model, keys: ensureManagedKeys(this.name, keys), keysKnown: true }),
      format: 'pg_dump-custom',
      ...overrides,
    };
  }

  /** The admin's annotations on the registry (kubectl annotate; null removes one). */
  annotate(annotations: Record<string, string | null>): void {
    this.server.apply({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: this.name, namespace: this.ns, annotations } }, { fieldManager: 'kubectl', force: true });
  }
}
