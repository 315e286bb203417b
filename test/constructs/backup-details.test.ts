// spec.backup's and the restore's details the scenario tests in backup.test.ts leave open: the
// restore Jobs exactly, the names (which must not change under a running restore or between
// operator versions), the keys digest recorded with each dump, and the CronJobs' placement.
import { App, Chart } from 'cdk8s';
import { Backups, backupVolume, boundedName, keysDigest } from '../../constructs/backup';
import { INSPECT_SCRIPT, RESTORE_SCRIPT, renderRestoreJob, restoreComponentLabel, restoreJobName } from '../../constructs/restore';
import { DEFAULT_IMAGES } from '../../lib/images';
import type { RegistryModel } from '../../lib/model';
import { ingressTerminatedModel, testModel } from '../support/model';

type Obj = Record<string, any>;
const DUMP = 'example-registry-postgres-20260101T030000Z-v3.17.3.dump';
const model = testModel({ spec: { backup: { schedule: '@daily' } } });

function backups(m: RegistryModel): Obj[] {
  const chart = new Chart(new App(), 'test', { namespace: m.namespace, disableResourceNameHashes: true });
  new Backups(chart, 'backup', { model: m });
  return chart.toJson() as Obj[];
}

describe('names', () => {
  test('a name of exactly the limit is kept; one character more is shortened with a hash of the registry', () => {
    const registry = 'r'.repeat(36);
    expect(boundedName(registry, 'postgres-backup', 52)).toBe(`${registry}-postgres-backup`);
    expect(boundedName(`${registry}x`, 'postgres-backup', 52)).toMatch(/^r{29}-[0-9a-f]{6}-postgres-backup$/);
  });

  test('dashes where the registry is cut are dropped; dashes inside what is kept stay', () => {
    expect(boundedName(`${'a'.repeat(27)}--${'b'.repeat(30)}`, 'postgres-backup', 52)).toMatch(/^a{27}-[0-9a-f]{6}-postgres-backup$/);
    expect(boundedName(`a-b-${'c'.repeat(40)}`, 'postgres-backup', 52)).toMatch(/^a-b-c{25}-[0-9a-f]{6}-postgres-backup$/);
  });

  test('restore Jobs: named by the dump and the request id, the same for both parts; no id is the empty id', () => {
    const request = { dump: DUMP, component: 'postgres' as const };
    expect(restoreJobName(model, request, 'inspect')).toBe('example-registry-restore-inspect-7041b484');
    expect(restoreJobName(model, request, 'restore')).toBe('example-registry-restore-7041b484');
    expect(restoreJobName(model, { ...request, id: '' }, 'restore')).toBe('example-registry-restore-7041b484');
    expect(restoreJobName(model, { ...request, id: 'again' }, 'restore')).toBe('example-registry-restore-28ad0525');
  });

  test("the restore's pods are admitted to their database by this label; the inspection's to none", () => {
    expect(restoreComponentLabel('postgres', 'restore')).toBe('postgres-restore');
    expect(restoreComponentLabel('clairpostgres', 'restore')).toBe('clairpostgres-restore');
    expect(restoreComponentLabel('postgres', 'inspect')).toBe('restore-inspect');
  });
});

test('the keys digest each dump records: fixed for a key, so dumps of earlier operator versions stay restorable', () => {
  expect(model.keys.DATABASE_SECRET_KEY).toBe('wYS6C4maWsAMemQey6eyuwYsQGkIeQccKasYmEGKAcOmiYKYQkAWq4qIIeWwUYswOQEOkkiYmy6kW8qS');
  expect(keysDigest(model)).toBe('9d307fbe4481a4c8');
});

test('the backup volume: read-only (claim and mount) only where asked', () => {
  expect(backupVolume(model, true)).toEqual({
    volume: { name: 'backups', persistentVolumeClaim: { claimName: 'example-registry-quay-backups', readOnly: true } },
    mount: { name: 'backups', mountPath: '/backups', readOnly: true },
  });
  expect(backupVolume(model)).toEqual({
    volume: { name: 'backups', persistentVolumeClaim: { claimName: 'example-registry-quay-backups' } },
    mount: { name: 'backups', mountPath: '/backups' },
  });
});

describe('the restore Jobs on a claim, exactly', () => {
  const request = { dump: DUMP, component: 'postgres' as const };
  const affinity = {
    podAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        { podAffinityTerm: { labelSelector: { matchLabels: { 'quay-operator/backup-volume': 'example-registry-quay-backups' } }, topologyKey: 'kubernetes.io/hostname' }, weight: 100 },
      ],
    },
  };
  const restricted = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } };
  const scriptEnv = [
    { name: 'BACKUP_DIR', value: '/backups' },
    { name: 'TERMINATION_LOG', value: '/dev/termination-log' },
    { name: 'DUMP', value: DUMP },
    { name: 'REGISTRY_NAME', value: 'example-registry' },
  ];
  const secret = (key: string) => ({ secretKeyRef: { key, name: 'example-registry-postgres-config-secret' } });
  const job = (name: string, component: string, pod: Obj) => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      annotations: { 'quay-operator/restore': DUMP },
      labels: { 'quay-component': component, 'quay-operator/quayregistry': 'example-registry' },
      name,
      namespace: 'quay-enterprise',
    },
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { labels: { 'quay-component': component, 'quay-operator/backup-volume': 'example-registry-quay-backups', 'quay-operator/quayregistry': 'example-registry' } },
        spec: { affinity, automountServiceAccountToken: false, restartPolicy: 'Never', securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }, ...pod },
      },
    },
  });

  test('inspect: the script on the volume read-only, small requests, no login', () => {
    expect(renderRestoreJob(model, request, 'inspect')).toEqual([
      job('example-registry-restore-inspect-7041b484', 'restore-inspect', {
        containers: [
          {
            command: ['/bin/bash', '-c', INSPECT_SCRIPT],
            env: scriptEnv,
            image: DEFAULT_IMAGES.postgres,
            imagePullPolicy: 'IfNotPresent',
            name: 'inspect',
            resources: { requests: { cpu: '10m', memory: '16Mi' } },
            securityContext: restricted,
            terminationMessagePolicy: 'FallbackToLogsOnError',
            volumeMounts: [{ mountPath: '/backups', name: 'backups', readOnly: true }],
          },
        ],
        volumes: [{ name: 'backups', persistentVolumeClaim: { claimName: 'example-registry-quay-backups', readOnly: true } }],
      }),
    ]);
  });

  test('restore: the script as the superuser, the login as owner, the volume writable, larger requests', () => {
    expect(renderRestoreJob(model, request, 'restore')).toEqual([
      job('example-registry-restore-7041b484', 'postgres-restore', {
        containers: [
          {
            command: ['/bin/bash', '-c', RESTORE_SCRIPT],
            env: [
              ...scriptEnv,
              { name: 'PGHOST', value: 'example-registry-quay-database' },
              { name: 'PGPORT', value: '5432' },
              { name: 'PGUSER', value: 'postgres' },
              { name: 'PGPASSWORD', valueFrom: secret('database-root-password') },
              { name: 'PGDATABASE', valueFrom: secret('database-name') },
              { name: 'DB_OWNER', valueFrom: secret('database-username') },
            ],
            image: DEFAULT_IMAGES.postgres,
            imagePullPolicy: 'IfNotPresent',
            name: 'restore',
            resources: { requests: { cpu: '500m', memory: '512Mi' } },
            securityContext: restricted,
            terminationMessagePolicy: 'FallbackToLogsOnError',
            volumeMounts: [{ mountPath: '/backups', name: 'backups' }],
          },
        ],
        volumes: [{ name: 'backups', persistentVolumeClaim: { claimName: 'example-registry-quay-backups' } }],
      }),
    ]);
  });
});

describe('the CronJobs', () => {
  const cronJobs = (objects: Obj[]) => objects.filter((o) => o.kind === 'CronJob');

  const zone = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } };

  test("a claim's pods keep to the claim's node: an affinity override does not move them; tolerations and nodeSelector still apply", () => {
    const m = testModel({
      spec: {
        backup: { schedule: '@daily' },
        components: [{ kind: 'postgres', managed: true, overrides: { affinity: zone, tolerations: [{ key: 'db', operator: 'Exists' }], nodeSelector: { disk: 'ssd' } } }],
      },
    });
    const pod = cronJobs(backups(m))[0].spec.jobTemplate.spec.template.spec;
    expect(pod.affinity).toEqual({
      podAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { podAffinityTerm: { labelSelector: { matchLabels: { 'quay-operator/backup-volume': 'example-registry-quay-backups' } }, topologyKey: 'kubernetes.io/hostname' }, weight: 100 },
        ],
      },
    });
    expect(pod.tolerations).toEqual([{ key: 'db', operator: 'Exists' }]);
    expect(pod.nodeSelector).toEqual({ disk: 'ssd' });
  });

  test("a bucket's pods have no claim to keep to: they take the override's affinity", () => {
    const m = testModel({ spec: { backup: { schedule: '@daily', destination: { objectStorage: {} } }, components: [{ kind: 'postgres', managed: true, overrides: { affinity: zone } }] } });
    expect(cronJobs(backups(m)).map((c) => c.spec.jobTemplate.spec.template.spec.affinity)).toEqual([zone]);
  });

  // Validation refuses this spec (spec.backup.components names an unmanaged database); the construct
  // still never dumps a database the operator does not run, should a model ever get here.
  test('a database named in components but not managed here gets no CronJob', () => {
    const both = testModel({ spec: { backup: { schedule: '@daily', components: ['postgres', 'clairpostgres'] } } });
    const m = { ...both, components: { ...both.components, clairpostgres: { ...both.components.clairpostgres, managed: false } } };
    expect(cronJobs(backups(both)).map((c) => c.metadata.name)).toEqual(['example-registry-postgres-backup', 'example-registry-clairpostgres-backup']);
    expect(cronJobs(backups(m)).map((c) => c.metadata.name)).toEqual(['example-registry-postgres-backup']);
  });

  test("elsewhere than OpenShift a bucket's pods run as uid 26 too, so the Quay image reads what pg_dump wrote", () => {
    const m = ingressTerminatedModel({}, { backup: { schedule: '@daily', destination: { objectStorage: {} } } });
    expect(cronJobs(backups(m)).map((c) => c.spec.jobTemplate.spec.template.spec.securityContext)).toEqual([
      { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' }, runAsUser: 26, runAsGroup: 26, fsGroup: 26 },
    ]);
  });

  // The model refuses a bucket it cannot resolve (spec.backup.destination.objectStorage); the construct
  // still renders nothing then, rather than falling back to a claim nobody asked for.
  test('object storage that does not resolve: no claim and no CronJob', () => {
    const m = ingressTerminatedModel({}, { backup: { schedule: '@daily', destination: { objectStorage: {} } } });
    expect(cronJobs(backups(m))).toHaveLength(1);
    expect(backups({ ...m, bundle: { ...m.bundle!, config: {} } })).toEqual([]);
  });

  test('the volume rendered: labelled backup, with the storage class and size given', () => {
    const m = testModel({ spec: { backup: { schedule: '@daily', destination: { persistentVolumeClaim: { storageClassName: 'fast', size: '10Gi' } } } } });
    const claim = backups(m).find((o) => o.kind === 'PersistentVolumeClaim')!;
    expect(claim.metadata).toEqual({ name: 'example-registry-quay-backups', namespace: 'quay-enterprise', labels: { 'quay-component': 'backup', 'quay-operator/quayregistry': 'example-registry' } });
    expect(claim.spec).toEqual({ accessModes: ['ReadWriteOnce'], storageClassName: 'fast', resources: { requests: { storage: '10Gi' } } });
  });
});
