// spec.backup: managed database backups (no Quay operator has them; the seeds say "The Operator does
// not currently ensure the Postgres database is backed up"). A schedule, how many dumps to keep, where
// to put them and which managed databases; rendered as CronJobs by constructs/backup.ts. Restores are
// asked for with an annotation (RESTORE_ANNOTATION) and run by lib/controller/restore.ts. The API, its
// CRD schema and its checks live here, as spec.exposure's do in ./exposure.ts.
import { Problem, problem } from '../problems';
import type { JSONSchema } from './schema';

export const BACKUP_COMPONENTS = ['postgres', 'clairpostgres'] as const;
export type BackupComponent = (typeof BACKUP_COMPONENTS)[number];

export const DEFAULT_BACKUP_RETENTION = 7;
export const MAX_BACKUP_RETENTION = 1000;
export const DEFAULT_BACKUP_VOLUME_SIZE = '50Gi';
/** Where dumps go in a bucket: `<prefix>/<namespace>/<registry>/`. */
export const DEFAULT_BACKUP_PREFIX = 'quay-operator-backups';

export interface BackupVolume {
  /** An existing claim of yours; absent: the operator renders `<registry>-quay-backups`. */
  readonly claimName?: string;
  /** Size of the claim the operator renders (default 50Gi). */
  readonly size?: string;
  readonly storageClassName?: string;
}

/**
 * A bucket: the registry's own object storage, its credentials reused (never typed again): the
 * managed bucket's (the ObjectBucketClaim's Secret and ConfigMap), or, with objectstorage
 * unmanaged, an S3-compatible location of config.yaml's DISTRIBUTED_STORAGE_CONFIG.
 */
export interface BackupObjectStorage {
  /** Key prefix in the bucket (default quay-operator-backups); dumps go under `<prefix>/<namespace>/<registry>/`. */
  readonly prefix?: string;
  /** Unmanaged objectstorage: the DISTRIBUTED_STORAGE_CONFIG location (default: the first S3-compatible one). */
  readonly location?: string;
}

export interface BackupDestination {
  readonly persistentVolumeClaim?: BackupVolume;
  /** Not with persistentVolumeClaim. */
  readonly objectStorage?: BackupObjectStorage;
}

export interface Backup {
  /** Cron schedule (5 fields, or @daily, @hourly, ...), as a CronJob's. */
  readonly schedule: string;
  /** IANA time zone of the schedule (CronJob spec.timeZone); the controller manager's when absent. */
  readonly timeZone?: string;
  /** How many dumps of each database are kept (the newest; default 7). */
  readonly retention?: number;
  readonly destination?: BackupDestination;
  /** The managed databases dumped (default: postgres, Quay's). */
  readonly components?: readonly BackupComponent[];
  /** No new backups while true (running ones finish). */
  readonly suspend?: boolean;
}

/** On the QuayRegistry: restore this dump (a file name the backups wrote) into its managed database. */
export const RESTORE_ANNOTATION = 'quay-operator/restore';
/** With it: a new value asks for the same dump again (`quay-operator restore` sets a timestamp). */
export const RESTORE_ID_ANNOTATION = 'quay-operator/restore-id';

/**
 * A dump's file name: `<registry>-<component>-<UTC timestamp>-<quay version>.dump`, next to its
 * metadata `<same>.json`. The name alone says whose and which version; the metadata proves it.
 */
export const DUMP_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)-(postgres|clairpostgres)-(\d{8}T\d{6}Z)-([A-Za-z0-9._-]+)\.dump$/;

export interface DumpName {
  readonly registry: string;
  readonly component: BackupComponent;
  readonly timestamp: string;
  readonly version: string;
}

export function parseDumpName(name: string): DumpName | undefined {
  const m = DUMP_NAME.exec(name);
  if (!m || name.length > 253) return undefined;
  return { registry: m[1], component: m[3] as BackupComponent, timestamp: m[4], version: m[5] };
}

/** The resolved spec.backup: defaults filled in. */
export function backupComponents(b: Backup): BackupComponent[] {
  return [...(b.components ?? ['postgres'])];
}

/** The bucket's key prefix of a registry's dumps, `<prefix>/<namespace>/<registry>/`, when they go to object storage. */
export function backupObjectPrefix(b: Backup | undefined, namespace: string, registry: string): string | undefined {
  const o = b?.destination?.objectStorage;
  return o ? `${o.prefix ?? DEFAULT_BACKUP_PREFIX}/${namespace}/${registry}/` : undefined;
}

// ----------------------------------------------------------------------------------------- cron

const FIELDS: readonly { name: string; min: number; max: number; names?: readonly string[] }[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  { name: 'day of week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];

export const CRON_MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

/**
 * Why `schedule` is not a schedule the CronJob controller accepts (its standard parser: five fields,
 * each `*`, `?` (days), a value, a range `a-b`, a step `/n` on either, lists with commas; month and
 * weekday names; the @ macros), or undefined when it is one.
 */
export function cronProblem(schedule: string): string | undefined {
  const s = schedule.trim();
  if (s === '') return 'is empty';
  if (/^(CRON_)?TZ=/.test(s)) return 'must not set a time zone in the schedule (TZ=...): use spec.backup.timeZone';
  if (s.startsWith('@')) return CRON_MACROS.includes(s) ? undefined : `${JSON.stringify(s)} is not one of ${CRON_MACROS.join(', ')}`;
  const fields = s.split(/\s+/);
  if (fields.length !== 5) return `${JSON.stringify(s)} has ${fields.length} fields; a schedule has 5: minute hour day-of-month month day-of-week (e.g. "0 3 * * *")`;
  for (let i = 0; i < 5; i++) {
    const f = FIELDS[i];
    const value = (v: string): number | undefined => {
      const byName = f.names?.indexOf(v.toUpperCase()) ?? -1;
      if (byName >= 0) return byName + (f.name === 'month' ? 1 : 0);
      return /^\d+$/.test(v) ? Number(v) : undefined;
    };
    for (const part of fields[i].split(',')) {
      const bad = `${f.name} ${JSON.stringify(fields[i])}`;
      const [range, step, ...extra] = part.split('/');
      if (extra.length > 0 || (step !== undefined && !/^[1-9]\d*$/.test(step))) return `${bad}: a step is /n with n of at least 1`;
      if (range === '*' || (range === '?' && (i === 2 || i === 4))) continue;
      const [lo, hi, ...more] = range.split('-');
      const a = value(lo);
      const b = hi === undefined ? a : value(hi);
      if (more.length > 0 || a === undefined || b === undefined) return `${bad}: ${JSON.stringify(range)} is not a value or a range a-b`;
      if (a < f.min || b > f.max || a > b) return `${bad}: values are ${f.min}-${f.max}${a > b ? ', the range must go up' : ''}`;
    }
  }
  return undefined;
}

// --------------------------------------------------------------------------------------- schema

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const TIME_ZONE = /^[A-Za-z0-9_+\-/]+$/;
// Kubernetes resource.Quantity (as ./schema.ts's QUANTITY_PATTERN; not imported: schema.ts imports this file).
/** Segments of letters, digits, `_`, `-` and `.` (not first: no `.`, `..` or hidden names), joined by `/`. */
// The CRD's pattern as a string: a RegExp's source would escape the `/` (`\/`).
const OBJECT_PREFIX_PATTERN = '^[A-Za-z0-9_-][A-Za-z0-9_.-]*(/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*$';
const OBJECT_PREFIX = new RegExp(OBJECT_PREFIX_PATTERN);
const MAX_OBJECT_PREFIX = 200;
/** A DISTRIBUTED_STORAGE_CONFIG location's name as Quay configs spell them (default, local_us, s3Storage). */
const LOCATION = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const MAX_LOCATION = 128;
/** Both destinations at once: one message for the CRD's rule and the operator's check. */
export const EXCLUSIVE_DESTINATIONS = 'persistentVolumeClaim and objectStorage are exclusive: dumps go to one place';
const QUANTITY = /^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$/;

export const backupSchema: JSONSchema = {
  type: 'object',
  required: ['schedule'],
  description:
    'Scheduled pg_dump backups of the managed databases: CronJobs running pg_dump (custom format) with each database\'s own image, never two at once, keeping the newest `retention` dumps on a PersistentVolumeClaim or in the registry\'s object storage. Each dump is named <registry>-<component>-<UTC time>-<Quay version>.dump, with its metadata in <same>.json. The last backup\'s outcome is in status.backups; a failed one sets BackupFailed. Restore with the quay-operator/restore annotation (or `quay-operator restore`).',
  properties: {
    schedule: {
      type: 'string',
      maxLength: 128,
      description: 'When to back up, in cron syntax (minute hour day-of-month month day-of-week, e.g. "0 3 * * *" for 03:00 every day), or @daily, @hourly, @weekly, @monthly, @yearly.',
    },
    timeZone: { type: 'string', maxLength: 64, pattern: TIME_ZONE.source, description: 'IANA time zone of the schedule, e.g. Etc/UTC or Europe/Berlin; the cluster controller manager\'s when absent.' },
    retention: {
      type: 'integer',
      format: 'int32',
      minimum: 1,
      maximum: MAX_BACKUP_RETENTION,
      description: `How many dumps of each database to keep: after each backup the oldest beyond this many are deleted (default ${DEFAULT_BACKUP_RETENTION}).`,
    },
    components: {
      type: 'array',
      maxItems: BACKUP_COMPONENTS.length,
      'x-kubernetes-list-type': 'set',
      items: { type: 'string', enum: [...BACKUP_COMPONENTS] },
      description: 'The managed databases to back up: postgres (Quay\'s, the default) and clairpostgres (Clair\'s, which Clair can also rebuild from its updaters). Each must be managed.',
    },
    suspend: { type: 'boolean', description: 'true: no new backups start (one running finishes). Default false.' },
    destination: {
      type: 'object',
      description: 'Where dumps go: a PersistentVolumeClaim, or the registry\'s object storage (objectStorage), not both. Default: a PersistentVolumeClaim <registry>-quay-backups of 50Gi the operator creates (kept when the registry is deleted, like the database claims).',
      'x-kubernetes-validations': [{ rule: '!(has(self.persistentVolumeClaim) && has(self.objectStorage))', message: EXCLUSIVE_DESTINATIONS }],
      properties: {
        persistentVolumeClaim: {
          type: 'object',
          description: 'A PersistentVolumeClaim: yours (claimName), or one the operator creates (size, storageClassName).',
          properties: {
            claimName: { type: 'string', maxLength: 253, pattern: DNS_SUBDOMAIN.source, description: 'An existing claim in the registry\'s namespace (ReadWriteOnce is enough; several registries may share one). Absent: the operator creates <registry>-quay-backups.' },
            size: {
              'x-kubernetes-int-or-string': true,
              anyOf: [{ type: 'integer' }, { type: 'string' }],
              pattern: QUANTITY.source,
              description: `Size of the claim the operator creates (default ${DEFAULT_BACKUP_VOLUME_SIZE}; claims grow, never shrink). Not with claimName.`,
            },
            storageClassName: { type: 'string', maxLength: 253, pattern: DNS_SUBDOMAIN.source, description: 'StorageClass of the claim the operator creates; the cluster default when absent. Not with claimName.' },
          },
        },
        objectStorage: {
          type: 'object',
          description:
            'The registry\'s own bucket, with the credentials Quay already has (never typed again): the managed bucket (objectstorage managed: the ObjectBucketClaim\'s Secret and ConfigMap), or an S3-compatible location of config.yaml\'s DISTRIBUTED_STORAGE_CONFIG (objectstorage unmanaged: S3Storage, CloudFrontedS3Storage, RadosGWStorage, RHOCSStorage, IBMCloudStorage, GoogleCloudStorage), whose endpoint, bucket and keys the operator copies into the Secret <registry>-quay-backup-storage. Dumps go under <prefix>/<namespace>/<registry>/.',
          properties: {
            prefix: {
              type: 'string',
              maxLength: MAX_OBJECT_PREFIX,
              pattern: OBJECT_PREFIX_PATTERN,
              description: `Key prefix in the bucket (default ${DEFAULT_BACKUP_PREFIX}): segments of letters, digits, _, - and . joined by /. Dumps go under <prefix>/<namespace>/<registry>/, so registries sharing a bucket keep apart; Quay's own blobs are under its storage_path.`,
            },
            location: {
              type: 'string',
              maxLength: MAX_LOCATION,
              pattern: LOCATION.source,
              description: 'objectstorage unmanaged: which location of DISTRIBUTED_STORAGE_CONFIG (default: the first S3-compatible one, DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS and DISTRIBUTED_STORAGE_PREFERENCE first). Not with the managed bucket.',
            },
          },
        },
      },
    },
  },
};

const time: JSONSchema = { type: 'string', format: 'date-time' };

export const backupStatusSchema: JSONSchema = {
  type: 'array',
  description: 'The last backup of each database spec.backup names, read from its CronJob and its last Job.',
  items: {
    type: 'object',
    required: ['component'],
    properties: {
      component: { type: 'string', description: 'postgres or clairpostgres.' },
      cronJob: { type: 'string', description: 'The CronJob that runs the backups.' },
      lastScheduleTime: { ...time, description: 'When the last backup was started.' },
      lastSuccessfulTime: { ...time, description: 'When a backup last succeeded.' },
      lastJob: { type: 'string', description: 'The Job of the last backup.' },
      lastDump: { type: 'string', description: 'The file the last successful backup wrote (what the quay-operator/restore annotation takes).' },
      lastSize: { type: 'integer', format: 'int64', description: 'Its size in bytes.' },
      outcome: { type: 'string', enum: ['Succeeded', 'Failed', 'Running', 'None'], description: 'Of the last Job: Succeeded, Failed, Running, or None before the first.' },
      message: { type: 'string', description: 'Why the last backup failed.' },
    },
  },
};

export const RESTORE_PHASES = ['Inspecting', 'ScalingDown', 'Restoring', 'Migrating', 'Succeeded', 'Refused', 'Failed'] as const;
export type RestorePhase = (typeof RESTORE_PHASES)[number];

export const restoreStatusSchema: JSONSchema = {
  type: 'object',
  description: 'The last restore asked for with the quay-operator/restore annotation.',
  required: ['dump', 'phase'],
  properties: {
    dump: { type: 'string', description: 'The dump restored (the annotation\'s value).' },
    id: { type: 'string', description: 'The quay-operator/restore-id annotation of the request.' },
    component: { type: 'string', description: 'The database restored: postgres or clairpostgres.' },
    phase: { type: 'string', enum: [...RESTORE_PHASES], description: 'Inspecting (reading the dump\'s metadata), ScalingDown, Restoring, Migrating (an older dump\'s version is migrated), Succeeded, Refused or Failed.' },
    message: { type: 'string', description: 'What is happening, or why it was refused or failed.' },
    startTime: { ...time, description: 'When the request was seen.' },
    completionTime: { ...time, description: 'When it ended.' },
    dumpVersion: { type: 'string', description: 'The Quay version the dump was taken with.' },
    dumpCreated: { type: 'string', description: 'When the dump was taken (UTC).' },
    dumpSize: { type: 'integer', format: 'int64', description: 'Its size in bytes.' },
    staleMigrationJob: { type: 'string', description: 'While Migrating: the uid of the migration Job run before the restore, replaced by a new one.' },
  },
};

export interface BackupStatus {
  readonly component: BackupComponent;
  readonly cronJob?: string;
  readonly lastScheduleTime?: string;
  readonly lastSuccessfulTime?: string;
  readonly lastJob?: string;
  readonly lastDump?: string;
  readonly lastSize?: number;
  readonly outcome: 'Succeeded' | 'Failed' | 'Running' | 'None';
  readonly message?: string;
}

export interface RestoreStatus {
  readonly dump: string;
  readonly id?: string;
  readonly component?: BackupComponent;
  readonly phase: RestorePhase;
  readonly message?: string;
  readonly startTime?: string;
  readonly completionTime?: string;
  readonly dumpVersion?: string;
  readonly dumpCreated?: string;
  readonly dumpSize?: number;
  readonly staleMigrationJob?: string;
}

// ---------------------------------------------------------------------------------------- parse

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Checks spec.backup field by field, naming the field; the parsed value when it holds.
 * `unmanaged`: the kinds spec.components declares unmanaged (a database backed up must be managed).
 */
export function parseBackup(raw: unknown, unmanaged: ReadonlySet<string>, problems: Problem[]): Backup | undefined {
  const path = 'spec.backup';
  if (raw === undefined || raw === null) return undefined;
  if (!isObject(raw)) {
    problems.push(problem(path, 'must be a mapping with schedule, and optionally retention, components, destination, timeZone, suspend'));
    return undefined;
  }
  const before = problems.length;
  const bad = (field: string, message: string) => problems.push(problem(`${path}.${field}`, message));
  const known = ['schedule', 'timeZone', 'retention', 'components', 'destination', 'suspend'];
  for (const k of Object.keys(raw)) if (!known.includes(k)) bad(k, `unknown field; spec.backup has ${known.join(', ')}`);
  const { schedule, timeZone, retention, components, destination, suspend } = raw;
  if (typeof schedule !== 'string') bad('schedule', 'is required: a cron schedule such as "0 3 * * *" (03:00 every day)');
  else {
    const why = cronProblem(schedule);
    if (why) bad('schedule', `not a cron schedule: ${why}`);
  }
  if (timeZone !== undefined && (typeof timeZone !== 'string' || !TIME_ZONE.test(timeZone) || timeZone.length > 64)) bad('timeZone', `${JSON.stringify(timeZone)} is not an IANA time zone name such as Etc/UTC`);
  if (retention !== undefined && (typeof retention !== 'number' || !Number.isInteger(retention) || retention < 1 || retention > MAX_BACKUP_RETENTION)) {
    bad('retention', `must be a whole number from 1 to ${MAX_BACKUP_RETENTION} (how many dumps of each database to keep)`);
  }
  if (suspend !== undefined && typeof suspend !== 'boolean') bad('suspend', 'must be true or false');
  if (components !== undefined) {
    if (!Array.isArray(components) || components.length === 0) bad('components', `must be a non-empty list of ${BACKUP_COMPONENTS.join(', ')}`);
    else
      components.forEach((c, i) => {
        if (!(BACKUP_COMPONENTS as readonly unknown[]).includes(c)) bad(`components[${i}]`, `${JSON.stringify(c)} cannot be backed up; the managed databases are ${BACKUP_COMPONENTS.join(', ')}`);
        else if (components.indexOf(c) !== i) bad(`components[${i}]`, `\`${c}\` is listed twice`);
        else if (unmanaged.has(c as string)) bad(`components[${i}]`, `\`${c}\` is unmanaged: back up your own database with your provider's tools (the operator dumps only databases it runs)`);
      });
  } else if (unmanaged.has('postgres')) {
    bad('components', 'defaults to [postgres], which is unmanaged: list the managed databases to back up (clairpostgres), or remove spec.backup');
  }
  if (destination !== undefined) {
    if (!isObject(destination)) bad('destination', 'must be a mapping with persistentVolumeClaim or objectStorage');
    else {
      for (const k of Object.keys(destination)) if (k !== 'persistentVolumeClaim' && k !== 'objectStorage') bad(`destination.${k}`, 'unknown destination; they are persistentVolumeClaim and objectStorage');
      if (destination.persistentVolumeClaim !== undefined && destination.objectStorage !== undefined) bad('destination', EXCLUSIVE_DESTINATIONS);
      const bucket = destination.objectStorage;
      if (bucket !== undefined && !isObject(bucket)) bad('destination.objectStorage', 'must be a mapping, optionally with prefix and location ({} for the defaults)');
      else if (bucket) {
        const p = 'destination.objectStorage';
        for (const k of Object.keys(bucket)) if (k !== 'prefix' && k !== 'location') bad(`${p}.${k}`, 'unknown field; it has prefix, location (the credentials are the registry\'s own, never given here)');
        if (bucket.prefix !== undefined && (typeof bucket.prefix !== 'string' || bucket.prefix.length > MAX_OBJECT_PREFIX || !OBJECT_PREFIX.test(bucket.prefix))) {
          bad(`${p}.prefix`, `${JSON.stringify(bucket.prefix)} is not a key prefix: segments of letters, digits, _, - and . (not first) joined by /, at most ${MAX_OBJECT_PREFIX} characters, e.g. ${DEFAULT_BACKUP_PREFIX}`);
        }
        if (bucket.location !== undefined && (typeof bucket.location !== 'string' || bucket.location.length > MAX_LOCATION || !LOCATION.test(bucket.location))) {
          bad(`${p}.location`, `${JSON.stringify(bucket.location)} is not a location name of DISTRIBUTED_STORAGE_CONFIG (such as default or local_us)`);
        }
      }
      const pvc = destination.persistentVolumeClaim;
      if (pvc !== undefined && !isObject(pvc)) bad('destination.persistentVolumeClaim', 'must be a mapping with claimName, or size and storageClassName');
      else if (pvc) {
        const p = 'destination.persistentVolumeClaim';
        for (const k of Object.keys(pvc)) if (!['claimName', 'size', 'storageClassName'].includes(k)) bad(`${p}.${k}`, 'unknown field; it has claimName, size, storageClassName');
        if (pvc.claimName !== undefined && (typeof pvc.claimName !== 'string' || !DNS_SUBDOMAIN.test(pvc.claimName) || pvc.claimName.length > 253)) bad(`${p}.claimName`, `${JSON.stringify(pvc.claimName)} is not a PersistentVolumeClaim name`);
        if (pvc.size !== undefined && ((typeof pvc.size !== 'string' && typeof pvc.size !== 'number') || !QUANTITY.test(String(pvc.size)))) bad(`${p}.size`, `${JSON.stringify(pvc.size)} is not a Kubernetes quantity such as 100Gi`);
        if (pvc.storageClassName !== undefined && (typeof pvc.storageClassName !== 'string' || !DNS_SUBDOMAIN.test(pvc.storageClassName))) bad(`${p}.storageClassName`, `${JSON.stringify(pvc.storageClassName)} is not a StorageClass name`);
        if (pvc.claimName !== undefined && (pvc.size !== undefined || pvc.storageClassName !== undefined)) bad(p, 'claimName names your own claim: size and storageClassName apply only to the claim the operator creates');
      }
    }
  }
  return problems.length > before ? undefined : (raw as unknown as Backup);
}
