// The registry+v1 OLM bundle (`quay-operator bundle`), from the sources `quay-operator manifests`
// renders: the same Deployment spec, the same RBAC rules, the same CRD and images. One construct
// per kind: the ClusterServiceVersion, the CRD, the Service config editors commit to.
import { ApiObject, Chart } from 'cdk8s';
import * as k8s from 'cdk8s-plus-27/lib/imports/k8s';
import { Construct } from 'constructs';
import { quayRegistryCrd } from '../lib/api/crd';
import { GROUP, KIND, PLURAL, VERSION } from '../lib/api/types';
import { OWNED_KINDS, typeOf } from '../lib/controller/resources';
import { OPERATOR_SERVICE } from '../lib/editor';
import { IMAGE_ENV, Images } from '../lib/images';
import { specDescriptors, statusDescriptors } from '../lib/olm/descriptors';
import { ICON } from '../lib/olm/icon';
import { MIN_KUBE_VERSION, bundleVersion, csvName } from '../lib/olm/package';
import { csvReplaces, skipRange } from '../lib/olm/upgrade-graph';
import { OPERATOR_LABELS, OPERATOR_NAME, clusterRules, leaderElectionRules, namespacedRules, operatorDeploymentSpec, operatorServiceSpec } from './operator-install';

type Obj = Record<string, any>;

export interface OlmBundleProps {
  readonly quayVersion: string;
  readonly operatorImage: string;
  readonly images: Images;
  /** Released bundle versions (lib/olm/releases.json): spec.replaces names the previous patch among them. */
  readonly releases: readonly string[];
  /** alm-examples (lib/olm/examples.ts). */
  readonly examples: readonly Obj[];
}

/** Install modes: one namespace (`run --namespace`, WATCH_NAMESPACE) or all; not a list of several. */
export const INSTALL_MODES = [
  { type: 'OwnNamespace', supported: true },
  { type: 'SingleNamespace', supported: true },
  { type: 'MultiNamespace', supported: false },
  { type: 'AllNamespaces', supported: true },
] as const;

const BUILTIN_GROUPS = new Set(['', 'apps', 'batch', 'autoscaling', 'rbac.authorization.k8s.io', 'networking.k8s.io', 'route.openshift.io']);

/** The images the operator deploys, by RELATED_IMAGE_* name; an empty override (the previous PostgreSQL) is none. */
export function relatedImages(operatorImage: string, images: Images): { name: string; image: string }[] {
  return [
    { name: OPERATOR_NAME, image: operatorImage },
    ...(Object.keys(IMAGE_ENV) as (keyof Images)[]).filter((k) => images[k] !== '').map((k) => ({ name: IMAGE_ENV[k].replace(/^RELATED_IMAGE_/, '').toLowerCase(), image: images[k] })),
  ];
}

const DESCRIPTION = `The Quay Operator deploys and runs [Project Quay](https://projectquay.io) container registries.

One \`QuayRegistry\` declares a whole registry: Quay and its dependencies as components (PostgreSQL,
Clair, Redis, object storage, the route, TLS, mirroring, autoscaling, monitoring), each managed by the
operator or supplied by you, and a config bundle Secret holding Quay's \`config.yaml\` and certificates.
An empty spec deploys everything managed.

The operator upgrades registries along the supported Quay upgrade paths (database migrations first),
and PostgreSQL between majors. It watches one namespace (OwnNamespace, SingleNamespace) or all of them
(AllNamespaces); managed monitoring needs AllNamespaces.`;

export class ClusterServiceVersion extends ApiObject {
  constructor(scope: Construct, id: string, props: OlmBundleProps) {
    const version = bundleVersion(props.quayVersion);
    const replaces = csvReplaces(version, props.releases);
    const related = relatedImages(props.operatorImage, props.images);
    const deployment = k8s.KubeDeployment.manifest({
      spec: operatorDeploymentSpec({ image: props.operatorImage, images: props.images, quayVersion: props.quayVersion, watchNamespaceFromOlm: true }),
    }).spec;
    super(scope, id, {
      apiVersion: 'operators.coreos.com/v1alpha1',
      kind: 'ClusterServiceVersion',
      metadata: {
        name: csvName(version),
        labels: { 'operatorframework.io/arch.amd64': 'supported', 'operatorframework.io/arch.arm64': 'supported', 'operatorframework.io/os.linux': 'supported' },
        annotations: {
          'alm-examples': JSON.stringify(props.examples, null, 2),
          capabilities: 'Seamless Upgrades',
          categories: 'Integration & Delivery',
          containerImage: props.operatorImage,
          description: 'Deploys and manages Project Quay container registries and their dependencies.',
          'olm.skipRange': skipRange(version),
          'quay-version': props.quayVersion,
          support: 'Project Quay',
          // Disconnected installs mirror relatedImages: true only when every image is pinned by digest.
          'features.operators.openshift.io/disconnected': String(related.every((r) => r.image.includes('@sha256:'))),
          'features.operators.openshift.io/proxy-aware': 'true',
          'features.operators.openshift.io/fips-compliant': 'false',
          'features.operators.openshift.io/tls-profiles': 'false',
          'features.operators.openshift.io/token-auth-aws': 'false',
          'features.operators.openshift.io/token-auth-azure': 'false',
          'features.operators.openshift.io/token-auth-gcp': 'false',
        },
      },
      spec: {
        displayName: 'Quay Operator (TypeScript)',
        description: DESCRIPTION,
        icon: [ICON],
        version,
        ...(replaces ? { replaces } : {}),
        // package.json is 0.x: this operator is new, whatever Quay's maturity.
        maturity: 'alpha',
        provider: { name: 'Project Quay', url: 'https://projectquay.io' },
        links: [
          { name: 'Project Quay', url: 'https://projectquay.io' },
          { name: 'Documentation', url: 'https://docs.projectquay.io' },
          { name: 'Quay', url: 'https://github.com/quay/quay' },
        ],
        keywords: ['quay', 'registry', 'container registry', 'oci', 'clair', 'vulnerability scanning'],
        minKubeVersion: MIN_KUBE_VERSION,
        installModes: INSTALL_MODES.map((m) => ({ ...m })),
        customresourcedefinitions: {
          owned: [
            {
              name: `${PLURAL}.${GROUP}`,
              version: VERSION,
              kind: KIND,
              displayName: 'Quay Registry',
              description: 'A Project Quay container registry and its dependencies.',
              resources: OWNED_KINDS.map((kind) => {
                const apiVersion = typeOf(kind).apiVersion;
                const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
                return { kind, name: BUILTIN_GROUPS.has(group) ? '' : typeOf(kind).plural, version: apiVersion.split('/').pop() };
              }),
              specDescriptors: specDescriptors(),
              statusDescriptors: statusDescriptors(),
            },
          ],
        },
        relatedImages: related,
        install: {
          strategy: 'deployment',
          spec: {
            deployments: [{ name: OPERATOR_NAME, label: { ...OPERATOR_LABELS }, spec: deployment }],
            // OLM grants `permissions` in the operator's namespace and the watched one(s) (Roles), or
            // cluster-wide for AllNamespaces; `clusterPermissions` always cluster-wide. Same rules as `manifests`.
            permissions: [{ serviceAccountName: OPERATOR_NAME, rules: [...namespacedRules(), ...leaderElectionRules()] }],
            clusterPermissions: [{ serviceAccountName: OPERATOR_NAME, rules: clusterRules(true) }],
          },
        },
      },
    });
  }
}

/** The bundle's manifests/: the CSV, the CRD, the Service (OLM puts it in the install namespace). */
export class OlmBundle extends Chart {
  readonly csv: ClusterServiceVersion;

  constructor(scope: Construct, id: string, props: OlmBundleProps) {
    super(scope, id, { disableResourceNameHashes: true });
    this.csv = new ClusterServiceVersion(this, 'csv', props);
    new ApiObject(this, 'crd', quayRegistryCrd() as never);
    new k8s.KubeService(this, 'service', { metadata: { name: OPERATOR_SERVICE, labels: { ...OPERATOR_LABELS } }, spec: operatorServiceSpec() });
  }
}
