// A managed database's PostgreSQL major upgrade (Quay's 10 → 13, Clair's 13 → 15, as upstream),
// with the sclorg images' own mechanism: the previous major runs again from the old volume
// (`<db>-old`, its own Service), and a Job of the new image initializes the new volume from it
// (POSTGRESQL_MIGRATION_REMOTE_HOST: pg_dumpall from the old server, restored into the new one).
// Nothing is deleted from the old volume; it is kept afterwards. The controller decides when each part is
// applied (lib/controller/postgres-upgrade.ts); this renders them.
import { Chart } from 'cdk8s';
import * as k8s from 'cdk8s-plus-27/lib/imports/k8s';
import { Construct } from 'constructs';
import type { RegistryModel } from '../lib/model';
import { CLAIR_POSTGRES_COMPONENT, CLAIR_POSTGRES_NAMES } from './clair-postgres';
import { allowIngress, networkPoliciesEnabled } from './network-policies';
import { POSTGRES_COMPONENT, POSTGRES_NAMES, quayDatabaseUser } from './postgres';
import { DATABASE_SECRET_KEYS, POSTGRES_PORT, postgresCredentialsEnv } from './shared/database';
import { metadataFor, nameFor, podTemplateMetadata, selectorLabels } from './shared/metadata';
import { podSecurityContext, restrictedSecurityContext } from './shared/pod';

export type UpgradedDatabase = 'postgres' | 'clairpostgres';

/** Names of a database's upgrade objects: `<db>-old` (Deployment, Service) and the Job. */
export const DATABASE_UPGRADE = {
  postgres: { workload: POSTGRES_NAMES.workload, job: 'quay-postgres-upgrade', component: POSTGRES_COMPONENT, secret: POSTGRES_NAMES.secret, volume: POSTGRES_NAMES.volume },
  clairpostgres: {
    workload: CLAIR_POSTGRES_NAMES.workload,
    job: 'clair-postgres-upgrade',
    component: CLAIR_POSTGRES_COMPONENT,
    secret: CLAIR_POSTGRES_NAMES.secret,
    volume: CLAIR_POSTGRES_NAMES.volume,
  },
} as const;

export interface PostgresUpgradeProps {
  readonly model: RegistryModel;
  readonly kind: UpgradedDatabase;
  /** The claim the previous major's data is on (the live Deployment's). */
  readonly oldClaim: string;
  /** The image the database ran (its live Deployment's): it serves the old data during the copy. */
  readonly oldImage: string;
}

export function oldDatabaseName(model: RegistryModel, kind: UpgradedDatabase): string {
  return nameFor(model, `${DATABASE_UPGRADE[kind].workload}-old`);
}

export function databaseUpgradeJobName(model: RegistryModel, kind: UpgradedDatabase): string {
  return nameFor(model, DATABASE_UPGRADE[kind].job);
}

function user(model: RegistryModel, kind: UpgradedDatabase): string {
  return kind === 'clairpostgres' ? model.keys.CLAIR_DB_USER : quayDatabaseUser(model);
}

export class PostgresUpgrade extends Chart {
  constructor(scope: Construct, id: string, props: PostgresUpgradeProps) {
    super(scope, id, { namespace: props.model.namespace, disableResourceNameHashes: true });
    const { model, kind } = props;
    const names = DATABASE_UPGRADE[kind];
    const overrides = model.components[kind].overrides;
    const oldComponent = `${names.component}-old`;
    const oldName = oldDatabaseName(model, kind);
    const oldSelector = selectorLabels(model, oldComponent);
    const secret = nameFor(model, names.secret);
    const env = postgresCredentialsEnv(secret, user(model, kind));
    const security = podSecurityContext(model, { runAsUser: 26, fsGroup: 26 }, overrides.securityContext);
    // RELATED_IMAGE_COMPONENT_*_PREVIOUS when set, else exactly what served this data until now.
    const previous = (kind === 'postgres' ? model.environment.images.postgresPrevious : model.environment.images.clairpostgresPrevious) || props.oldImage;
    const current = kind === 'postgres' ? model.environment.images.postgres : model.environment.images.clairpostgres;
    const data = (claimName: string) => ({
      volumes: [{ name: 'postgres-data', persistentVolumeClaim: { claimName } }],
      volumeMounts: [{ name: 'postgres-data', mountPath: '/var/lib/pgsql/data' }],
    });

    // The old server accepts only the copy Job, as the database it stands in for accepts only its clients.
    if (networkPoliciesEnabled(model)) {
      allowIngress(this, 'old-network-policy', model, { name: oldName, component: oldComponent, port: POSTGRES_PORT, from: [`${names.component}-upgrade`], overrides });
    }
    new k8s.KubeService(this, 'old-service', {
      metadata: metadataFor(model, oldName, { component: oldComponent, overrides }),
      spec: { type: 'ClusterIP', selector: oldSelector, ports: [{ name: 'postgres', protocol: 'TCP', port: POSTGRES_PORT, targetPort: k8s.IntOrString.fromNumber(POSTGRES_PORT) }] },
    });
    const old = data(props.oldClaim);
    new k8s.KubeDeployment(this, 'old-deployment', {
      metadata: metadataFor(model, oldName, { component: oldComponent, overrides }),
      spec: {
        replicas: 1,
        strategy: { type: 'Recreate' },
        selector: { matchLabels: oldSelector },
        template: {
          metadata: podTemplateMetadata(oldSelector, overrides),
          spec: {
            automountServiceAccountToken: false,
            terminationGracePeriodSeconds: 600,
            securityContext: security,
            containers: [
              {
                name: 'postgres',
                image: previous,
                ports: [{ name: 'postgres', containerPort: POSTGRES_PORT, protocol: 'TCP' }],
                env,
                readinessProbe: { exec: { command: ['/usr/libexec/check-container'] }, periodSeconds: 10, timeoutSeconds: 5 },
                securityContext: restrictedSecurityContext(),
                volumeMounts: old.volumeMounts,
              },
            ],
            volumes: old.volumes,
          },
        },
      },
    });

    // The claim the new major runs on: the one the database's own construct renders.
    const target = data(nameFor(model, names.volume));
    const adminPasswordKey = kind === 'clairpostgres' ? DATABASE_SECRET_KEYS.password : DATABASE_SECRET_KEYS.rootPassword;
    new k8s.KubeJob(this, 'job', {
      metadata: metadataFor(model, databaseUpgradeJobName(model, kind), { component: `${names.component}-upgrade`, overrides }),
      spec: {
        // A failed copy leaves the new volume empty (below) and is retried; the old one is never written.
        backoffLimit: 5,
        template: {
          metadata: podTemplateMetadata(selectorLabels(model, `${names.component}-upgrade`), overrides),
          spec: {
            restartPolicy: 'Never',
            automountServiceAccountToken: false,
            securityContext: security,
            containers: [
              {
                name: 'postgres-upgrade',
                image: current,
                // run-postgresql initializes the new data directory from the remote server, then
                // `--version` makes the server exit at once: the Job completes. A failure empties the
                // new volume, so the next attempt starts clean.
                command: ['/bin/sh', '-c', 'run-postgresql --version || (rm -rf /var/lib/pgsql/data/* && exit 1)'],
                env: [
                  ...env,
                  { name: 'POSTGRESQL_MIGRATION_REMOTE_HOST', value: oldName },
                  { name: 'POSTGRESQL_MIGRATION_ADMIN_PASSWORD', valueFrom: { secretKeyRef: { name: secret, key: adminPasswordKey } } },
                ],
                securityContext: restrictedSecurityContext(),
                volumeMounts: target.volumeMounts,
              },
            ],
            volumes: target.volumes,
          },
        },
      },
    });
  }
}
