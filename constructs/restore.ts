// A restore's two Jobs, rendered by the controller as the restore goes (lib/controller/restore.ts):
// first one that reads the dump's metadata from the backup volume into its termination message (the
// controller decides from it whether the dump may be restored, before anything is stopped), then,
// with Quay, mirror and Clair scaled down, one that restores it: pg_restore's script and a clean
// public schema in one transaction (all or nothing), as the `postgres` superuser, on the database's image.
// With destination.objectStorage the Quay image's python3 reads the metadata from the bucket, and
// downloads the dump into the restore pod's emptyDir (an init container) for the same restore script.
import { createHash } from 'node:crypto';
import { App, Chart } from 'cdk8s';
import * as k8s from 'cdk8s-plus-27/lib/imports/k8s';
import type { BackupComponent } from '../lib/api/backup';
import { RESTORE_ANNOTATION } from '../lib/api/backup';
import type { RegistryModel } from '../lib/model';
import { KubeObject, sortObjects } from '../lib/synth';
import { BACKED_UP, SCRIPT_PATHS, backupVolume, boundedName, databaseImage, databaseToolPod, loginEnv, objectStorageCommand, objectStorageToolPod } from './backup';
import { backupObjectStore, objectStorageEnv } from './backup-object-storage';
import { DATABASE_SECRET_KEYS } from './shared/database';
import { metadataFor, nameFor } from './shared/metadata';

export type RestorePart = 'inspect' | 'restore';

export interface RestoreRequest {
  readonly dump: string;
  readonly id?: string;
  readonly component: BackupComponent;
}

/** `quay-component` of the restore Job's pods (admitted to the database by its NetworkPolicy), and of the inspect Job's. */
export function restoreComponentLabel(kind: BackupComponent, part: RestorePart): string {
  return part === 'restore' ? `${kind}-restore` : 'restore-inspect';
}

/** One name per request and part: a new request (another dump or id) gets new Jobs (they are immutable). */
export function restoreJobName(model: Pick<RegistryModel, 'name'>, request: RestoreRequest, part: RestorePart): string {
  const hash = createHash('sha256').update(JSON.stringify([request.dump, request.id ?? ''])).digest('hex').slice(0, 8);
  return boundedName(model.name, `${part === 'restore' ? 'restore' : 'restore-inspect'}-${hash}`, 63);
}

/**
 * Reads the dump's metadata: `{"found":true,"actualSize":N,"metadata":{...}}` as the termination
 * message, or `{"found":false,"available":[...]}` with this registry's newest dumps (20 at most).
 */
export const INSPECT_SCRIPT = String.raw`set -euo pipefail
cd "$BACKUP_DIR"
if [ -f "$DUMP" ] && [ -f "$DUMP.json" ]; then
  printf '{"found":true,"actualSize":%d,"metadata":%s}\n' "$(( $(wc -c < "$DUMP") + 0 ))" "$(cat -- "$DUMP.json")" > "$TERMINATION_LOG"
  echo "found $DUMP"
else
  names=$(ls -1 | { grep -E "^$REGISTRY_NAME-(postgres|clairpostgres)-[0-9]{8}T[0-9]{6}Z-.+[.]dump$" || true; } \
    | sed -E 's/^(.*)-([0-9]{8}T[0-9]{6}Z)-(.*)$/\2 &/' | sort -r | sed -n '1,20p' | cut -d' ' -f2 | sed 's/.*/"&"/' | paste -sd, -)
  printf '{"found":false,"available":[%s]}\n' "$names" > "$TERMINATION_LOG"
  echo "$DUMP not found"
fi
`;

/**
 * The restore: the metadata checked again (the Job restores only what the operator inspected), then
 * in one transaction the public schema dropped and created again, owned by the database's login,
 * and pg_restore's script. COMMIT is sent only after pg_restore succeeded; without it the server
 * rolls everything back when psql disconnects, and pipefail fails the Job.
 */
export const RESTORE_SCRIPT = String.raw`set -euo pipefail
cd "$BACKUP_DIR"
[ -f "$DUMP" ] || { echo "$DUMP is not on the backup volume"; exit 1; }
grep -q "\"registry\":\"$REGISTRY_NAME\"" -- "$DUMP.json" || { echo "$DUMP was not made by registry $REGISTRY_NAME"; exit 1; }
echo "restoring $DUMP into database $PGDATABASE on $PGHOST"
{
  echo 'BEGIN;'
  echo 'DROP SCHEMA IF EXISTS public CASCADE;'
  echo 'CREATE SCHEMA public;'
  echo 'ALTER SCHEMA public OWNER TO :"owner";'
  pg_restore --file=- -- "$DUMP"
  echo 'COMMIT;'
} | psql --no-password --quiet -v ON_ERROR_STOP=1 -v owner="$DB_OWNER" --dbname="$PGDATABASE"
printf '{"restored":"%s"}\n' "$DUMP" > "$TERMINATION_LOG"
echo "restored $DUMP"
`;

export interface RestoreJobProps {
  readonly model: RegistryModel;
  readonly request: RestoreRequest;
  readonly part: RestorePart;
}

export class RestoreJob extends Chart {
  constructor(scope: App, id: string, props: RestoreJobProps) {
    super(scope, id, { namespace: props.model.namespace, disableResourceNameHashes: true });
    const { model, request, part } = props;
    const kind = request.component;
    const overrides = model.components[kind].overrides;
    const component = restoreComponentLabel(kind, part);
    const { volume, mount } = backupVolume(model, part === 'inspect');
    const env: k8s.EnvVar[] = [
      ...SCRIPT_PATHS,
      { name: 'DUMP', value: request.dump },
      { name: 'REGISTRY_NAME', value: model.name },
      ...(part === 'restore'
        ? [...loginEnv(model, kind, true), { name: 'DB_OWNER', valueFrom: { secretKeyRef: { name: nameFor(model, BACKED_UP[kind].secret), key: DATABASE_SECRET_KEYS.user } } }]
        : []),
    ];
    const requests = { cpu: part === 'restore' ? '500m' : '10m', memory: part === 'restore' ? '512Mi' : '16Mi' };
    const template = backupObjectStore(model)
      ? objectStorageRestorePod(model, request, component, part, env, requests)
      : databaseToolPod(model, kind, component, volume, mount, { name: part, script: part === 'restore' ? RESTORE_SCRIPT : INSPECT_SCRIPT, env, requests });
    new k8s.KubeJob(this, 'job', {
      metadata: metadataFor(model, restoreJobName(model, request, part), { component, overrides, annotations: { [RESTORE_ANNOTATION]: request.dump } }),
      spec: {
        // The restore is all or nothing, and a second try of the same dump fails the same way: once.
        backoffLimit: 0,
        template,
      },
    });
  }
}

/**
 * With object storage: the inspection is the Quay image alone (python3 reads the bucket); the restore
 * downloads the dump into the pod's emptyDir first (an init container on the Quay image), then runs
 * RESTORE_SCRIPT on it as with a claim.
 */
function objectStorageRestorePod(model: RegistryModel, request: RestoreRequest, component: string, part: RestorePart, env: k8s.EnvVar[], requests: Record<string, string>): k8s.PodTemplateSpec {
  const kind = request.component;
  const reader = (action: 'inspect' | 'download', name: string, r: Record<string, string>) => ({
    name,
    image: model.environment.images.quay,
    command: objectStorageCommand(action),
    env: [...SCRIPT_PATHS, { name: 'DUMP', value: request.dump }, { name: 'REGISTRY_NAME', value: model.name }, ...objectStorageEnv(model)],
    requests: r,
    staging: action === 'download',
    certificates: true,
  });
  if (part === 'inspect') return objectStorageToolPod(model, kind, component, { main: reader('inspect', 'inspect', { cpu: '10m', memory: '32Mi' }) });
  return objectStorageToolPod(model, kind, component, {
    init: reader('download', 'download', { cpu: '100m', memory: '64Mi' }),
    main: { name: 'restore', image: databaseImage(model, kind), command: ['/bin/bash', '-c', RESTORE_SCRIPT], env, requests, staging: true, certificates: false },
  });
}

/** The Job of a restore's part, as the controller applies it. */
export function renderRestoreJob(model: RegistryModel, request: RestoreRequest, part: RestorePart): KubeObject[] {
  const chart = new RestoreJob(new App(), `${model.name}-${part}`, { model, request, part });
  return sortObjects(chart.toJson() as KubeObject[]);
}
