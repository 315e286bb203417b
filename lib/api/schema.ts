// The one source of truth for the QuayRegistry CRD schema. The CRD (./crd.ts), the committed
// deploy/crd.yaml and the in-code validation (./validate.ts) all derive from these definitions.
import { backupSchema, backupStatusSchema, restoreStatusSchema } from './backup';
import { clairImportStatusSchema, clairSchema } from './clair-disconnected';
import { exposureSchema } from './exposure';
import { migrationsSchema } from './geo-replication';
import { COMPONENT_KINDS, RETENTION_POLICIES } from './types';

export type JSONSchema = {
  type?: string;
  description?: string;
  properties?: Record<string, JSONSchema>;
  items?: JSONSchema;
  required?: string[];
  enum?: string[];
  additionalProperties?: JSONSchema;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  maxItems?: number;
  maxProperties?: number;
  format?: string;
  nullable?: boolean;
  anyOf?: JSONSchema[];
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: string;
  'x-kubernetes-validations'?: { rule: string; message: string }[];
};

/** CEL rules and the messages the code reports for the same violations. */
export const RULE_MESSAGES = {
  quayUnmanaged: 'component `quay` cannot be unmanaged',
  overridesOnUnmanaged: 'cannot set overrides on unmanaged component',
  duplicateKinds: 'each component kind may be listed only once',
} as const;

// Kubernetes resource.Quantity, as the API server's own schemas spell it.
export const QUANTITY_PATTERN =
  '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';

const quantity: JSONSchema = {
  'x-kubernetes-int-or-string': true,
  anyOf: [{ type: 'integer' }, { type: 'string' }],
  pattern: QUANTITY_PATTERN,
};

const stringMap = (description: string): JSONSchema => ({
  type: 'object',
  description,
  additionalProperties: { type: 'string', maxLength: 63 * 1024 },
  maxProperties: 64,
});

const condition: JSONSchema = {
  type: 'object',
  required: ['type', 'status'],
  properties: {
    type: { type: 'string', description: 'Type of the condition, e.g. Available, RolloutBlocked, ComponentQuayReady.' },
    status: { type: 'string', enum: ['True', 'False', 'Unknown'], description: 'Status of the condition.' },
    reason: { type: 'string', description: "A machine-readable CamelCase reason for the condition's last transition." },
    message: { type: 'string', description: 'A human-readable explanation.' },
    lastTransitionTime: { type: 'string', format: 'date-time', description: 'When the status last changed.' },
    lastUpdateTime: { type: 'string', format: 'date-time', description: 'When the condition was last written.' },
    observedGeneration: { type: 'integer', format: 'int64', description: 'The .metadata.generation the condition was computed from.' },
  },
};

export const overridesSchema: JSONSchema = {
  type: 'object',
  description:
    'Changes to the objects the operator renders for this component. Each component accepts only the overrides that make sense for it (see the README); only managed components take overrides.',
  properties: {
    env: {
      type: 'array',
      description: 'Environment variables added to (or replacing those of) every container of the component, e.g. HTTP_PROXY, NO_PROXY, DEBUGLOG, QUAY_DISTRIBUTED_STORAGE_PREFERENCE.',
      maxItems: 128,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
      items: {
        type: 'object',
        required: ['name'],
        properties: {
          name: { type: 'string', description: 'Name of the environment variable.', maxLength: 256 },
          value: { type: 'string', description: 'Value of the environment variable.' },
          valueFrom: {
            type: 'object',
            description: 'Source for the value (secretKeyRef, configMapKeyRef, fieldRef, resourceFieldRef), as in a Pod spec.',
            'x-kubernetes-preserve-unknown-fields': true,
          },
        },
      },
    },
    replicas: {
      type: 'integer',
      format: 'int32',
      minimum: 0,
      nullable: true,
      description:
        'Number of pods. 0 scales the component down (as the seeds\' backup procedure does). Other values need the horizontalpodautoscaler component unmanaged. null or absent lets the operator or the HPA decide.',
    },
    volumeSize: {
      ...quantity,
      description: 'Size of the component\'s volume: the database PVC for postgres and clairpostgres (default 50Gi; PVCs can grow, never shrink), the /var/tmp layer volume for clair (default 20Gi).',
    },
    resources: {
      type: 'object',
      description: 'Compute resource requests and limits for the component\'s main container.',
      properties: {
        requests: { type: 'object', description: 'Minimum resources, e.g. cpu: 2000m, memory: 8Gi.', additionalProperties: quantity },
        limits: { type: 'object', description: 'Maximum resources.', additionalProperties: quantity },
      },
    },
    affinity: {
      type: 'object',
      description: 'Pod affinity rules, as in a Pod spec (nodeAffinity, podAffinity, podAntiAffinity). Replaces the operator\'s default anti-affinity.',
      'x-kubernetes-preserve-unknown-fields': true,
    },
    tolerations: {
      type: 'array',
      description: 'Tolerations for the component\'s pods, e.g. to run on tainted infrastructure nodes.',
      maxItems: 32,
      items: {
        type: 'object',
        properties: {
          key: { type: 'string', description: 'Taint key the toleration applies to.' },
          operator: { type: 'string', enum: ['Exists', 'Equal'], description: 'Exists or Equal (default).' },
          value: { type: 'string', description: 'Taint value the toleration matches.' },
          effect: { type: 'string', enum: ['NoSchedule', 'PreferNoSchedule', 'NoExecute'], description: 'Taint effect to match; empty matches all.' },
          tolerationSeconds: { type: 'integer', format: 'int64', description: 'How long a NoExecute taint is tolerated.' },
        },
      },
    },
    nodeSelector: stringMap('Node labels the component\'s pods must run on, e.g. node-role.kubernetes.io/infra: "".'),
    storageClassName: {
      type: 'string',
      maxLength: 253,
      pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
      description:
        'StorageClass of the component\'s volumes: the database claim (postgres, clairpostgres), the layer volume (clair), the bucket claim (objectstorage, default openshift-storage.noobaa.io). A claim keeps the class it was created with.',
    },
    securityContext: {
      type: 'object',
      description: 'User and group ids for the component\'s pods (e.g. a namespace\'s assigned range, or the fsGroup some storage needs). Pods stay restricted: non-root, seccomp RuntimeDefault, no capabilities.',
      properties: {
        runAsUser: { type: 'integer', format: 'int64', minimum: 1, maximum: 2147483647, description: 'User id the containers run as (never 0).' },
        runAsGroup: { type: 'integer', format: 'int64', minimum: 0, maximum: 2147483647, description: 'Primary group id of the containers.' },
        fsGroup: { type: 'integer', format: 'int64', minimum: 0, maximum: 2147483647, description: 'Group that owns the pod\'s volumes.' },
        supplementalGroups: { type: 'array', maxItems: 32, items: { type: 'integer', format: 'int64', minimum: 0, maximum: 2147483647 }, description: 'Extra group ids of the containers.' },
        fsGroupChangePolicy: { type: 'string', enum: ['OnRootMismatch', 'Always'], description: 'When volume ownership is changed to fsGroup.' },
      },
    },
    labels: stringMap('Labels added to the component\'s objects and pod templates. quay-component, app and quay-operator/quayregistry are reserved.'),
    annotations: stringMap('Annotations added to the component\'s objects and pod templates.'),
  },
};

export const componentSchema: JSONSchema = {
  type: 'object',
  description: 'A dependency of the registry and whether the operator manages it.',
  required: ['kind', 'managed'],
  properties: {
    kind: {
      type: 'string',
      maxLength: 32,
      enum: [...COMPONENT_KINDS],
      description:
        'The component: quay, postgres, clair, clairpostgres, redis, horizontalpodautoscaler, objectstorage, route, mirror, monitoring or tls.',
    },
    managed: {
      type: 'boolean',
      description: 'true: the operator deploys and configures the component. false: you supply it and its configuration in the config bundle.',
    },
    overrides: overridesSchema,
  },
  'x-kubernetes-validations': [
    { rule: "self.kind != 'quay' || self.managed", message: RULE_MESSAGES.quayUnmanaged },
    { rule: 'self.managed || !has(self.overrides)', message: RULE_MESSAGES.overridesOnUnmanaged },
  ],
};

export const specSchema: JSONSchema = {
  type: 'object',
  description: 'The desired registry. Every field is optional: an empty spec deploys Quay with every component the platform supports managed.',
  properties: {
    configBundleSecret: {
      type: 'string',
      maxLength: 253,
      description:
        'Name of a Secret in the same namespace holding config.yaml (Quay\'s configuration) and optionally ssl.cert, ssl.key, extra_ca_cert_*, clair-config.yaml, clair-ssl.crt and clair-ssl.key. Its config is the base that managed components\' settings are merged over.',
    },
    tlsSecret: {
      type: 'string',
      maxLength: 253,
      description:
        'Name of a kubernetes.io/tls Secret in the same namespace (tls.crt, tls.key), e.g. one cert-manager issues and renews: the certificate Quay serves, instead of ssl.cert and ssl.key in the config bundle. Implies the tls component unmanaged; a renewal rolls Quay.',
    },
    components: {
      type: 'array',
      description: 'Components and whether they are managed. Kinds not listed are managed when the platform supports them.',
      maxItems: COMPONENT_KINDS.length,
      items: componentSchema,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['kind'],
      'x-kubernetes-validations': [
        { rule: 'self.all(c, self.filter(d, d.kind == c.kind).size() == 1)', message: RULE_MESSAGES.duplicateKinds },
      ],
    },
    exposure: exposureSchema,
    backup: backupSchema,
    migrations: migrationsSchema,
    clair: clairSchema,
    initialUser: {
      type: 'object',
      required: ['secretName'],
      description:
        'The first user (the seeds\' /api/v1/user/initialize step), created by the operator once, when Quay is first Available: secretName names a Secret in the namespace with username, password and email. The OAuth access token Quay returns is stored in Secret <name>-quay-initial-user-token; the outcome is the InitialUserCreated condition. Sets FEATURE_USER_INITIALIZE: true.',
      properties: {
        secretName: { type: 'string', maxLength: 253, description: 'The Secret with username, password and email.' },
      },
    },
    networkPolicies: {
      type: 'object',
      description:
        'NetworkPolicies isolating the managed backends, selecting pods by their quay-component label: the databases accept only Quay, mirror and the migration Job (Quay\'s) or Clair (Clair\'s), and the backup and restore Jobs; Redis only Quay and mirror; Clair only Quay. Quay itself and the config editor stay open. enabled: false renders none (and removes those applied); NetworkPolicies add up, so a policy of yours can admit more clients instead. On by default: where the network plugin does not enforce NetworkPolicies they change nothing.',
      properties: {
        enabled: { type: 'boolean', description: 'Whether the operator renders the NetworkPolicies (default true).' },
      },
    },
    persistentVolumeClaimRetentionPolicy: {
      type: 'object',
      description:
        'What deleting the registry does to its data. whenDeleted: Delete (the default, as the seeds: the database PersistentVolumeClaims go with the registry) or Retain (the database claims and the managed keys Secret carry no ownerReference and stay, so an accidental delete or a GitOps prune loses nothing; a registry created again with the same name uses them).',
      properties: {
        whenDeleted: { type: 'string', enum: [...RETENTION_POLICIES], description: 'Delete or Retain.' },
      },
    },
  },
};

export const statusSchema: JSONSchema = {
  type: 'object',
  description: 'What the operator observed and did. Written only by the operator.',
  properties: {
    conditions: {
      type: 'array',
      description: 'Available, RolloutBlocked, ComponentsCreated and one Component<Kind>Ready per component.',
      items: condition,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
    },
    currentVersion: { type: 'string', description: 'Quay version whose database migration has succeeded.' },
    registryEndpoint: { type: 'string', description: 'URL of the registry (UI, API and docker login).' },
    configEditorEndpoint: { type: 'string', description: 'URL of the Quay config editor.' },
    configEditorCredentialsSecret: { type: 'string', description: 'Secret holding the config editor username and password.' },
    lastUpdated: { type: 'string', description: 'When the operator last wrote this status.' },
    unhealthyComponents: {
      type: 'object',
      description: 'Failing Deployment conditions, keyed by component kind.',
      additionalProperties: { type: 'array', items: condition },
    },
    observedGeneration: { type: 'integer', format: 'int64', description: 'The .metadata.generation this status describes.' },
    backups: backupStatusSchema,
    restore: restoreStatusSchema,
    clairUpdatersImport: clairImportStatusSchema,
    initialUser: {
      type: 'object',
      description: 'The first-user call (spec.initialUser): against which version of the Secret, and its outcome.',
      properties: {
        secretName: { type: 'string', description: 'The Secret the call used.' },
        secretResourceVersion: { type: 'string', description: 'Its resourceVersion: a refusal is retried only once it changes.' },
        outcome: { type: 'string', enum: ['Created', 'Refused', 'Unreachable', 'SecretInvalid'], description: 'What happened.' },
        username: { type: 'string', description: 'The user created.' },
        tokenSecret: { type: 'string', description: 'The Secret holding its access token.' },
      },
    },
    components: {
      type: 'array',
      description: 'Every component as the operator resolved it, defaults included. The spec is never rewritten.',
      items: {
        type: 'object',
        required: ['kind', 'managed'],
        properties: {
          kind: { type: 'string', description: 'Component kind.' },
          managed: { type: 'boolean', description: 'Whether the operator manages it.' },
        },
      },
    },
  },
};

export const quayRegistrySchema: JSONSchema = {
  type: 'object',
  description: 'A Project Quay container registry and its dependencies, deployed and kept running by the Quay operator.',
  properties: {
    apiVersion: { type: 'string', description: 'quay.redhat.com/v1' },
    kind: { type: 'string', description: 'QuayRegistry' },
    metadata: { type: 'object' },
    spec: specSchema,
    status: statusSchema,
  },
};
