// The operator's own install manifests: the CRD, its ServiceAccount, least-privilege RBAC and its
// Deployment, synthesized with cdk8s like everything else (`quay-operator manifests`).
import { ApiObject, Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { quayRegistryCrd } from '../lib/api/crd';
import { OPERATOR_SERVICE, RECONFIGURE_PORT } from '../lib/editor';
import { DEFAULT_IMAGES, DEFAULT_QUAY_VERSION, IMAGE_ENV, Images } from '../lib/images';
import { restrictedSecurityContext } from './shared/pod';

export const OPERATOR_NAME = 'quay-operator';

/** The image `manifests` and the OLM bundle deploy (the Containerfile builds it; its tag is package.json's version). */
export const DEFAULT_OPERATOR_IMAGE = 'quay.io/projectquay/quay-operator-ts:v0.1.0';

/** On every object of the install; the Deployment's selector and the Service's. */
export const OPERATOR_LABELS: Readonly<Record<string, string>> = { 'app.kubernetes.io/name': OPERATOR_NAME };

export interface OperatorInstallProps {
  /** Where the operator runs. */
  readonly namespace: string;
  /** The one namespace it watches; all namespaces when undefined. */
  readonly watchNamespace?: string;
  readonly image: string;
  readonly replicas?: number;
  readonly images?: Images;
  readonly quayVersion?: string;
}

const RW = ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'];
const READ = ['get', 'list', 'watch'];

/** What the operator needs on the namespaces it manages. */
export function namespacedRules(): k8s.PolicyRule[] {
  return [
    { apiGroups: ['quay.redhat.com'], resources: ['quayregistries'], verbs: ['get', 'list', 'watch', 'patch', 'update'] },
    { apiGroups: ['quay.redhat.com'], resources: ['quayregistries/status'], verbs: ['get', 'patch', 'update'] },
    // blockOwnerDeletion on owned objects needs update on the owner's finalizers (OpenShift enforces it).
    { apiGroups: ['quay.redhat.com'], resources: ['quayregistries/finalizers'], verbs: ['update'] },
    { apiGroups: [''], resources: ['secrets', 'configmaps', 'services', 'serviceaccounts', 'persistentvolumeclaims'], verbs: RW },
    { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
    // Granted onward by the monitoring Role (Kubernetes refuses to let a Role grant more than its creator holds).
    { apiGroups: [''], resources: ['pods', 'endpoints'], verbs: READ },
    { apiGroups: ['apps'], resources: ['deployments'], verbs: RW },
    { apiGroups: ['batch'], resources: ['jobs'], verbs: RW },
    { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: RW },
    { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings'], verbs: RW },
    { apiGroups: ['route.openshift.io'], resources: ['routes'], verbs: RW },
    { apiGroups: ['route.openshift.io'], resources: ['routes/custom-host'], verbs: ['create', 'update', 'patch'] },
    // spec.exposure on clusters without Routes.
    { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs: RW },
    { apiGroups: ['gateway.networking.k8s.io'], resources: ['httproutes', 'tlsroutes'], verbs: RW },
    { apiGroups: ['cert-manager.io'], resources: ['certificates'], verbs: RW },
    { apiGroups: ['objectbucket.io'], resources: ['objectbucketclaims'], verbs: RW },
    { apiGroups: ['monitoring.coreos.com'], resources: ['servicemonitors', 'prometheusrules'], verbs: RW },
  ];
}

/**
 * Cluster-scoped rules: the apps domain (discovery) and, watching all namespaces, the
 * openshift.io/cluster-monitoring label on registries' namespaces (managed monitoring), a
 * server-side apply of that one label (RBAC cannot narrow a patch to a label). Monitoring is
 * managed only when watching all namespaces (upstream's rule), so one watched namespace needs none.
 */
export function clusterRules(allNamespaces: boolean): k8s.PolicyRule[] {
  return [
    { apiGroups: ['config.openshift.io'], resources: ['ingresses'], verbs: ['get'] },
    ...(allNamespaces ? [{ apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'patch'] }] : []),
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
              { name: 'QUAY_VERSION', value: options.quayVersion ?? DEFAULT_QUAY_VERSION },
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
              limits: { memory: k8s.Quantity.fromString('512Mi') },
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
    new k8s.KubeClusterRole(this, 'cluster-role', { metadata: { name: OPERATOR_NAME, labels }, rules: clusterRoleRules });
    new k8s.KubeClusterRoleBinding(this, 'cluster-role-binding', {
      metadata: { name: OPERATOR_NAME, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: OPERATOR_NAME },
      subjects: [subject],
    });
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
      }),
    });
  }
}
