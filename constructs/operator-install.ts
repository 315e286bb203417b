// The operator's own install manifests: the CRD, its ServiceAccount, least-privilege RBAC and its
// Deployment, synthesized with cdk8s like everything else (`quay-operator manifests`).
import { ApiObject, Chart } from 'cdk8s';
import * as k8s from 'cdk8s-plus-27/lib/imports/k8s';
import { Construct } from 'constructs';
import { quayRegistryCrd } from '../lib/api/crd';
import { OPERATOR_SERVICE, RECONFIGURE_PORT } from '../lib/editor';
import { DEFAULT_IMAGES, DEFAULT_QUAY_VERSION, IMAGE_ENV, Images } from '../lib/images';
import { restrictedSecurityContext } from './shared/pod';

export const OPERATOR_NAME = 'quay-operator';

/** The image `manifests` and the OLM bundle deploy (the Containerfile builds it; its tag is package.json's version). */
export const DEFAULT_OPERATOR_IMAGE = 'quay.io/projectquay/quay-operator-ts:v0.1.0';

/**
 * Node's flags in the operator's container (NODE_OPTIONS), from `npm run bench` (README
 * "Benchmark"): an old space for about 2000 registries (~100 KiB live each), and a young
 * generation of 2 MiB semi-spaces (V8 grows them to 16 MiB, resident for good: 1000 registries
 * then peak at 263 MiB rather than 244).
 */
export const OPERATOR_NODE_FLAGS = ['--max-old-space-size=256', '--max-semi-space-size=2'];
/** glibc's malloc arenas (MALLOC_ARENA_MAX): 2, not 8 per core for V8's helper threads; 4 MiB less at rest (bench). */
export const OPERATOR_MALLOC_ARENAS = '2';
/** The container's memory limit: that old space, plus what Node holds outside it (code, young generation, malloc). */
export const OPERATOR_MEMORY_LIMIT = '384Mi';

/** On every object of the install; the Deployment's selector and the Service's. */
export const OPERATOR_LABELS: Readonly<Record<string, string>> = { 'app.kubernetes.io/name': OPERATOR_NAME };

export interface OperatorInstallProps {
  /** Where the operator runs. */
  readonly namespace: string;
  /** The one namespace it watches; all namespaces when undefined. */
  readonly watchNamespace?: string;
  /** QUAY_APPS_DOMAIN: the apps domain where the operator cannot read OpenShift's (one watched namespace). */
  readonly appsDomain?: string;
  readonly image: string;
  readonly replicas?: number;
  readonly images?: Images;
  readonly quayVersion?: string;
}

/**
 * What the operator does with every kind it renders: informers (list, watch), server-side apply
 * (patch, and create where the object is absent) and pruning (delete). No `get` and no `update`
 * (PUT) unless said below: test/controller/least-privilege.test.ts derives these from the requests
 * the operator makes and fails on a verb granted and never used.
 */
const OWN = ['list', 'watch', 'create', 'patch', 'delete'];
const READ = ['get', 'list', 'watch'];

/** What the operator needs on the namespaces it manages. */
export function namespacedRules(): k8s.PolicyRule[] {
  return [
    // get: /reconfigure reads the registry it commits for; patch: the finalizer.
    { apiGroups: ['quay.redhat.com'], resources: ['quayregistries'], verbs: ['get', 'list', 'watch', 'patch'] },
    { apiGroups: ['quay.redhat.com'], resources: ['quayregistries/status'], verbs: ['patch'] },
    // blockOwnerDeletion on owned objects needs update on the owner's finalizers (OpenShift enforces it).
    { apiGroups: ['quay.redhat.com'], resources: ['quayregistries/finalizers'], verbs: ['update'] },
    // get: the Secrets a registry reads by name (bundle, TLS, keys, bucket), which the informer keeps
    // without data; update: /reconfigure replaces the bundle Secret at the resourceVersion it read.
    { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'update', ...OWN] },
    { apiGroups: [''], resources: ['configmaps'], verbs: ['get', ...OWN] },
    { apiGroups: [''], resources: ['serviceaccounts'], verbs: OWN },
    // Claims are never deleted, not even when their component is no longer managed.
    { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['list', 'watch', 'create', 'patch'] },
    { apiGroups: [''], resources: ['events'], verbs: ['create'] },
    // The monitoring Role grants get, list and watch on these onward (Kubernetes refuses to let a
    // Role grant more than its creator holds); pods are also listed before old config is pruned.
    { apiGroups: [''], resources: ['services'], verbs: ['get', ...OWN] },
    { apiGroups: [''], resources: ['pods', 'endpoints'], verbs: READ },
    // get: the live quay-app in full while an upgrade serves the previous version read-only.
    { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', ...OWN] },
    // Jobs: migrations, PostgreSQL upgrades, restores; CronJobs: spec.backup.
    { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: OWN },
    { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: OWN },
    { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings'], verbs: OWN },
    { apiGroups: ['route.openshift.io'], resources: ['routes'], verbs: OWN },
    // OpenShift's check of a Route's spec.host: create for a new Route, update for a changed host.
    { apiGroups: ['route.openshift.io'], resources: ['routes/custom-host'], verbs: ['create', 'update'] },
    // The managed backends' NetworkPolicies (spec.networkPolicies) and spec.exposure's Ingress.
    { apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'networkpolicies'], verbs: OWN },
    { apiGroups: ['gateway.networking.k8s.io'], resources: ['httproutes', 'tlsroutes'], verbs: OWN },
    { apiGroups: ['cert-manager.io'], resources: ['certificates'], verbs: OWN },
    { apiGroups: ['objectbucket.io'], resources: ['objectbucketclaims'], verbs: OWN },
    { apiGroups: ['monitoring.coreos.com'], resources: ['servicemonitors'], verbs: OWN },
    // get: granted onward by the Role that lets Prometheus read the rules.
    { apiGroups: ['monitoring.coreos.com'], resources: ['prometheusrules'], verbs: ['get', ...OWN] },
  ];
}

/**
 * Cluster-scoped rules, watching all namespaces: the apps domain (discovery) and the
 * openshift.io/cluster-monitoring label on registries' namespaces (managed monitoring), a
 * server-side apply of that one label (RBAC cannot narrow a patch to a label). One watched
 * namespace needs none: monitoring is managed only when watching all namespaces (upstream's rule),
 * and the apps domain then comes from QUAY_APPS_DOMAIN or the bundle's SERVER_HOSTNAME.
 */
export function clusterRules(allNamespaces: boolean): k8s.PolicyRule[] {
  if (!allNamespaces) return [];
  return [
    { apiGroups: ['config.openshift.io'], resources: ['ingresses'], verbs: ['get'] },
    { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'patch'] },
  ];
}

/** Leader election, in the operator's own namespace. */
export function leaderElectionRules(): k8s.PolicyRule[] {
  return [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] }];
}

export interface OperatorDeploymentOptions {
  readonly image: string;
  readonly replicas?: number;
  readonly images?: Images;
  readonly quayVersion?: string;
  /** `run --namespace`: the one namespace watched. */
  readonly watchNamespace?: string;
  /** QUAY_APPS_DOMAIN. */
  readonly appsDomain?: string;
  /** Under OLM: WATCH_NAMESPACE from the olm.targetNamespaces annotation OLM puts on the pod ('' = all). */
  readonly watchNamespaceFromOlm?: boolean;
}

/** The operator's Deployment spec: a Deployment in `manifests`, the CSV's install strategy in the OLM bundle. */
export function operatorDeploymentSpec(options: OperatorDeploymentOptions): k8s.DeploymentSpec {
  const labels = { ...OPERATOR_LABELS };
  const images = options.images ?? DEFAULT_IMAGES;
  const args = ['run', '--leader-elect', '--metrics-port', '8080', '--health-port', '8081', '--reconfigure-port', String(RECONFIGURE_PORT), ...(options.watchNamespace ? ['--namespace', options.watchNamespace] : [])];
  const olmEnv = options.watchNamespaceFromOlm ? [{ name: 'WATCH_NAMESPACE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: "metadata.annotations['olm.targetNamespaces']" } } }] : [];
  return {
    replicas: options.replicas ?? 1,
    selector: { matchLabels: labels },
    template: {
      metadata: { labels },
      spec: {
        serviceAccountName: OPERATOR_NAME,
        securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
        containers: [
          {
            name: OPERATOR_NAME,
            image: options.image,
            command: ['node', '/opt/quay-operator/build/lib/cli/bin.js'],
            args,
            env: [
              { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
              { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } },
              ...olmEnv,
              ...(options.appsDomain ? [{ name: 'QUAY_APPS_DOMAIN', value: options.appsDomain }] : []),
              { name: 'QUAY_VERSION', value: options.quayVersion ?? DEFAULT_QUAY_VERSION },
              { name: 'NODE_OPTIONS', value: OPERATOR_NODE_FLAGS.join(' ') },
              { name: 'MALLOC_ARENA_MAX', value: OPERATOR_MALLOC_ARENAS },
              ...(Object.keys(IMAGE_ENV) as (keyof Images)[]).map((k) => ({ name: IMAGE_ENV[k], value: images[k] })),
            ],
            ports: [
              { name: 'metrics', containerPort: 8080 },
              { name: 'health', containerPort: 8081 },
              { name: 'reconfigure', containerPort: RECONFIGURE_PORT },
            ],
            livenessProbe: { httpGet: { path: '/healthz', port: k8s.IntOrString.fromString('health') }, periodSeconds: 20 },
            readinessProbe: { httpGet: { path: '/readyz', port: k8s.IntOrString.fromString('health') }, periodSeconds: 10 },
            resources: {
              requests: { cpu: k8s.Quantity.fromString('100m'), memory: k8s.Quantity.fromString('128Mi') },
              limits: { memory: k8s.Quantity.fromString(OPERATOR_MEMORY_LIMIT) },
            },
            securityContext: { ...restrictedSecurityContext(), readOnlyRootFilesystem: true },
          },
        ],
        terminationGracePeriodSeconds: 60,
      },
    },
  };
}

/** Where config editors commit (POST /reconfigure, authenticated per registry): upstream's Service and port. */
export function operatorServiceSpec(): k8s.ServiceSpec {
  return {
    selector: { ...OPERATOR_LABELS },
    ports: [{ name: 'reconfigure', protocol: 'TCP', port: RECONFIGURE_PORT, targetPort: k8s.IntOrString.fromString('reconfigure') }],
  };
}

export class OperatorInstall extends Chart {
  constructor(scope: Construct, id: string, props: OperatorInstallProps) {
    super(scope, id, { disableResourceNameHashes: true });
    const labels = { ...OPERATOR_LABELS };
    const ns = props.namespace;
    new ApiObject(this, 'crd', quayRegistryCrd() as never);
    new k8s.KubeNamespace(this, 'namespace', { metadata: { name: ns, labels } });
    new k8s.KubeServiceAccount(this, 'sa', { metadata: { name: OPERATOR_NAME, namespace: ns, labels } });
    const subject = { kind: 'ServiceAccount', name: OPERATOR_NAME, namespace: ns };

    const clusterRoleRules = clusterRules(!props.watchNamespace);
    if (props.watchNamespace) {
      const scope = props.watchNamespace;
      new k8s.KubeRole(this, 'role', { metadata: { name: OPERATOR_NAME, namespace: scope, labels }, rules: namespacedRules() });
      new k8s.KubeRoleBinding(this, 'role-binding', {
        metadata: { name: OPERATOR_NAME, namespace: scope, labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: OPERATOR_NAME },
        subjects: [subject],
      });
    } else {
      clusterRoleRules.push(...namespacedRules());
    }
    // Watching one namespace: no ClusterRole at all.
    if (clusterRoleRules.length > 0) {
      new k8s.KubeClusterRole(this, 'cluster-role', { metadata: { name: OPERATOR_NAME, labels }, rules: clusterRoleRules });
      new k8s.KubeClusterRoleBinding(this, 'cluster-role-binding', {
        metadata: { name: OPERATOR_NAME, labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: OPERATOR_NAME },
        subjects: [subject],
      });
    }
    // Leader election, in the operator's own namespace.
    new k8s.KubeRole(this, 'lease-role', {
      metadata: { name: `${OPERATOR_NAME}-leader-election`, namespace: ns, labels },
      rules: leaderElectionRules(),
    });
    new k8s.KubeRoleBinding(this, 'lease-role-binding', {
      metadata: { name: `${OPERATOR_NAME}-leader-election`, namespace: ns, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${OPERATOR_NAME}-leader-election` },
      subjects: [subject],
    });

    new k8s.KubeService(this, 'service', { metadata: { name: OPERATOR_SERVICE, namespace: ns, labels }, spec: operatorServiceSpec() });
    new k8s.KubeDeployment(this, 'deployment', {
      metadata: { name: OPERATOR_NAME, namespace: ns, labels },
      spec: operatorDeploymentSpec({
        image: props.image,
        ...(props.replicas !== undefined ? { replicas: props.replicas } : {}),
        ...(props.images ? { images: props.images } : {}),
        ...(props.quayVersion ? { quayVersion: props.quayVersion } : {}),
        ...(props.watchNamespace ? { watchNamespace: props.watchNamespace } : {}),
        ...(props.appsDomain ? { appsDomain: props.appsDomain } : {}),
      }),
    });
  }
}
