// The migration gate of a geo-replication site that does not migrate (spec.migrations.run: false):
// instead of the migration Job, a Job that waits until the shared database's alembic revision is the
// head of this Quay image's migrations, i.e. until the site that migrates has migrated it to this
// version. It only reads. The controller treats its success as the migration's (lib/controller/plan.ts).
import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-27/lib/imports/k8s';
import type { RegistryModel } from '../lib/model';
import { quayConfigAnnotations, quayConfigEnv, quayConfigInitContainer, quayConfigVolumeMounts, quayConfigVolumes } from './quay-volumes';
import { metadataFor, podTemplateMetadata, selectorLabels } from './shared/metadata';
import { applyPlacement, mergeEnv, resourcesFor, restrictedSecurityContext } from './shared/pod';

/** `quay-component` of the check's pods: not the migration Job's (it migrates nothing). */
export const QUAY_SCHEMA_CHECK_COMPONENT = 'quay-schema-check';
/** How often the check reads the revision again while the database is behind. */
export const SCHEMA_CHECK_INTERVAL_SECONDS = 30;

export function quaySchemaCheckJobName(model: Pick<RegistryModel, 'name'>): string {
  // `-quay-schema-check` fits the longest registry name (44) in a Job name's 63 characters.
  return `${model.name}-quay-schema-check`;
}

/**
 * Runs in the Quay image, from /quay-registry (QUAYDIR), with the config quay-config-init wrote:
 * the database's current revision(s) against the heads of data/migrations (alembic's own API, as
 * `migrate head` uses them). At the heads: success. Behind (or no revision yet): waits and reads
 * again. A revision these migrations do not know: a site with a newer Quay migrated the database;
 * fails with that in the termination message. The URI and password are never printed.
 */
export const SCHEMA_CHECK_SCRIPT = String.raw`import os, sys, time
import yaml
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

version = os.environ.get("QUAY_VERSION", "?")
interval = int(os.environ.get("CHECK_INTERVAL_SECONDS", "30"))
script = ScriptDirectory(os.path.join(os.environ.get("QUAYDIR", "/quay-registry"), "data", "migrations"))
heads = set(script.get_heads())
with open("/conf/stack/config.yaml") as f:
    config = yaml.safe_load(f) or {}
libpq = ("sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout")
args = {k: v for k, v in (config.get("DB_CONNECTION_ARGS") or {}).items() if k in libpq}

def report(message):
    print(message, flush=True)
    with open("/dev/termination-log", "w") as f:
        f.write(message)

try:
    engine = create_engine(config["DB_URI"], connect_args=args, poolclass=NullPool)
except Exception as e:
    # Not the error's text: it may quote the URI, password included.
    report("DB_URI in config.yaml is not a database URL this Quay can use (%s)" % type(e).__name__)
    sys.exit(1)

def known(revision):
    try:
        return script.get_revision(revision) is not None
    except Exception:
        return False

while True:
    try:
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except Exception as e:
        # The driver's first line (host, port, cause); it names no password.
        print("cannot read the database's revision yet: %s" % (str(e).splitlines() or [type(e).__name__])[0], flush=True)
        time.sleep(interval)
        continue
    shown = ",".join(sorted(current)) or "no revision"
    if current == heads:
        report("the shared database is at %s, the head of Quay %s's migrations" % (shown, version))
        sys.exit(0)
    unknown = sorted(r for r in current if not known(r))
    if unknown:
        report("the shared database is at revision %s, which Quay %s's migrations do not know: a site with a newer Quay migrated it; upgrade this site's operator" % (",".join(unknown), version))
        sys.exit(1)
    print("the shared database is at %s; waiting for %s (Quay %s), migrated by another site" % (shown, ",".join(sorted(heads)), version), flush=True)
    time.sleep(interval)
`;

export interface SchemaCheckProps {
  readonly model: RegistryModel;
  readonly serviceAccountName: string;
  readonly securityContext: k8s.PodSecurityContext;
  /** On the Job and its pod: the Quay version (and retry) it checks for, as the migration Job's. */
  readonly annotations: Record<string, string>;
  readonly podAnnotations: Record<string, string>;
}

/** The check Job, in place of the migration Job, in Quay's scope (same config, placement, overrides). */
export function renderSchemaCheckJob(scope: Construct, props: SchemaCheckProps): k8s.KubeJob {
  const { model } = props;
  const overrides = model.components.quay.overrides;
  const job = new k8s.KubeJob(scope, 'schema-check-job', {
    metadata: metadataFor(model, quaySchemaCheckJobName(model), { component: QUAY_SCHEMA_CHECK_COMPONENT, overrides, annotations: props.annotations }),
    spec: {
      // A read: another try after a crash is harmless; a database of a newer Quay fails each time.
      backoffLimit: 2,
      template: {
        metadata: podTemplateMetadata(selectorLabels(model, QUAY_SCHEMA_CHECK_COMPONENT), overrides, { ...props.podAnnotations, ...quayConfigAnnotations(model) }),
        spec: {
          restartPolicy: 'Never',
          serviceAccountName: props.serviceAccountName,
          securityContext: props.securityContext,
          initContainers: [quayConfigInitContainer(model)],
          containers: [
            {
              name: 'quay-schema-check',
              image: model.environment.images.quay,
              command: ['python3', '-c', SCHEMA_CHECK_SCRIPT],
              workingDir: '/quay-registry',
              env: mergeEnv(
                [
                  ...quayConfigEnv(model),
                  { name: 'QUAY_VERSION', value: model.environment.quayVersion },
                  { name: 'PYTHONPATH', value: '/quay-registry' },
                  { name: 'CHECK_INTERVAL_SECONDS', value: String(SCHEMA_CHECK_INTERVAL_SECONDS) },
                ],
                overrides.env,
              ),
              terminationMessagePolicy: 'FallbackToLogsOnError',
              resources: resourcesFor({ requests: { cpu: '50m', memory: '256Mi' }, limits: { memory: '1Gi' } }, undefined),
              securityContext: restrictedSecurityContext(),
              volumeMounts: quayConfigVolumeMounts(),
            },
          ],
          volumes: quayConfigVolumes(model),
        },
      },
    },
  });
  applyPlacement(job, '/spec/template/spec', overrides);
  return job;
}
