// What every pod running the Quay image mounts (quay-app, mirror, the migration Job, the config
// editor). config.yaml is assembled at pod start by the `quay-config-init` container
// (lib/config/assemble.ts): the rendered objects hold no credential and no copy of the user's
// bundle, only references: the bundle Secret itself, the managed keys Secret and the bucket's
// Secret and ConfigMap. A pod-template annotation hashes what the renderer knows of them, so a
// bundle change rolls every pod that reads it.
import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-27/lib/imports/k8s';
import { BUNDLE_KEYS } from '../lib/bundle/bundle';
import type { CertificateSource } from '../lib/bundle/certificate';
import { stripPort } from '../lib/bundle/hostname';
import { ASSEMBLE_PY } from '../lib/config/assemble';
import { clairEndpoint, configEnvSources, knownConfigEnv, localClairEndpoint, quayConfigSpec } from '../lib/config/quay-config';
import type { RegistryModel } from '../lib/model';
import { ComponentProps, SHARED_NAMES } from './shared/component';
import { contentHash, secretData } from './shared/hash';
import { perModel } from './shared/memo';
import { metadataFor, nameFor } from './shared/metadata';
import { isOpenShift, resourcesFor, restrictedSecurityContext } from './shared/pod';

/** The `quay-component` label of the config objects. */
const CONFIG_COMPONENT = 'quay-config';

/** On pod templates: a hash of the config inputs the renderer knows (bundle, keys, bucket). */
export const CONFIG_HASH_ANNOTATION = 'quay-operator/config-hash';

/** Where the init container finds its inputs and writes config.yaml. */
const BUNDLE_DIR = '/quay-bundle';
/** Where the init container finds the pair of spec.tlsSecret. */
const TLS_DIR = '/quay-tls';
const ASSEMBLY_DIR = '/quay-config-assembly';
const STACK_DIR = '/conf/stack';

/** Bundle files that are not Quay's config files: they go elsewhere (extra CAs, Clair) or are merged (config.yaml). */
function excludedFromStack(key: string): boolean {
  const other: string[] = [BUNDLE_KEYS.config, BUNDLE_KEYS.clairConfig, BUNDLE_KEYS.clairSslCert, BUNDLE_KEYS.clairSslKey];
  return other.includes(key) || key.startsWith(BUNDLE_KEYS.extraCaPrefix);
}

/** The config bundle Secret the pods mount, when the registry names one. */
export function bundleSecretName(model: RegistryModel): string | undefined {
  return model.registry.spec.configBundleSecret || undefined;
}

interface ConfigAssembly {
  /** `<name>-quay-config-<hash>`: the script and its spec. */
  readonly name: string;
  readonly data: Readonly<Record<string, string>>;
  /** The pod-template annotation value. */
  readonly hash: string;
}

// Once per model: every pod running the Quay image shares it.
const configAssembly = perModel((model): ConfigAssembly => {
  const bundle = bundleSecretName(model);
  const keys = bundle ? [...model.bundle.files.keys()].sort() : [];
  const tls = tlsSecretSource(model);
  // The pair of spec.tlsSecret lands where Quay looks for its certificate, as ssl.cert and ssl.key.
  const tlsCopy = tls
    ? ([
        [`${TLS_DIR}/${tls.certKey}`, `${STACK_DIR}/${BUNDLE_KEYS.sslCert}`],
        [`${TLS_DIR}/${tls.keyKey}`, `${STACK_DIR}/${BUNDLE_KEYS.sslKey}`],
      ] as const)
    : [];
  const spec = quayConfigSpec(model, {
    ...(keys.includes(BUNDLE_KEYS.config) ? { user: `${BUNDLE_DIR}/${BUNDLE_KEYS.config}` } : {}),
    output: `${STACK_DIR}/${BUNDLE_KEYS.config}`,
    copy: [...keys.filter((k) => !excludedFromStack(k)).map((k) => [`${BUNDLE_DIR}/${k}`, `${STACK_DIR}/${k}`] as const), ...tlsCopy],
  });
  const data = { 'assemble.py': ASSEMBLE_PY, 'spec.json': `${JSON.stringify(spec, null, 2)}\n` };
  // What the pods read at start that the objects do not show: the bundle's content, and the keys
  // and bucket credentials when known. Only a digest of them appears.
  const known = knownConfigEnv(model);
  const inputs: Record<string, string> = { ...secretData(Object.fromEntries(model.bundle.files)) };
  // A renewed certificate (cert-manager) rolls the pods, which copy it at start.
  if (tls) Object.assign(inputs, secretData({ 'tls:cert': tls.cert, 'tls:key': tls.key }));
  for (const s of configEnvSources(model)) if (known[s.name] !== undefined) inputs[`env:${s.name}`] = known[s.name];
  return { name: nameFor(model, `quay-config-${contentHash(data)}`), data, hash: contentHash({ ...inputs, 'assembly:': contentHash(data) }) };
});

/** The certificate's Secret when it is spec.tlsSecret (not the bundle). */
export function tlsSecretSource(model: RegistryModel): CertificateSource | undefined {
  return model.certificate && model.certificate.secret !== bundleSecretName(model) ? model.certificate : undefined;
}

/** `<name>-quay-config-<hash>`: the ConfigMap with the assembly script and what the operator adds to config.yaml. */
export function quayConfigAssemblyName(model: RegistryModel): string {
  return configAssembly(model).name;
}

/** Annotations for the template of every pod that reads Quay's config. */
export function quayConfigAnnotations(model: RegistryModel): Record<string, string> {
  return { [CONFIG_HASH_ANNOTATION]: configAssembly(model).hash };
}

/**
 * The init container writing /conf/stack: config.yaml (defaults, the user's config.yaml, the
 * operator's fields, credentials from the environment) and the bundle's other files. A missing
 * Secret or ConfigMap key holds the pod in CreateContainerConfigError until it exists (a bucket not
 * yet provisioned): waiting, not crashing.
 */
export function quayConfigInitContainer(model: RegistryModel): k8s.Container {
  const env: k8s.EnvVar[] = configEnvSources(model).map((s) => ({
    name: s.name,
    valueFrom:
      s.kind === 'Secret'
        ? { secretKeyRef: { name: s.object, key: s.key, ...(s.optional ? { optional: true } : {}) } }
        : { configMapKeyRef: { name: s.object, key: s.key, ...(s.optional ? { optional: true } : {}) } },
  }));
  return {
    name: 'quay-config-init',
    image: model.environment.images.quay,
    command: ['python3', `${ASSEMBLY_DIR}/assemble.py`, `${ASSEMBLY_DIR}/spec.json`],
    ...(env.length > 0 ? { env } : {}),
    resources: resourcesFor({ requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } }, undefined),
    securityContext: restrictedSecurityContext(),
    volumeMounts: [
      { name: 'config', mountPath: STACK_DIR },
      { name: 'config-assembly', mountPath: ASSEMBLY_DIR, readOnly: true },
      ...(bundleSecretName(model) ? [{ name: 'config-bundle', mountPath: BUNDLE_DIR, readOnly: true }] : []),
      ...(tlsSecretSource(model) ? [{ name: 'tls-secret', mountPath: TLS_DIR, readOnly: true }] : []),
    ],
  };
}

/** ConfigMap the OpenShift service CA operator fills with `service-ca.crt`. */
export function clusterServiceCaName(model: RegistryModel): string {
  return nameFor(model, SHARED_NAMES.clusterServiceCa);
}

/** ConfigMap the OpenShift network operator fills with the cluster's trusted `ca-bundle.crt`. */
export function clusterTrustedCaName(model: RegistryModel): string {
  return nameFor(model, SHARED_NAMES.clusterTrustedCa);
}

/** Whether Quay terminates TLS itself (its nginx serves 8443 HTTPS when ssl.cert and ssl.key are in /conf/stack). */
export function quayServesTls(model: RegistryModel): boolean {
  return model.certificate !== undefined;
}

/** Volumes for `quayConfigVolumeMounts()` and the init container. */
export function quayConfigVolumes(model: RegistryModel): k8s.Volume[] {
  const bundle = bundleSecretName(model);
  const caItems: k8s.KeyToPath[] = [];
  for (const key of [...model.bundle.files.keys()].sort()) {
    const file = key.slice(BUNDLE_KEYS.extraCaPrefix.length);
    if (key.startsWith(BUNDLE_KEYS.extraCaPrefix) && file !== '') caItems.push({ key, path: file });
  }
  // Quay trusts its own certificate (the seeds' self-signed case: mirroring and Quay's calls to its
  // own hostname). Only ssl.cert: upstream projected the whole TLS secret, private key included.
  const tls = tlsSecretSource(model);
  if (model.certificate && !tls) caItems.push({ key: BUNDLE_KEYS.sslCert, path: 'quay-registry.crt' });
  const caSources: k8s.VolumeProjection[] = bundle && caItems.length > 0 ? [{ secret: { name: bundle, items: caItems } }] : [];
  if (tls) caSources.push({ secret: { name: tls.secret, items: [{ key: tls.certKey, path: 'quay-registry.crt' }] } });
  if (isOpenShift(model)) {
    // optional: the injectors fill them asynchronously; a pod must not wait for them to start.
    caSources.push({ configMap: { name: clusterServiceCaName(model), items: [{ key: 'service-ca.crt', path: 'service-ca.crt' }], optional: true } });
    caSources.push({ configMap: { name: clusterTrustedCaName(model), items: [{ key: 'ca-bundle.crt', path: 'ca-bundle.crt' }], optional: true } });
  }
  return [
    // Written by quay-config-init; Quay reads it.
    { name: 'config', emptyDir: { sizeLimit: k8s.Quantity.fromString('16Mi') } },
    { name: 'config-assembly', configMap: { name: quayConfigAssemblyName(model) } },
    ...(bundle ? [{ name: 'config-bundle', secret: { secretName: bundle } }] : []),
    ...(tls ? [{ name: 'tls-secret', secret: { secretName: tls.secret } }] : []),
    // No `sources: []`: the API server stores no empty list, and the difference would re-stamp
    // managedFields on every apply.
    { name: 'extra-ca-certs', projected: caSources.length > 0 ? { sources: caSources } : {} },
    {
      // Client certificates for an external database, by the fixed names upstream documents.
      name: 'postgres-certs',
      projected: { sources: [{ secret: { name: 'postgresql-ca', optional: true } }, { secret: { name: 'postgresql-client-certs', optional: true } }] },
    },
    // libpq copies the certificates here with the permissions it insists on (0600 keys).
    { name: 'postgres-certs-store', emptyDir: { sizeLimit: k8s.Quantity.fromString('5Mi') } },
  ];
}

/** Where the Quay image expects its config. */
export function quayConfigVolumeMounts(): k8s.VolumeMount[] {
  return [
    // Not readOnly, as upstream: extra_ca_certs is mounted inside it.
    { name: 'config', mountPath: '/conf/stack' },
    { name: 'extra-ca-certs', mountPath: '/conf/stack/extra_ca_certs', readOnly: true },
    { name: 'postgres-certs', mountPath: '/run/secrets/postgresql', readOnly: true },
    { name: 'postgres-certs-store', mountPath: '/.postgresql' },
  ];
}

/** QE_K8S_CONFIG_SECRET and QE_K8S_NAMESPACE: where Quay's Kubernetes config provider finds its Secret (the bundle). */
export function quayConfigEnv(model: RegistryModel): k8s.EnvVar[] {
  const bundle = bundleSecretName(model);
  return [
    ...(bundle ? [{ name: 'QE_K8S_CONFIG_SECRET', value: bundle }] : []),
    // apiVersion spelled out: fieldRef is atomic, so an omitted default differs from the stored object
    // on every apply and re-stamps managedFields each second (kubernetes/kubernetes#121404).
    { name: 'QE_K8S_NAMESPACE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } },
  ];
}

/**
 * The cluster's egress proxy, when the operator runs behind one. NO_PROXY always names the
 * registry's own host and the cluster's service domains, so in-cluster calls (Clair, the registry
 * itself) skip the proxy.
 */
export function proxyEnv(model: RegistryModel): k8s.EnvVar[] {
  const proxy = model.environment.proxy;
  if (!proxy?.httpProxy && !proxy?.httpsProxy) return [];
  const user = (proxy.noProxy ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  // A configured Clair endpoint bypasses the proxy as Quay's own host does: a global one
  // (geo-replication), or the Service by a short name (`<name>-clair-app`, `.<namespace>`) that
  // .svc and .cluster.local do not cover.
  const clair = model.components.clair.managed && clairEndpoint(model) !== localClairEndpoint(model) ? [new URL(clairEndpoint(model)).hostname] : [];
  const noProxy = [...new Set([...user, stripPort(model.hostnames.server), ...clair, 'localhost', '127.0.0.1', '.svc', '.cluster.local'])];
  return [
    ...(proxy.httpProxy ? [{ name: 'HTTP_PROXY', value: proxy.httpProxy }] : []),
    ...(proxy.httpsProxy ? [{ name: 'HTTPS_PROXY', value: proxy.httpsProxy }] : []),
    { name: 'NO_PROXY', value: noProxy.join(',') },
  ];
}

/** The ConfigMaps above. Rendered by `Quay`, which is always managed. */
export class QuayConfig extends Construct {
  constructor(scope: Construct, id: string, props: ComponentProps) {
    super(scope, id);
    const { model } = props;
    const overrides = model.components.quay.overrides;
    const meta = (name: string, extra: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}) =>
      metadataFor(model, name, { component: CONFIG_COMPONENT, overrides, ...extra });

    const assembly = configAssembly(model);
    new k8s.KubeConfigMap(this, 'config-assembly', { metadata: meta(assembly.name), data: { ...assembly.data } });

    if (isOpenShift(model)) {
      // No `data`: the cluster injects it. Applying even an empty value would take the field over
      // from the injector on every reconcile (upstream re-applied `ca-bundle.crt: ""`).
      new k8s.KubeConfigMap(this, 'cluster-service-ca', {
        metadata: meta(clusterServiceCaName(model), { annotations: { 'service.beta.openshift.io/inject-cabundle': 'true' } }),
      });
      new k8s.KubeConfigMap(this, 'cluster-trusted-ca', {
        metadata: meta(clusterTrustedCaName(model), { labels: { 'config.openshift.io/inject-trusted-cabundle': 'true' } }),
      });
    }
  }
}
