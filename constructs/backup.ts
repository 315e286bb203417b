// spec.backup: one CronJob per managed database backed up, running pg_dump (custom format) with the
// database's own image, as the database's own login, onto a PersistentVolumeClaim; the script keeps
// the newest `retention` dumps, writes a metadata file next to each, and reports it as the pod's
// termination message, which the controller reads into status.backups (lib/controller/backups.ts).
// Restores read the same volume (./restore.ts). With destination.objectStorage the same script dumps
// into an emptyDir in an init container, and the Quay image's python3 uploads the dump to the
// registry's bucket, applies the retention there and reports the same metadata
// (./backup-object-storage.ts).
import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-27/lib/imports/k8s';
import { BackupComponent, DEFAULT_BACKUP_RETENTION, DEFAULT_BACKUP_VOLUME_SIZE, backupComponents } from '../lib/api/backup';
import type { RegistryModel } from '../lib/model';
import { OBJECT_STORAGE_PY, backupObjectStore, caVolume, objectStorageEnv } from './backup-object-storage';
import { CLAIR_POSTGRES_COMPONENT, CLAIR_POSTGRES_NAMES } from './clair-postgres';
import { POSTGRES_COMPONENT, POSTGRES_NAMES } from './postgres';
import type { ComponentProps } from './shared/component';
import { DATABASE_SECRET_KEYS, POSTGRES_PORT } from './shared/database';
import { metadataFor, nameFor, podTemplateMetadata, selectorLabels } from './shared/metadata';
import { applyPlacement, podSecurityContext, resourcesFor, restrictedSecurityContext } from './shared/pod';

/** Where the backup volume is mounted in every backup, inspect and restore pod. */
export const BACKUP_MOUNT = '/backups';
/** The claim the operator renders when spec.backup names none. */
export const BACKUP_VOLUME_SUFFIX = 'quay-backups';
/** A CronJob's name is at most 52 characters (its Jobs add 11). */
const CRONJOB_NAME_MAX = 52;

/** What the backup and restore pods need of each managed database. */
export const BACKED_UP = {
  postgres: { workload: POSTGRES_NAMES.workload, secret: POSTGRES_NAMES.secret, component: POSTGRES_COMPONENT, adminPasswordKey: DATABASE_SECRET_KEYS.rootPassword },
  // Clair's login is the `postgres` superuser itself (constructs/shared/database.ts).
  clairpostgres: { workload: CLAIR_POSTGRES_NAMES.workload, secret: CLAIR_POSTGRES_NAMES.secret, component: CLAIR_POSTGRES_COMPONENT, adminPasswordKey: DATABASE_SECRET_KEYS.password },
} as const;

/** The `quay-component` label of a database's backup pods (never the database's own: the seeds select `quay-component=postgres`). */
export function backupComponentLabel(kind: BackupComponent): string {
  return `${kind}-backup`;
}

/** `<registry>-<suffix>`, shortened with a hash of the registry's name where it would be longer than `max`. */
export function boundedName(registry: string, suffix: string, max: number): string {
  const full = `${registry}-${suffix}`;
  if (full.length <= max) return full;
  const hash = createHash('sha256').update(registry).digest('hex').slice(0, 6);
  return `${registry.slice(0, max - suffix.length - 8).replace(/-+$/, '')}-${hash}-${suffix}`;
}

export function backupCronJobName(model: Pick<RegistryModel, 'name'>, kind: BackupComponent): string {
  return boundedName(model.name, `${kind}-backup`, CRONJOB_NAME_MAX);
}

/** The claim dumps go to: spec.backup's, or `<registry>-quay-backups`. */
export function backupClaimName(model: RegistryModel): string {
  return model.registry.spec.backup?.destination?.persistentVolumeClaim?.claimName ?? nameFor(model, BACKUP_VOLUME_SUFFIX);
}

export function databaseImage(model: RegistryModel, kind: BackupComponent): string {
  return kind === 'postgres' ? model.environment.images.postgres : model.environment.images.clairpostgres;
}

/**
 * A digest of DATABASE_SECRET_KEY, recorded with each dump: a registry created again (another uid)
 * with the keys Secret restored from backup can read what the dump's registry encrypted, and a
 * restore accepts it by this. Not the key: 64 bits of a SHA-256 over it.
 */
export function keysDigest(model: RegistryModel): string | undefined {
  return model.keysKnown ? createHash('sha256').update(`quay-operator/keys-digest:${model.keys.DATABASE_SECRET_KEY}`).digest('hex').slice(0, 16) : undefined;
}

/** The pod's database login: the Service and the database's config Secret. */
export function loginEnv(model: RegistryModel, kind: BackupComponent, superuser: boolean): k8s.EnvVar[] {
  const db = BACKED_UP[kind];
  const secret = nameFor(model, db.secret);
  const key = (name: string, k: string): k8s.EnvVar => ({ name, valueFrom: { secretKeyRef: { name: secret, key: k } } });
  return [
    { name: 'PGHOST', value: nameFor(model, db.workload) },
    { name: 'PGPORT', value: String(POSTGRES_PORT) },
    ...(superuser ? [{ name: 'PGUSER', value: 'postgres' }, key('PGPASSWORD', db.adminPasswordKey)] : [key('PGUSER', DATABASE_SECRET_KEYS.user), key('PGPASSWORD', DATABASE_SECRET_KEYS.password)]),
    key('PGDATABASE', DATABASE_SECRET_KEYS.database),
  ];
}

/**
 * The backup: pg_dump to a hidden partial file, renamed once complete with its metadata; then the
 * retention (this registry's dumps of this database, newest first by their UTC timestamps, beyond
 * RETENTION deleted with their metadata); the metadata as the termination message. A failure
 * leaves the log's tail as the message (FallbackToLogsOnError) and no dump counted.
 */
export const BACKUP_SCRIPT = String.raw`set -euo pipefail
umask 077
cd "$BACKUP_DIR"
json() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g'; }
version=$(printf '%s' "$QUAY_VERSION" | tr -c 'A-Za-z0-9._-' '_')
prefix="$REGISTRY_NAME-$COMPONENT-"
now=$(date -u +%s)
created=$(date -u -d "@$now" +%Y-%m-%dT%H:%M:%SZ)
dump="$prefix$(date -u -d "@$now" +%Y%m%dT%H%M%SZ)-$version.dump"
echo "backing up database $PGDATABASE on $PGHOST to $dump"
pg_dump --format=custom --no-password --file=".$dump.partial"
size=$(( $(wc -c < ".$dump.partial") + 0 ))
printf '{"dump":"%s","registry":"%s","namespace":"%s","uid":"%s","component":"%s","database":"%s","quayVersion":"%s","created":"%s","size":%d,"image":"%s","keysDigest":"%s","format":"pg_dump-custom"}\n' \
  "$dump" "$(json "$REGISTRY_NAME")" "$(json "$REGISTRY_NAMESPACE")" "$(json "$REGISTRY_UID")" "$COMPONENT" "$(json "$PGDATABASE")" \
  "$(json "$QUAY_VERSION")" "$created" "$size" "$(json "$IMAGE")" "$(json "$KEYS_DIGEST")" > ".$dump.json.partial"
mv ".$dump.partial" "$dump"
mv ".$dump.json.partial" "$dump.json"
ls -1 | { grep -E "^$prefix[0-9]{8}T[0-9]{6}Z-.+[.]dump$" || true; } | sort -r | sed -n "$((RETENTION + 1)),\$p" | while IFS= read -r old; do
  echo "retention: removing $old"
  rm -f -- "$old" "$old.json"
done
rm -f -- ".$prefix"*.partial
cp "$dump.json" "$TERMINATION_LOG"
echo "done: $dump ($size bytes)"
`;

/** Where the scripts read and write (environment, so a test runs them on a temporary directory). */
export const SCRIPT_PATHS: k8s.EnvVar[] = [
  { name: 'BACKUP_DIR', value: BACKUP_MOUNT },
  { name: 'TERMINATION_LOG', value: '/dev/termination-log' },
];

/** An env var, empty when unknown: no `value` then (the API server drops an empty one, and an apply that sends it writes each time). */
function envVar(name: string, value: string | undefined): k8s.EnvVar {
  return value ? { name, value } : { name };
}

/** The volume and its mount, in every pod that reads or writes dumps. */
export function backupVolume(model: RegistryModel, readOnly = false): { volume: k8s.Volume; mount: k8s.VolumeMount } {
  return {
    volume: { name: 'backups', persistentVolumeClaim: { claimName: backupClaimName(model), ...(readOnly ? { readOnly: true } : {}) } },
    mount: { name: 'backups', mountPath: BACKUP_MOUNT, ...(readOnly ? { readOnly: true } : {}) },
  };
}

/**
 * The pod of a backup, restore or inspection: the database's image as the database's user (26) on
 * the backup volume, with no ServiceAccount token (it talks to PostgreSQL only).
 */
export function databaseToolPod(
  model: RegistryModel,
  kind: BackupComponent,
  component: string,
  volume: k8s.Volume,
  mount: k8s.VolumeMount,
  c: { name: string; script: string; env: k8s.EnvVar[]; requests: Record<string, string> },
): k8s.PodTemplateSpec {
  const overrides = model.components[kind].overrides;
  return {
    metadata: podTemplateMetadata({ ...selectorLabels(model, component), [BACKUP_VOLUME_LABEL]: volume.persistentVolumeClaim!.claimName }, overrides),
    spec: {
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      securityContext: podSecurityContext(model, { runAsUser: 26, fsGroup: 26 }, overrides.securityContext),
      affinity: backupPodAffinity(model),
      containers: [
        {
          name: c.name,
          image: databaseImage(model, kind),
          imagePullPolicy: 'IfNotPresent',
          command: ['/bin/bash', '-c', c.script],
          env: c.env,
          resources: resourcesFor({ requests: c.requests }, undefined),
          securityContext: restrictedSecurityContext(),
          terminationMessagePolicy: 'FallbackToLogsOnError',
          volumeMounts: [mount],
        },
      ],
      volumes: [volume],
    },
  };
}

/** A container of the pods that reach the bucket. */
export interface ToolContainer {
  readonly name: string;
  readonly image: string;
  readonly command: string[];
  readonly env: k8s.EnvVar[];
  readonly requests: Record<string, string>;
  /** Mounts the staging emptyDir (at BACKUP_MOUNT). */
  readonly staging: boolean;
  /** Mounts the certificates Quay trusts. */
  readonly certificates: boolean;
}

/** The python3 program of the Quay image, for `command`. */
export function objectStorageCommand(action: 'upload' | 'inspect' | 'download'): string[] {
  return ['python3', '-c', OBJECT_STORAGE_PY, action];
}

/**
 * The pod of a backup, inspection or restore with destination.objectStorage: no claim (so no
 * backup-volume label and affinity), an emptyDir where a dump is staged, the certificates Quay
 * trusts; uid 26 off OpenShift for both images, so the Quay image reads what pg_dump wrote (mode 600).
 * No ServiceAccount token: it talks to PostgreSQL and the bucket only.
 */
export function objectStorageToolPod(model: RegistryModel, kind: BackupComponent, component: string, parts: { init?: ToolContainer; main: ToolContainer }): k8s.PodTemplateSpec {
  const overrides = model.components[kind].overrides;
  const ca = caVolume(model);
  const staging = { volume: { name: 'backups', emptyDir: {} } as k8s.Volume, mount: { name: 'backups', mountPath: BACKUP_MOUNT } as k8s.VolumeMount };
  const container = (c: ToolContainer): k8s.Container => ({
    name: c.name,
    image: c.image,
    imagePullPolicy: 'IfNotPresent',
    command: c.command,
    env: c.env,
    resources: resourcesFor({ requests: c.requests }, undefined),
    securityContext: restrictedSecurityContext(),
    terminationMessagePolicy: 'FallbackToLogsOnError',
    volumeMounts: [...(c.staging ? [staging.mount] : []), ...(c.certificates ? [ca.mount] : [])],
  });
  const all = [...(parts.init ? [parts.init] : []), parts.main];
  return {
    metadata: podTemplateMetadata(selectorLabels(model, component), overrides),
    spec: {
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      securityContext: podSecurityContext(model, { runAsUser: 26, fsGroup: 26 }, overrides.securityContext),
      ...(parts.init ? { initContainers: [container(parts.init)] } : {}),
      containers: [container(parts.main)],
      volumes: [...(all.some((c) => c.staging) ? [staging.volume] : []), ...(all.some((c) => c.certificates) ? [ca.volume] : [])],
    },
  };
}

/**
 * Pods of one registry that use its backup volume prefer one node: a ReadWriteOnce claim attaches
 * to one node at a time, so a Clair database backup at the same time as Quay's would wait for it.
 */
export function backupPodAffinity(model: RegistryModel): k8s.Affinity {
  return {
    podAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { [BACKUP_VOLUME_LABEL]: backupClaimName(model) } }, topologyKey: 'kubernetes.io/hostname' } },
      ],
    },
  };
}

/** On pods that mount a backup volume: which one (backupPodAffinity). */
export const BACKUP_VOLUME_LABEL = 'quay-operator/backup-volume';

export class Backups extends Construct {
  constructor(scope: Construct, id: string, props: ComponentProps) {
    super(scope, id);
    const { model } = props;
    const backup = model.registry.spec.backup;
    if (!backup) return;
    const pvc = backup.destination?.persistentVolumeClaim;
    const bucket = backupObjectStore(model);
    // Object storage the model could not resolve is a problem the model reported: nothing rendered, not a claim instead.
    if (backup.destination?.objectStorage && !bucket) return;
    if (!bucket && !pvc?.claimName) {
      // Data: with whenDeleted Retain it carries no ownerReference, as the database claims (lib/controller/retention.ts).
      new k8s.KubePersistentVolumeClaim(this, 'volume', {
        metadata: metadataFor(model, backupClaimName(model), { component: 'backup' }),
        spec: {
          accessModes: ['ReadWriteOnce'],
          ...(pvc?.storageClassName ? { storageClassName: pvc.storageClassName } : {}),
          resources: { requests: { storage: k8s.Quantity.fromString(String(pvc?.size ?? DEFAULT_BACKUP_VOLUME_SIZE)) } },
        },
      });
    }
    const { volume, mount } = backupVolume(model);
    for (const kind of backupComponents(backup)) {
      if (!model.components[kind].managed) continue;
      const overrides = model.components[kind].overrides;
      const component = backupComponentLabel(kind);
      const meta = metadataFor(model, backupCronJobName(model, kind), { component, overrides });
      const digest = keysDigest(model);
      const image = databaseImage(model, kind);
      const dumpEnv: k8s.EnvVar[] = [
        ...SCRIPT_PATHS,
        { name: 'REGISTRY_NAME', value: model.name },
        { name: 'REGISTRY_NAMESPACE', value: model.namespace },
        envVar('REGISTRY_UID', model.registry.metadata.uid),
        { name: 'QUAY_VERSION', value: model.environment.quayVersion },
        { name: 'COMPONENT', value: kind },
        { name: 'RETENTION', value: String(backup.retention ?? DEFAULT_BACKUP_RETENTION) },
        { name: 'IMAGE', value: image },
        envVar('KEYS_DIGEST', digest),
        ...loginEnv(model, kind, false),
      ];
      const requests = { cpu: '100m', memory: '256Mi' };
      // Object storage: the same script dumps into the pod's emptyDir (its retention finds nothing
      // else there), then the Quay image uploads, keeps `retention` in the bucket and reports.
      const template = bucket
        ? objectStorageToolPod(model, kind, component, {
            init: { name: 'backup', image, command: ['/bin/bash', '-c', BACKUP_SCRIPT], env: dumpEnv, requests, staging: true, certificates: false },
            main: {
              name: 'upload',
              image: model.environment.images.quay,
              command: objectStorageCommand('upload'),
              env: [
                ...SCRIPT_PATHS,
                { name: 'REGISTRY_NAME', value: model.name },
                { name: 'COMPONENT', value: kind },
                { name: 'RETENTION', value: String(backup.retention ?? DEFAULT_BACKUP_RETENTION) },
                ...objectStorageEnv(model),
              ],
              requests: { cpu: '100m', memory: '128Mi' },
              staging: true,
              certificates: true,
            },
          })
        : databaseToolPod(model, kind, component, volume, mount, { name: 'backup', script: BACKUP_SCRIPT, env: dumpEnv, requests });
      const cronJob = new k8s.KubeCronJob(this, kind, {
        metadata: meta,
        spec: {
          schedule: backup.schedule,
          ...(backup.timeZone ? { timeZone: backup.timeZone } : {}),
          // Never two at once: a slow dump delays the next instead of racing it on the same files.
          concurrencyPolicy: 'Forbid',
          // An operator or controller manager down at the scheduled time still backs up within the hour.
          startingDeadlineSeconds: 3600,
          suspend: backup.suspend ?? false,
          successfulJobsHistoryLimit: 3,
          failedJobsHistoryLimit: 3,
          jobTemplate: {
            metadata: { labels: meta.labels },
            spec: {
              backoffLimit: 1,
              // A dump stuck (its volume never attached) does not hold back every later one.
              activeDeadlineSeconds: 6 * 3600,
              template,
            },
          },
        },
      });
      // The claim's pods keep to one node (backupPodAffinity); a bucket's take the override's affinity.
      applyPlacement(cronJob, '/spec/jobTemplate/spec/template/spec', bucket ? overrides : { ...overrides, affinity: undefined });
    }
  }
}
