// Synthesis: a RegistryModel in, Kubernetes objects out. Pure: the same model gives the same
// objects, in the same order, every time. Used by the CLI, `cdk8s synth`, tests and the controller.
import { App } from 'cdk8s';
import * as yaml from 'js-yaml';
import { clairDatabaseCredentials } from '../constructs/clair-postgres';
import { PostgresUpgrade, UpgradedDatabase } from '../constructs/postgres-upgrade';
import { Credentials } from '../constructs/credentials';
import { backupStorageSecrets } from '../constructs/backup-object-storage';
import { clairConfigForClairctl } from './config/clair-config';
import { RegistryChart } from '../constructs/registry-chart';
import type { RegistryModel } from './model';

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    ownerReferences?: OwnerReference[];
    finalizers?: string[];
    deletionTimestamp?: string;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

export interface Rendered {
  readonly objects: KubeObject[];
}

/** Apply order: what others mount or select first, workloads after, things that point at them last. */
export const KIND_ORDER = [
  'CustomResourceDefinition',
  'Namespace',
  'ServiceAccount',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
  // Before the pods they admit clients to: a database never runs unprotected.
  'NetworkPolicy',
  'Secret',
  'ConfigMap',
  'PersistentVolumeClaim',
  'ObjectBucketClaim',
  'Service',
  'Deployment',
  'Job',
  'CronJob',
  'HorizontalPodAutoscaler',
  'Route',
  'Certificate',
  'Ingress',
  'HTTPRoute',
  'TLSRoute',
  'ServiceMonitor',
  'PrometheusRule',
];

export function kindRank(kind: string): number {
  const i = KIND_ORDER.indexOf(kind);
  return i < 0 ? KIND_ORDER.length : i;
}

export function sortObjects<T extends KubeObject>(objects: T[]): T[] {
  return objects.sort(
    (a, b) =>
      kindRank(a.kind) - kindRank(b.kind) ||
      a.kind.localeCompare(b.kind) ||
      (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') ||
      a.metadata.name.localeCompare(b.metadata.name),
  );
}

export function renderRegistry(model: RegistryModel): Rendered {
  const app = new App();
  const chart = new RegistryChart(app, model.name, { model });
  const objects = sortObjects(chart.toJson() as KubeObject[]);
  return { objects };
}

/**
 * The Secrets holding generated values (the managed keys and the credentials derived from them):
 * what `quay-operator keys` prints and the controller applies besides the render.
 */
export function renderCredentials(model: RegistryModel): KubeObject[] {
  const chart = new Credentials(new App(), `${model.name}-credentials`, {
    name: model.name,
    namespace: model.namespace,
    keys: model.keys,
    postgres: model.components.postgres.managed,
    clairpostgres: model.components.clairpostgres.managed,
    clair: model.components.clair.managed,
    ...(model.components.clair.managed
      ? { clairConfigYaml: yaml.dump(clairConfigForClairctl(model, clairDatabaseCredentials(model.keys)), { sortKeys: true, lineWidth: -1, noRefs: true }) }
      : {}),
  });
  // And spec.backup's unmanaged bucket location (constructs/backup-object-storage.ts), from config.yaml.
  return sortObjects([...(chart.toJson() as KubeObject[]), ...backupStorageSecrets(model)]);
}

/** The objects of a managed database's major upgrade (constructs/postgres-upgrade.ts), for the controller. */
export function renderPostgresUpgrade(model: RegistryModel, kind: UpgradedDatabase, oldClaim: string, oldImage: string): KubeObject[] {
  const chart = new PostgresUpgrade(new App(), `${model.name}-${kind}-upgrade`, { model, kind, oldClaim, oldImage });
  return sortObjects(chart.toJson() as KubeObject[]);
}
