// spec.backup rendered: the CronJobs (exact spec), the backup volume, the restore Jobs; valid against
// the schemas; and the scripts they run, run here by bash on a temporary directory with stand-ins for
// pg_dump, pg_restore and psql: names, metadata, retention, the termination message, refusals.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BACKUP_SCRIPT, backupCronJobName, boundedName, keysDigest } from '../../constructs/backup';
import { INSPECT_SCRIPT, RESTORE_SCRIPT, renderRestoreJob, restoreJobName } from '../../constructs/restore';
import { DEFAULT_IMAGES, DEFAULT_QUAY_VERSION } from '../../lib/images';
import { renderRegistry } from '../../lib/synth';
import { testModel } from '../support/model';
import { validateAll } from '../support/schema';
import { KubeClient } from '../../lib/controller/kube-client';
import { resourceType } from '../../lib/controller/resources';
import { FakeApiServer } from '../support/fake-apiserver';
import { installOperator } from '../support/operator-install';
import { BACKUP_ENV } from '../support/backup-env';

type Obj = Record<string, any>;
/** Paths where two objects differ (for a failure message). */
function diff(a: unknown, b: unknown, at = ''): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return [`${at}: ${JSON.stringify(a)} → ${JSON.stringify(b)}`];
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].flatMap((k) => diff((a as Obj)[k], (b as Obj)[k], `${at}.${k}`));
}
const BACKUP = { schedule: '0 3 * * *', retention: 3, components: ['postgres', 'clairpostgres'] };
const model = testModel({ spec: { backup: BACKUP } });
const objects = renderRegistry(model).objects as Obj[];
const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);

describe('spec.backup renders', () => {
  test('one CronJob per database, exactly this', () => {
    const cron = find('CronJob', 'example-registry-postgres-backup')!;
    const secret = (key: string) => ({ secretKeyRef: { name: 'example-registry-postgres-config-secret', key } });
    expect(cron).toEqual({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: {
        name: 'example-registry-postgres-backup',
        namespace: 'quay-enterprise',
        labels: { 'quay-component': 'postgres-backup', 'quay-operator/quayregistry': 'example-registry' },
      },
      spec: {
        schedule: '0 3 * * *',
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 3600,
        suspend: false,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          metadata: { labels: { 'quay-component': 'postgres-backup', 'quay-operator/quayregistry': 'example-registry' } },
          spec: {
            backoffLimit: 1,
            activeDeadlineSeconds: 21600,
            template: {
              metadata: {
                labels: { 'quay-component': 'postgres-backup', 'quay-operator/quayregistry': 'example-registry', 'quay-operator/backup-volume': 'example-registry-quay-backups' },
              },
              spec: {
                restartPolicy: 'Never',
                automountServiceAccountToken: false,
                // OpenShift: the SCC assigns the ids.
                securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
                affinity: {
                  podAffinity: {
                    preferredDuringSchedulingIgnoredDuringExecution: [
                      {
                        weight: 100,
                        podAffinityTerm: { labelSelector: { matchLabels: { 'quay-operator/backup-volume': 'example-registry-quay-backups' } }, topologyKey: 'kubernetes.io/hostname' },
                      },
                    ],
                  },
                },
                containers: [
                  {
                    name: 'backup',
                    image: DEFAULT_IMAGES.postgres,
                    imagePullPolicy: 'IfNotPresent',
                    command: ['/bin/bash', '-c', BACKUP_SCRIPT],
                    env: [
                      { name: 'BACKUP_DIR', value: '/backups' },
                      { name: 'TERMINATION_LOG', value: '/dev/termination-log' },
                      { name: 'REGISTRY_NAME', value: 'example-registry' },
                      { name: 'REGISTRY_NAMESPACE', value: 'quay-enterprise' },
                      { name: 'REGISTRY_UID' },
                      { name: 'QUAY_VERSION', value: DEFAULT_QUAY_VERSION },
                      { name: 'COMPONENT', value: 'postgres' },
                      { name: 'RETENTION', value: '3' },
                      { name: 'IMAGE', value: DEFAULT_IMAGES.postgres },
                      { name: 'KEYS_DIGEST', value: keysDigest(model) },
                      { name: 'PGHOST', value: 'example-registry-quay-database' },
                      { name: 'PGPORT', value: '5432' },
                      { name: 'PGUSER', valueFrom: secret('database-username') },
                      { name: 'PGPASSWORD', valueFrom: secret('database-password') },
                      { name: 'PGDATABASE', valueFrom: secret('database-name') },
                    ],
                    resources: { requests: { cpu: '100m', memory: '256Mi' } },
                    securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } },
                    terminationMessagePolicy: 'FallbackToLogsOnError',
                    volumeMounts: [{ name: 'backups', mountPath: '/backups' }],
                  },
                ],
                volumes: [{ name: 'backups', persistentVolumeClaim: { claimName: 'example-registry-quay-backups' } }],
              },
            },
          },
        },
      },
    });
  });

  test("Clair's database: its own image and login; the volume: 50Gi unless said", () => {
    const clair = find('CronJob', 'example-registry-clairpostgres-backup')!.spec.jobTemplate.spec.template.spec.containers[0];
    expect(clair.image).toBe(DEFAULT_IMAGES.clairpostgres);
    expect(clair.env).toContainEqual({ name: 'PGHOST', value: 'example-registry-clair-postgres' });
    expect(clair.env).toContainEqual({ name: 'PGUSER', valueFrom: { secretKeyRef: { name: 'example-registry-clairpostgres-config-secret', key: 'database-username' } } });
    expect(find('PersistentVolumeClaim', 'example-registry-quay-backups')!.spec).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '50Gi' } } });
  });

  test('elsewhere than OpenShift: the image user and group, so the volume is writable', () => {
    const k8s = testModel({ platform: 'kubernetes', files: { 'config.yaml': 'SERVER_HOSTNAME: quay.example.com\nEXTERNAL_TLS_TERMINATION: true\nDISTRIBUTED_STORAGE_CONFIG: {default: [LocalStorage, {storage_path: /d}]}\n' }, spec: { backup: { schedule: '@daily' } } });
    const cron = (renderRegistry(k8s).objects as Obj[]).find((o) => o.kind === 'CronJob')!;
    expect(cron.spec.jobTemplate.spec.template.spec.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' }, runAsUser: 26, runAsGroup: 26, fsGroup: 26 });
  });

  test('your claim: none rendered; time zone and suspend passed on; only postgres by default', () => {
    const own = renderRegistry(testModel({ spec: { backup: { schedule: '30 1 * * 0', timeZone: 'Europe/Berlin', suspend: true, destination: { persistentVolumeClaim: { claimName: 'nfs-backups' } } } } })).objects as Obj[];
    expect(own.filter((o) => o.kind === 'PersistentVolumeClaim').map((o) => o.metadata.name)).not.toContain('example-registry-quay-backups');
    const crons = own.filter((o) => o.kind === 'CronJob');
    expect(crons.map((o) => o.metadata.name)).toEqual(['example-registry-postgres-backup']);
    expect(crons[0].spec).toMatchObject({ schedule: '30 1 * * 0', timeZone: 'Europe/Berlin', suspend: true });
    expect(crons[0].spec.jobTemplate.spec.template.spec.volumes).toEqual([{ name: 'backups', persistentVolumeClaim: { claimName: 'nfs-backups' } }]);
  });

  test('no spec.backup, nothing', () => {
    expect((renderRegistry(testModel()).objects as Obj[]).filter((o) => o.kind === 'CronJob' || o.metadata.name.includes('backup'))).toEqual([]);
  });

  test('CronJob names stay within 52 characters, Job names within 63', () => {
    const long = 'r'.repeat(44);
    expect(backupCronJobName({ name: long }, 'clairpostgres').length).toBeLessThanOrEqual(52);
    expect(backupCronJobName({ name: long }, 'clairpostgres')).toMatch(/^r+-[0-9a-f]{6}-clairpostgres-backup$/);
    expect(boundedName('a', 'b', 52)).toBe('a-b');
    expect(restoreJobName({ name: long }, { dump: 'x', component: 'postgres' }, 'inspect').length).toBeLessThanOrEqual(63);
  });

  test('restore Jobs: inspect reads the volume read-only; restore logs in as the superuser', () => {
    const request = { dump: 'example-registry-postgres-20260101T030000Z-v3.17.3.dump', component: 'postgres' as const };
    const [inspect] = renderRestoreJob(model, request, 'inspect') as Obj[];
    const [restore] = renderRestoreJob(model, request, 'restore') as Obj[];
    expect(inspect.spec.template.spec.volumes).toEqual([{ name: 'backups', persistentVolumeClaim: { claimName: 'example-registry-quay-backups', readOnly: true } }]);
    expect(inspect.spec.template.spec.containers[0].env.map((e: Obj) => e.name)).toEqual(['BACKUP_DIR', 'TERMINATION_LOG', 'DUMP', 'REGISTRY_NAME']);
    expect(restore.spec.template.metadata.labels['quay-component']).toBe('postgres-restore');
    expect(restore.spec.backoffLimit).toBe(0);
    expect(restore.spec.template.spec.containers[0].env).toEqual(
      expect.arrayContaining([
        { name: 'PGUSER', value: 'postgres' },
        { name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: 'example-registry-postgres-config-secret', key: 'database-root-password' } } },
        { name: 'DB_OWNER', valueFrom: { secretKeyRef: { name: 'example-registry-postgres-config-secret', key: 'database-username' } } },
      ]),
    );
    expect(restore.metadata.annotations).toEqual({ 'quay-operator/restore': request.dump });
  });

  test('valid against the schemas', () => {
    const request = { dump: 'example-registry-postgres-20260101T030000Z-v3.17.3.dump', component: 'postgres' as const };
    expect(() => validateAll([...objects, ...renderRestoreJob(model, request, 'inspect'), ...renderRestoreJob(model, request, 'restore')])).not.toThrow();
  });
});

describe('applied by the operator ServiceAccount into a new cluster, twice (the second a no-op)', () => {
  let server: FakeApiServer;
  afterEach(() => server?.stop());

  test('the CronJobs, the backup volume and the restore Jobs', async () => {
    server = await FakeApiServer.start();
    const client = new KubeClient(installOperator(server));
    server.createNamespace('quay-enterprise');
    const request = { dump: 'example-registry-postgres-20260101T030000Z-v3.17.3.dump', component: 'postgres' as const };
    const mine = [
      ...objects.filter((o) => o.kind === 'CronJob' || o.metadata.name === 'example-registry-quay-backups'),
      ...renderRestoreJob(model, request, 'inspect'),
      ...renderRestoreJob(model, request, 'restore'),
    ];
    expect(mine.map((o) => o.kind).sort()).toEqual(['CronJob', 'CronJob', 'Job', 'Job', 'PersistentVolumeClaim']);
    for (const o of mine) await client.apply(resourceType(o.apiVersion, o.kind), o as never);
    server.advanceClock(1);
    const before = server.resourceVersion;
    const changed: string[] = [];
    for (const o of mine) {
      const was = server.get(o.apiVersion, o.kind, o.metadata.namespace, o.metadata.name)!;
      await client.apply(resourceType(o.apiVersion, o.kind), o as never);
      const now = server.get(o.apiVersion, o.kind, o.metadata.namespace, o.metadata.name)!;
      if (now.metadata.resourceVersion !== was.metadata.resourceVersion) changed.push(`${o.kind}/${o.metadata.name}: ${JSON.stringify(diff(was, now))}`);
    }
    expect(changed).toEqual([]);
    expect(server.resourceVersion).toBe(before);
  });
});

// ------------------------------------------------------------------------------- the scripts

const hasBash = spawnSync('bash', ['-c', 'true']).status === 0;
const scripts = hasBash ? describe : describe.skip;

/** A bin directory with pg_dump, pg_restore and psql stand-ins (psql records its stdin). */
function tools(dir: string, options: { dumpFails?: boolean; restoreFails?: boolean } = {}): string {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  const write = (name: string, body: string) => fs.writeFileSync(path.join(bin, name), `#!/bin/bash\n${body}\n`, { mode: 0o755 });
  write('pg_dump', options.dumpFails ? 'echo "pg_dump: error: connection to server failed" >&2; exit 1' : 'for a in "$@"; do case "$a" in --file=*) printf "PGDMP-%s" "$PGDATABASE" > "${a#--file=}";; esac; done');
  write('pg_restore', options.restoreFails ? 'echo "pg_restore: error: could not read input file" >&2; exit 1' : 'echo "CREATE TABLE restored_from (name text);"');
  write('psql', `cat > "${dir}/psql-stdin"; echo "$*" > "${dir}/psql-args"`);
  return bin;
}

function run(script: string, dir: string, env: Record<string, string>, bin: string) {
  // stdin not a socket: bash would take itself for rshd's and read ~/.bashrc.
  const r = spawnSync('bash', ['-c', script], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: `${bin}:${process.env.PATH}`, BACKUP_DIR: path.join(dir, 'backups'), TERMINATION_LOG: path.join(dir, 'termination-log'), ...env },
  });
  const log = path.join(dir, 'termination-log');
  return { code: r.status, out: r.stdout + r.stderr, message: fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '' };
}

scripts('the scripts, on a temporary directory', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backup-'));
    fs.mkdirSync(path.join(dir, 'backups'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const files = () => fs.readdirSync(path.join(dir, 'backups')).sort();

  test('a backup: the dump and its metadata, named for the registry, database, time and version; the metadata as termination message', () => {
    const r = run(BACKUP_SCRIPT, dir, BACKUP_ENV, tools(dir));
    expect(r.code).toBe(0);
    const [dump, meta] = files();
    expect(dump).toMatch(/^example-registry-postgres-\d{8}T\d{6}Z-v3\.17\.3\.dump$/);
    expect(meta).toBe(`${dump}.json`);
    const metadata = JSON.parse(r.message);
    expect(metadata).toEqual({
      dump,
      registry: 'example-registry',
      namespace: 'quay-enterprise',
      uid: 'uid-1',
      component: 'postgres',
      database: 'example-registry-quay-database',
      quayVersion: 'v3.17.3',
      created: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      size: 'PGDMP-example-registry-quay-database'.length,
      image: 'quay.io/sclorg/postgresql-13-c9s:latest',
      keysDigest: 'abc',
      format: 'pg_dump-custom',
    });
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'backups', meta), 'utf8'))).toEqual(metadata);
  });

  test("retention keeps the newest N of this registry's dumps of this database, and no one else's", () => {
    const keep = ['other-registry-postgres-20200101T000000Z-v3.17.3.dump', 'example-registry-clairpostgres-20200101T000000Z-v3.17.3.dump'];
    const old = ['example-registry-postgres-20200101T000000Z-v3.16.0.dump', 'example-registry-postgres-20200102T000000Z-v3.16.0.dump', 'example-registry-postgres-20200103T000000Z-v3.17.3.dump'];
    for (const f of [...keep, ...old]) {
      fs.writeFileSync(path.join(dir, 'backups', f), 'x');
      fs.writeFileSync(path.join(dir, 'backups', `${f}.json`), '{}');
    }
    fs.writeFileSync(path.join(dir, 'backups', '.example-registry-postgres-20200104T000000Z-v3.17.3.dump.partial'), 'half');
    const r = run(BACKUP_SCRIPT, dir, BACKUP_ENV, tools(dir));
    expect(r.code).toBe(0);
    const mine = files().filter((f) => f.startsWith('example-registry-postgres-') && f.endsWith('.dump'));
    expect(mine).toHaveLength(2);
    expect(mine[0]).toBe(old[2]);
    for (const f of keep) expect(files()).toContain(f);
    expect(files().filter((f) => f.startsWith('.'))).toEqual([]);
    expect(r.out).toContain(`retention: removing ${old[1]}`);
  });

  test('a failed pg_dump: exit 1, no dump, the error in the log (the termination message falls back to it)', () => {
    const r = run(BACKUP_SCRIPT, dir, BACKUP_ENV, tools(dir, { dumpFails: true }));
    expect(r.code).not.toBe(0);
    expect(files()).toEqual([]);
    expect(r.message).toBe('');
    expect(r.out).toContain('pg_dump: error: connection to server failed');
  });

  test('inspect: the metadata and the size on disk; or, not found, the newest dumps there', () => {
    run(BACKUP_SCRIPT, dir, BACKUP_ENV, tools(dir));
    const [dump] = files();
    const found = run(INSPECT_SCRIPT, dir, { DUMP: dump, REGISTRY_NAME: 'example-registry' }, path.join(dir, 'bin'));
    expect(found.code).toBe(0);
    expect(JSON.parse(found.message)).toMatchObject({ found: true, actualSize: 'PGDMP-example-registry-quay-database'.length, metadata: { registry: 'example-registry', uid: 'uid-1' } });
    const missing = run(INSPECT_SCRIPT, dir, { DUMP: 'example-registry-postgres-20990101T000000Z-v3.17.3.dump', REGISTRY_NAME: 'example-registry' }, path.join(dir, 'bin'));
    expect(missing.code).toBe(0);
    expect(JSON.parse(missing.message)).toEqual({ found: false, available: [dump] });
  });

  test('restore: one transaction, the schema recreated and owned by the login, COMMIT only after pg_restore succeeded', () => {
    run(BACKUP_SCRIPT, dir, BACKUP_ENV, tools(dir));
    const [dump] = files();
    const env = { DUMP: dump, REGISTRY_NAME: 'example-registry', PGHOST: 'h', PGDATABASE: 'example-registry-quay-database', DB_OWNER: 'example-registry-quay-database' };
    const ok = run(RESTORE_SCRIPT, dir, env, path.join(dir, 'bin'));
    expect(ok.code).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'psql-stdin'), 'utf8').split('\n')).toEqual([
      'BEGIN;',
      'DROP SCHEMA IF EXISTS public CASCADE;',
      'CREATE SCHEMA public;',
      'ALTER SCHEMA public OWNER TO :"owner";',
      'CREATE TABLE restored_from (name text);',
      'COMMIT;',
      '',
    ]);
    expect(fs.readFileSync(path.join(dir, 'psql-args'), 'utf8')).toContain('-v owner=example-registry-quay-database');
    expect(JSON.parse(ok.message)).toEqual({ restored: dump });

    fs.rmSync(path.join(dir, 'bin'), { recursive: true });
    fs.rmSync(path.join(dir, 'termination-log'));
    const failed = run(RESTORE_SCRIPT, dir, env, tools(dir, { restoreFails: true }));
    expect(failed.code).not.toBe(0);
    expect(fs.readFileSync(path.join(dir, 'psql-stdin'), 'utf8')).not.toContain('COMMIT');
    expect(failed.out).toContain('pg_restore: error');
  });

  test("restore refuses a dump that is not there, or whose metadata names another registry", () => {
    run(BACKUP_SCRIPT, dir, BACKUP_ENV, tools(dir));
    const [dump] = files();
    const other = run(RESTORE_SCRIPT, dir, { DUMP: dump, REGISTRY_NAME: 'other', PGHOST: 'h', PGDATABASE: 'd', DB_OWNER: 'o' }, path.join(dir, 'bin'));
    expect([other.code, other.out.trim()]).toEqual([1, `${dump} was not made by registry other`]);
    const missing = run(RESTORE_SCRIPT, dir, { DUMP: 'nope.dump', REGISTRY_NAME: 'example-registry', PGHOST: 'h', PGDATABASE: 'd', DB_OWNER: 'o' }, path.join(dir, 'bin'));
    expect([missing.code, missing.out.trim()]).toEqual([1, 'nope.dump is not on the backup volume']);
  });
});
