// The QuayRegistry API (quay.redhat.com/v1) as TypeScript types.
// The CRD schema in ./schema.ts describes the same shape for the API server.
import type { Backup, BackupStatus, RestoreStatus } from './backup';
import type { ClairImportStatus, ClairSettings } from './clair-disconnected';
import type { Exposure } from './exposure';
import type { Migrations } from './geo-replication';

export const GROUP = 'quay.redhat.com';
export const VERSION = 'v1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'QuayRegistry';
export const PLURAL = 'quayregistries';

/** Every component kind, in the order upstream appends defaults (and the seeds list them). */
export const COMPONENT_KINDS = [
  'quay',
  'postgres',
  'clair',
  'redis',
  'horizontalpodautoscaler',
  'objectstorage',
  'route',
  'mirror',
  'monitoring',
  'tls',
  'clairpostgres',
] as const;
export type ComponentKind = (typeof COMPONENT_KINDS)[number];

export function isComponentKind(value: unknown): value is ComponentKind {
  return typeof value === 'string' && (COMPONENT_KINDS as readonly string[]).includes(value);
}

export const OVERRIDE_KINDS = [
  'env',
  'replicas',
  'volumeSize',
  'resources',
  'affinity',
  'tolerations',
  'nodeSelector',
  'labels',
  'annotations',
  'storageClassName',
  'securityContext',
] as const;
export type OverrideKind = (typeof OVERRIDE_KINDS)[number];

export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: Record<string, unknown>;
}

export interface ResourceRequirements {
  readonly requests?: Record<string, string | number>;
  readonly limits?: Record<string, string | number>;
}

export interface Toleration {
  readonly key?: string;
  readonly operator?: 'Exists' | 'Equal';
  readonly value?: string;
  readonly effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  readonly tolerationSeconds?: number;
}

/** The pod-level securityContext fields a component's pods may take (restricted Pod Security holds with any of them). */
export interface PodSecurityOverride {
  readonly runAsUser?: number;
  readonly runAsGroup?: number;
  readonly fsGroup?: number;
  readonly supplementalGroups?: number[];
  readonly fsGroupChangePolicy?: 'OnRootMismatch' | 'Always';
}

export interface Overrides {
  readonly env?: EnvVar[];
  /** null or absent: the operator (or an HPA) decides. 0 scales the component down. */
  readonly replicas?: number | null;
  readonly volumeSize?: string;
  readonly resources?: ResourceRequirements;
  readonly affinity?: Record<string, unknown>;
  readonly tolerations?: Toleration[];
  readonly nodeSelector?: Record<string, string>;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
  /** The StorageClass of the component's volumes (new claims: the API server keeps a claim's class). */
  readonly storageClassName?: string;
  readonly securityContext?: PodSecurityOverride;
}

export interface Component {
  readonly kind: ComponentKind;
  readonly managed: boolean;
  readonly overrides?: Overrides;
}

export interface QuayRegistrySpec {
  readonly configBundleSecret?: string;
  /** A kubernetes.io/tls Secret (tls.crt, tls.key) Quay serves, e.g. cert-manager's: instead of ssl.cert/ssl.key in the bundle. */
  readonly tlsSecret?: string;
  readonly components?: Component[];
  /** How a managed route exposes Quay: Route, Ingress or Gateway API (./exposure.ts). */
  readonly exposure?: Exposure;
  /** The first user, created through Quay's API once Quay is Available: a Secret with username, password and email. */
  readonly initialUser?: { readonly secretName: string };
  /** Whether deleting the registry deletes its database volumes and keys (Delete, the default) or keeps them (Retain). */
  readonly persistentVolumeClaimRetentionPolicy?: { readonly whenDeleted?: RetentionPolicy };
  /** NetworkPolicies admitting only the registry's own clients to its managed databases, Redis and Clair (on unless enabled: false). */
  readonly networkPolicies?: { readonly enabled?: boolean };
  /** Scheduled pg_dump backups of the managed databases (./backup.ts). */
  readonly backup?: Backup;
  /** Whether this registry migrates Quay's database, or (geo-replication) waits for the site that does (./geo-replication.ts). */
  readonly migrations?: Migrations;
  /** Settings of the managed Clair: disconnected (./clair-disconnected.ts). */
  readonly clair?: ClairSettings;
}

export const RETENTION_POLICIES = ['Delete', 'Retain'] as const;
export type RetentionPolicy = (typeof RETENTION_POLICIES)[number];

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  readonly type: string;
  readonly status: ConditionStatus;
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime?: string;
  readonly lastUpdateTime?: string;
  readonly observedGeneration?: number;
}

export interface QuayRegistryStatus {
  readonly conditions?: Condition[];
  readonly currentVersion?: string;
  readonly registryEndpoint?: string;
  readonly configEditorEndpoint?: string;
  readonly configEditorCredentialsSecret?: string;
  readonly lastUpdated?: string;
  /** Failing Deployment conditions, keyed by component kind (seeds: "unhealthyComponents"). */
  readonly unhealthyComponents?: Record<string, Condition[]>;
  readonly observedGeneration?: number;
  /** The components as the operator resolved them (defaults included): never written to spec. */
  readonly components?: { kind: ComponentKind; managed: boolean }[];
  /** The last backup of each database spec.backup names. */
  readonly backups?: BackupStatus[];
  /** The last restore asked for (quay-operator/restore annotation). */
  readonly restore?: RestoreStatus;
  /** The last updaters bundle import (quay-operator/clair-import-updaters annotation). */
  readonly clairUpdatersImport?: ClairImportStatus;
}

export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly generation?: number;
  readonly resourceVersion?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
  readonly deletionTimestamp?: string;
}

export interface QuayRegistry {
  readonly apiVersion: typeof API_VERSION;
  readonly kind: typeof KIND;
  readonly metadata: ObjectMeta;
  readonly spec: QuayRegistrySpec;
  readonly status?: QuayRegistryStatus;
}

/** Labels every rendered object carries; users' scripts select on them (seeds). */
export const LABEL_REGISTRY = 'quay-operator/quayregistry';
export const LABEL_COMPONENT = 'quay-component';
