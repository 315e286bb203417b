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
 * The heads of this Quay image's migrations, read from the text of its alembic versions directory
 * (data/migrations/versions): `revision = '…'` and `down_revision = '…' | None | ('…', '…')` (a
 * merge) at the start of a line, with or without a type annotation; the heads are the revisions no
 * revision names as its down_revision (alembic's heads). No revision module is imported: Quay's
 * import data.database, data.fields and data.model at module level, which need what a bare Job may
 * not have. A `.py` file whose identifiers cannot be read is an error (it could be a head), not a
 * guess. `read_migrations(versions)` returns (heads, every revision). Standard library only.
 */
export const SCHEMA_HEADS_PY = String.raw`import ast, os, re

ASSIGNMENT = re.compile(r"^(revision|down_revision)[ \t]*(?::[^=\n]*)?=[ \t]*(\([^)]*\)|\[[^\]]*\]|[^\n]*)", re.M)

def read_migrations(versions):
    parents = {}
    for name in sorted(os.listdir(versions)):
        # The files alembic loads: *.py, not __init__.py nor an editor's lock file.
        if not name.endswith(".py") or name.startswith(("__init__", ".#")):
            continue
        with open(os.path.join(versions, name), encoding="utf-8") as f:
            text = f.read()
        found = {}
        for m in ASSIGNMENT.finditer(text):
            found.setdefault(m.group(1), re.sub(r"#[^\n]*", "", m.group(2)).strip())
        try:
            revision = ast.literal_eval(found["revision"])
            down = ast.literal_eval(found["down_revision"])
        except (KeyError, ValueError, SyntaxError):
            raise ValueError("%s: no revision = '...' and down_revision = ... that can be read without importing it" % name)
        down = () if down is None else (down,) if isinstance(down, str) else down
        if not isinstance(revision, str) or not isinstance(down, (tuple, list)) or not all(isinstance(d, str) for d in down):
            raise ValueError("%s: revision is not a string, or down_revision not a string, None or a tuple of strings" % name)
        parents[revision] = tuple(down)
    named = {d for down in parents.values() for d in down}
    return {r for r in parents if r not in named}, set(parents)
`;

/**
 * Runs in the Quay image, from /quay-registry (QUAYDIR), with the config quay-config-init wrote:
 * the database's current revision(s) against the heads of data/migrations/versions (SCHEMA_HEADS_PY,
 * first). At the heads: success. Behind (or no revision yet): waits and reads again. A revision these
 * migrations do not know: a site with a newer Quay migrated the database; fails with that in the
 * termination message (as when the migrations cannot be read). The URI and password are never printed.
 */
export const SCHEMA_CHECK_SCRIPT =
  SCHEMA_HEADS_PY +
  String.raw`
import sys, time
import yaml
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

version = os.environ.get("QUAY_VERSION", "?")
interval = int(os.environ.get("CHECK_INTERVAL_SECONDS", "30"))

def report(message):
    print(message, flush=True)
    with open("/dev/termination-log", "w") as f:
        f.write(message)

versions = os.path.join(os.environ.get("QUAYDIR", "/quay-registry"), "data", "migrations", "versions")
try:
    heads, revisions = read_migrations(versions)
except Exception as e:
    report("cannot read the migrations of Quay %s in %s: %s" % (version, versions, e))
    sys.exit(1)
if not heads:
    report("found no migrations of Quay %s in %s" % (version, versions))
    sys.exit(1)
with open("/conf/stack/config.yaml") as f:
    config = yaml.safe_load(f) or {}
libpq = ("sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout")
args = {k: v for k, v in (config.get("DB_CONNECTION_ARGS") or {}).items() if k in libpq}

try:
    engine = create_engine(config["DB_URI"], connect_args=args, poolclass=NullPool)
except Exception as e:
    # Not the error's text: it may quote the URI, password included.
    report("DB_URI in config.yaml is not a database URL this Quay can use (%s)" % type(e).__name__)
    sys.exit(1)

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
    unknown = sorted(r for r in current if r not in revisions)
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
