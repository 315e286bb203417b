// A managed PostgreSQL on the sclorg image (https://github.com/sclorg/postgresql-container), used by
// both Quay's and Clair's databases: they differ only in names, image, credentials and labels.
import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-27/lib/imports/k8s';
import type { ComponentKind } from '../../lib/api/types';
import type { ComponentProps } from './component';
import { contentHash } from './hash';
import { metadataFor, nameFor, podTemplateMetadata, selectorLabels } from './metadata';
import { applyPlacement, mergeEnv, podSecurityContext, resourcesFor, restrictedSecurityContext } from './pod';

export const POSTGRES_PORT = 5432;
/** Upstream's PVC size. A PVC can grow but not shrink; the controller compares with the live claim. */
export const DEFAULT_DATABASE_VOLUME_SIZE = '50Gi';

/** Upstream's postgresql.conf.sample: initdb copies it into a new data directory's postgresql.conf. */
export const POSTGRESQL_CONF_SAMPLE = [
  'huge_pages = off',
  'logging_collector = on',
  "log_filename = 'postgresql-%a.log'",
  'log_truncate_on_rotation = on',
  'log_rotation_age = 1d',
  'log_rotation_size = 0',
  '',
].join('\n');

/** The image sources every `*.sh` here on each start, with a local server on the Unix socket. */
export const START_SCRIPTS_DIR = '/usr/share/container-scripts/postgresql/start';

/** The keys of the database's config secret (upstream's names; users' scripts read them). */
export const DATABASE_SECRET_KEYS = {
  user: 'database-username',
  password: 'database-password',
  database: 'database-name',
  rootPassword: 'database-root-password',
} as const;

export interface DatabaseCredentials {
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** Password of the `postgres` superuser. */
  readonly rootPassword: string;
}

/** A database's config Secret data (rendered by `Credentials`), by the keys upstream used. */
export function databaseSecretFiles(c: DatabaseCredentials): Record<string, string> {
  return {
    [DATABASE_SECRET_KEYS.user]: c.user,
    [DATABASE_SECRET_KEYS.password]: c.password,
    [DATABASE_SECRET_KEYS.database]: c.database,
    [DATABASE_SECRET_KEYS.rootPassword]: c.rootPassword,
  };
}

/**
 * The login env of the sclorg image, from the database's config Secret. `postgres` is the image's
 * reserved superuser: with POSTGRESQL_USER=postgres the first start fails (`createuser: role
 * "postgres" already exists`, sclorg/postgresql-container#372), and POSTGRESQL_DATABASE alone is
 * refused (the image wants user, password and database together). So that login gets only
 * POSTGRESQL_ADMIN_PASSWORD, set to the password clients use, and the database is the built-in
 * `postgres` (the generated Clair keys name exactly that one). PGUSER spares libpq (the readiness
 * probe's pg_isready) from looking up the container's UID, which OpenShift's random UIDs lack in /etc/passwd.
 */
export function postgresCredentialsEnv(secretName: string, user: string): k8s.EnvVar[] {
  const fromSecret = (envName: string, key: string): k8s.EnvVar => ({ name: envName, valueFrom: { secretKeyRef: { name: secretName, key } } });
  return user === 'postgres'
    ? [fromSecret('POSTGRESQL_ADMIN_PASSWORD', DATABASE_SECRET_KEYS.password), { name: 'PGUSER', value: 'postgres' }]
    : [
        fromSecret('POSTGRESQL_USER', DATABASE_SECRET_KEYS.user),
        fromSecret('POSTGRESQL_DATABASE', DATABASE_SECRET_KEYS.database),
        fromSecret('POSTGRESQL_ADMIN_PASSWORD', DATABASE_SECRET_KEYS.rootPassword),
        fromSecret('POSTGRESQL_PASSWORD', DATABASE_SECRET_KEYS.password),
      ];
}

export interface ManagedPostgresProps extends ComponentProps {
  /** The component whose overrides apply. */
  readonly kind: Extract<ComponentKind, 'postgres' | 'clairpostgres'>;
  /** The `quay-component` label of every object, and the pods' selector. */
  readonly component: string;
  /** Name suffixes: Deployment, Service and ServiceAccount share `workload`. */
  readonly names: {
    readonly workload: string;
    readonly secret: string;
    readonly confSample: string;
    readonly volume: string;
  };
  readonly containerName: string;
  readonly image: string;
  /** The login, when the keys are known (the controller): only its digest is rendered, to restart on a change. */
  readonly credentials?: DatabaseCredentials;
  /** The login user, known without the keys (the image's `postgres` superuser or `<registry>-quay-database`). */
  readonly user: string;
  /** Scripts sourced on every start, from a ConfigMap the caller renders: mounted file by file. */
  readonly startScripts?: { readonly configMapName: string; readonly files: Readonly<Record<string, string>> };
}

export class ManagedPostgres extends Construct {
  /** `<registry>-<workload>`: the Service others connect to. */
  public readonly serviceName: string;
  public readonly secretName: string;

  constructor(scope: Construct, id: string, props: ManagedPostgresProps) {
    super(scope, id);
    const { model, component, names, credentials, user } = props;
    const overrides = model.components[props.kind].overrides;
    const meta = (name: string) => metadataFor(model, name, { component, overrides });
    const selector = selectorLabels(model, component);
    const name = nameFor(model, names.workload);
    this.serviceName = name;
    // Rendered by `Credentials`. A stable name, no content hash: upstream's hashed per-component
    // secrets restarted the database whenever an unrelated part of the configuration changed (PROJQUAY-6578).
    this.secretName = nameFor(model, names.secret);
    const confSampleName = nameFor(model, names.confSample);
    const claimName = nameFor(model, names.volume);

    new k8s.KubeServiceAccount(this, 'service-account', { metadata: meta(name) });

    new k8s.KubeService(this, 'service', {
      metadata: meta(name),
      spec: {
        type: 'ClusterIP',
        selector,
        ports: [{ name: 'postgres', protocol: 'TCP', port: POSTGRES_PORT, targetPort: k8s.IntOrString.fromNumber(POSTGRES_PORT) }],
      },
    });

    new k8s.KubePersistentVolumeClaim(this, 'volume', {
      metadata: meta(claimName),
      spec: {
        accessModes: ['ReadWriteOnce'],
        // Unset: the cluster's default class. Immutable once the claim exists (the planner keeps the live one).
        ...(overrides.storageClassName ? { storageClassName: overrides.storageClassName } : {}),
        resources: { requests: { storage: k8s.Quantity.fromString(overrides.volumeSize ?? DEFAULT_DATABASE_VOLUME_SIZE) } },
      },
    });

    new k8s.KubeConfigMap(this, 'conf-sample', {
      metadata: meta(confSampleName),
      data: { 'postgresql.conf.sample': POSTGRESQL_CONF_SAMPLE },
    });

    const credentialsEnv = postgresCredentialsEnv(this.secretName, user);
    const env = mergeEnv(
      [...credentialsEnv, { name: 'POSTGRESQL_SHARED_BUFFERS', value: '256MB' }, { name: 'POSTGRESQL_MAX_CONNECTIONS', value: '2000' }],
      overrides.env,
    );

    const volumes: k8s.Volume[] = [
      { name: 'postgres-data', persistentVolumeClaim: { claimName } },
      { name: 'postgres-conf-sample', configMap: { name: confSampleName } },
    ];
    const volumeMounts: k8s.VolumeMount[] = [
      { name: 'postgres-data', mountPath: '/var/lib/pgsql/data' },
      { name: 'postgres-conf-sample', mountPath: '/usr/share/pgsql/postgresql.conf.sample', subPath: 'postgresql.conf.sample', readOnly: true },
    ];
    const scripts = props.startScripts;
    if (scripts) {
      volumes.push({ name: 'postgres-start-scripts', configMap: { name: scripts.configMapName } });
      for (const file of Object.keys(scripts.files).sort()) {
        volumeMounts.push({ name: 'postgres-start-scripts', mountPath: `${START_SCRIPTS_DIR}/${file}`, subPath: file, readOnly: true });
      }
    }

    // The image reads its credentials only at start (and then resets the passwords to them), so a
    // change of credentials (when the renderer knows them) or start scripts restarts it; nothing else does.
    const startFiles = Object.fromEntries(Object.entries(scripts?.files ?? {}).map(([file, text]) => [`start/${file}`, text]));
    const rolloutHash = contentHash({ ...(credentials ? databaseSecretFiles(credentials) : {}), ...startFiles });

    // /usr/libexec/check-container ships with the sclorg images. Without arguments it runs
    // pg_isready against 127.0.0.1, which answers only once the real server runs: during first
    // initialization and start scripts the image's temporary server listens on the Unix socket only.
    const checkContainer = (...args: string[]): k8s.Probe => ({ exec: { command: ['/usr/libexec/check-container', ...args] } });

    const deployment = new k8s.KubeDeployment(this, 'deployment', {
      metadata: meta(name),
      spec: {
        replicas: 1,
        // The ReadWriteOnce volume cannot be attached to a second pod while the first still runs.
        strategy: { type: 'Recreate' },
        selector: { matchLabels: selector },
        template: {
          metadata: podTemplateMetadata(selector, overrides, { 'quay-operator/credentials-hash': rolloutHash }),
          spec: {
            serviceAccountName: name,
            automountServiceAccountToken: false,
            // Time for a clean shutdown (checkpoint) before SIGKILL. Upstream misspelled the field
            // (terminationGraceperiodSeconds), so postgres was killed mid-write after 30s.
            terminationGracePeriodSeconds: 600,
            securityContext: podSecurityContext(model, { runAsUser: 26, fsGroup: 26 }, overrides.securityContext),
            containers: [
              {
                name: props.containerName,
                image: props.image,
                imagePullPolicy: 'IfNotPresent',
                ports: [{ name: 'postgres', containerPort: POSTGRES_PORT, protocol: 'TCP' }],
                env,
                resources: resourcesFor({ requests: { cpu: '500m', memory: '2Gi' } }, overrides.resources),
                // First start runs initdb, creates users and runs the start scripts (or pg_upgrade of
                // an older data directory): allow up to an hour. Upstream's kill during init left a
                // half-initialized database ("role does not exist", upstream issue #400).
                startupProbe: { ...checkContainer(), periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 360 },
                readinessProbe: { ...checkContainer(), periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
                // `--live` is the image's own liveness check: it succeeds as long as the container can
                // run commands, deliberately tolerant, because killing a busy database (a long
                // checkpoint or vacuum) mid-write does more harm than waiting.
                livenessProbe: { ...checkContainer('--live'), periodSeconds: 30, timeoutSeconds: 10, failureThreshold: 6 },
                securityContext: restrictedSecurityContext(),
                volumeMounts,
              },
            ],
            volumes,
          },
        },
      },
    });
    applyPlacement(deployment, '/spec/template/spec', overrides);
  }
}
