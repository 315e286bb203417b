// What every pod running the Quay image mounts (quay-app, mirror, the migration Job, the config
// editor): the rendered config.yaml with the bundle's other files, the registry's certificate, the
// extra CA certificates, and the optional client certificates for an external PostgreSQL.
// Config objects carry a content hash in their name, so a change rolls every pod that mounts them.
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-27';
import * as yaml from 'js-yaml';
import { BUNDLE_KEYS, hasCertificate } from '../lib/bundle/bundle';
import { stripPort } from '../lib/bundle/hostname';
import { quayConfig } from '../lib/config/quay-config';
import type { RegistryModel } from '../lib/model';
import { ComponentProps, SHARED_NAMES, quayConfigReady } from './shared/component';
import { contentHash, secretData } from './shared/hash';
import { perModel } from './shared/memo';
import { metadataFor, nameFor } from './shared/metadata';
import { isOpenShift } from './shared/pod';

/** The `quay-component` label of the config objects. */
const CONFIG_COMPONENT = 'quay-config';

/** Bundle files that are not Quay's config files: they go elsewhere (tls secret, extra CAs, Clair). */
function excludedFromConfig(key: string): boolean {
  const other: string[] = [BUNDLE_KEYS.config, BUNDLE_KEYS.sslCert, BUNDLE_KEYS.sslKey, BUNDLE_KEYS.clairConfig, BUNDLE_KEYS.clairSslCert, BUNDLE_KEYS.clairSslKey];
  return other.includes(key) || key.startsWith(BUNDLE_KEYS.extraCaPrefix);
}

/** `config.yaml` as Quay reads it: keys sorted and no line wrapping, so equal content gives equal bytes. */
export function renderQuayConfigYaml(model: RegistryModel): string {
  return yaml.dump(quayConfig(model), { sortKeys: true, lineWidth: -1, noRefs: true });
}

/** A Secret's data and its content-hashed name. Frozen: one value is shared by every caller of a render. */
interface HashedSecret {
  readonly name: string;
  readonly data: Readonly<Record<string, string>>;
}

function hashedSecret(model: RegistryModel, prefix: string, data: Record<string, string>): HashedSecret {
  return Object.freeze({ name: nameFor(model, `${prefix}-${contentHash(data)}`), data: Object.freeze(data) });
}

// Once per model: config.yaml is dumped (the costliest step of a render) and every Secret hashed
// once, not again for each of the four pods that mount them (profiled: 10 dumps per render).
const configSecret = perModel((model): HashedSecret => {
  const files: Record<string, string | Buffer> = {};
  for (const [key, value] of model.bundle.files) if (!excludedFromConfig(key)) files[key] = value;
  files[BUNDLE_KEYS.config] = renderQuayConfigYaml(model);
  return hashedSecret(model, 'quay-config-secret', secretData(files));
});

const tlsSecret = perModel((model): HashedSecret | undefined => {
  if (!hasCertificate(model.bundle)) return undefined;
  const files = model.bundle.files;
  return hashedSecret(model, 'quay-config-tls', secretData({ [BUNDLE_KEYS.sslCert]: files.get(BUNDLE_KEYS.sslCert) as Buffer, [BUNDLE_KEYS.sslKey]: files.get(BUNDLE_KEYS.sslKey) as Buffer }));
});

const extraCaSecret = perModel((model): HashedSecret => {
  const files: Record<string, Buffer> = {};
  for (const [key, value] of model.bundle.files) {
    const name = key.slice(BUNDLE_KEYS.extraCaPrefix.length);
    if (key.startsWith(BUNDLE_KEYS.extraCaPrefix) && name !== '') files[name] = value;
  }
  return hashedSecret(model, 'extra-ca-certs', secretData(files));
});

/** `<name>-quay-config-secret-<hash>`: the Secret Quay's pods read config.yaml from (QE_K8S_CONFIG_SECRET). */
export function quayConfigSecretName(model: RegistryModel): string {
  return configSecret(model).name;
}

/** `<name>-quay-config-tls-<hash>` with ssl.cert and ssl.key, when the bundle carries a certificate. */
export function quayTlsSecretName(model: RegistryModel): string | undefined {
  return tlsSecret(model)?.name;
}

/** `<name>-extra-ca-certs-<hash>`: the bundle's `extra_ca_cert_<x>` files, keyed `<x>`. */
export function extraCaSecretName(model: RegistryModel): string {
  return extraCaSecret(model).name;
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
  return hasCertificate(model.bundle);
}

/** Volumes for `quayConfigVolumeMounts()`. */
export function quayConfigVolumes(model: RegistryModel): k8s.Volume[] {
  const tls = quayTlsSecretName(model);
  const caSources: k8s.VolumeProjection[] = [{ secret: { name: extraCaSecretName(model) } }];
  // Quay trusts its own certificate (the seeds' self-signed case: mirroring and Quay's calls to its
  // own hostname). Only ssl.cert: upstream projected the whole TLS secret, private key included.
  if (tls) caSources.push({ secret: { name: tls, items: [{ key: BUNDLE_KEYS.sslCert, path: 'quay-registry.crt' }] } });
  if (isOpenShift(model)) {
    // optional: the injectors fill them asynchronously; a pod must not wait for them to start.
    caSources.push({ configMap: { name: clusterServiceCaName(model), items: [{ key: 'service-ca.crt', path: 'service-ca.crt' }], optional: true } });
    caSources.push({ configMap: { name: clusterTrustedCaName(model), items: [{ key: 'ca-bundle.crt', path: 'ca-bundle.crt' }], optional: true } });
  }
  return [
    {
      name: 'config',
      projected: { sources: [{ secret: { name: quayConfigSecretName(model) } }, ...(tls ? [{ secret: { name: tls } }] : [])] },
    },
    { name: 'extra-ca-certs', projected: { sources: caSources } },
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

/** QE_K8S_CONFIG_SECRET and QE_K8S_NAMESPACE: where Quay's Kubernetes config provider finds its Secret. */
export function quayConfigEnv(model: RegistryModel): k8s.EnvVar[] {
  return [
    { name: 'QE_K8S_CONFIG_SECRET', value: quayConfigSecretName(model) },
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
  const noProxy = [...new Set([...user, stripPort(model.hostnames.server), 'localhost', '127.0.0.1', '.svc', '.cluster.local'])];
  return [
    ...(proxy.httpProxy ? [{ name: 'HTTP_PROXY', value: proxy.httpProxy }] : []),
    ...(proxy.httpsProxy ? [{ name: 'HTTPS_PROXY', value: proxy.httpsProxy }] : []),
    { name: 'NO_PROXY', value: noProxy.join(',') },
  ];
}

/** The Secrets and ConfigMaps above. Rendered by `Quay`, which is always managed. */
export class QuayConfig extends Construct {
  constructor(scope: Construct, id: string, props: ComponentProps) {
    super(scope, id);
    const { model } = props;
    const overrides = model.components.quay.overrides;
    const meta = (name: string, extra: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}) =>
      metadataFor(model, name, { component: CONFIG_COMPONENT, overrides, ...extra });

    // Without the bucket's credentials config.yaml would name no storage: no Secret until it is bound.
    if (quayConfigReady(model)) {
      const config = configSecret(model);
      new k8s.KubeSecret(this, 'config-secret', { metadata: meta(config.name), type: 'Opaque', data: { ...config.data } });
    }

    const tls = tlsSecret(model);
    if (tls) new k8s.KubeSecret(this, 'tls-secret', { metadata: meta(tls.name), type: 'Opaque', data: { ...tls.data } });

    // Always rendered, even empty, so the projected volume's source exists. Empty, without `data`:
    // the API server stores no empty map, so an applied `data: {}` would differ from it every time.
    const extraCa = extraCaSecret(model);
    const caData = Object.keys(extraCa.data).length > 0 ? { data: { ...extraCa.data } } : {};
    new k8s.KubeSecret(this, 'extra-ca-certs', { metadata: meta(extraCa.name), type: 'Opaque', ...caData });

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
