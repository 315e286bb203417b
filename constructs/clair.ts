// Clair v4 in combo mode (indexer, matcher and notifier in one process), configured by the operator
// and the user's clair-config.yaml (merged in lib/config/clair-config.ts).
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-27';
import * as yaml from 'js-yaml';
import { BUNDLE_KEYS, nonEmpty } from '../lib/bundle/bundle';
import { stripPort } from '../lib/bundle/hostname';
import { clairConfig } from '../lib/config/clair-config';
import type { RegistryModel } from '../lib/model';
import { ComponentProps, SHARED_NAMES } from './shared/component';
import { contentHash, secretData } from './shared/hash';
import { metadataFor, nameFor, podTemplateMetadata, selectorLabels } from './shared/metadata';
import {
  applyPlacement,
  isOpenShift,
  mergeEnv,
  podSecurityContext,
  preferSpreading,
  replicasFor,
  resourcesFor,
  restrictedSecurityContext,
} from './shared/pod';

export const CLAIR_COMPONENT = 'clair-app';
export const CLAIR_HTTP_PORT = 8080;
export const CLAIR_INTROSPECTION_PORT = 8089;
/** Clair's scratch space for layers being indexed (upstream PROJQUAY-11162). */
export const DEFAULT_LAYER_STORAGE_SIZE = '20Gi';

/** Where the config secret is mounted; CLAIR_CONF points at config.yaml in it. */
export const CLAIR_CONFIG_DIR = '/clair';
/**
 * The Clair image sets SSL_CERT_DIR=/etc/ssl/certs:/etc/pki/tls/certs:/var/run/certs, so every
 * certificate here is trusted. The bundle's `extra_ca_cert_<file>` appear as `<file>`, as upstream
 * (the seeds' clair-config.yaml example points `sslrootcert` at /run/certs/<file>).
 */
export const CLAIR_CERTS_DIR = '/var/run/certs';

/** The config secret's files: config.yaml, Clair's own TLS pair, and the certificates Clair trusts. */
export function clairConfigFiles(model: RegistryModel): Record<string, string | Buffer> {
  const files: Record<string, string | Buffer> = {
    'config.yaml': yaml.dump(clairConfig(model), { sortKeys: true, lineWidth: -1, noRefs: true }),
  };
  const bundle = model.bundle;
  // Quay's own certificate (user-provided TLS) is trusted too: Clair fetches layers and posts
  // notifications through Quay's hostname. Quay's key stays out: Clair has no use for it.
  const wanted = (key: string) =>
    key === BUNDLE_KEYS.clairSslCert ||
    key === BUNDLE_KEYS.clairSslKey ||
    key === BUNDLE_KEYS.sslCert ||
    (key.startsWith(BUNDLE_KEYS.extraCaPrefix) && key.length > BUNDLE_KEYS.extraCaPrefix.length);
  for (const key of [...bundle.files.keys()].sort()) {
    const content = bundle.files.get(key);
    if (content && wanted(key) && nonEmpty(bundle, key)) files[key] = content;
  }
  return files;
}

/**
 * `<registry>-clair-config-secret-<hash>`: a new name for new content, so a change of the PSK, the
 * database or a certificate rolls Clair (upstream PR #422: Clair kept an old PSK and Quay's
 * requests were refused).
 */
export function clairConfigSecretName(model: RegistryModel): string {
  return `${nameFor(model, 'clair-config-secret')}-${contentHash(secretData(clairConfigFiles(model)))}`;
}

function proxyEnv(model: RegistryModel): k8s.EnvVar[] {
  const proxy = model.environment.proxy;
  if (!proxy || !(proxy.httpProxy || proxy.httpsProxy)) return [];
  // As upstream: Quay's own hostname bypasses the proxy, plus the operator's NO_PROXY.
  const noProxy = [stripPort(model.hostnames.server), ...(proxy.noProxy ?? '').split(',').map((s) => s.trim())].filter((s) => s !== '');
  return [
    ...(proxy.httpProxy ? [{ name: 'HTTP_PROXY', value: proxy.httpProxy }] : []),
    ...(proxy.httpsProxy ? [{ name: 'HTTPS_PROXY', value: proxy.httpsProxy }] : []),
    { name: 'NO_PROXY', value: [...new Set(noProxy)].join(',') },
  ];
}

export class Clair extends Construct {
  constructor(scope: Construct, id: string, props: ComponentProps) {
    super(scope, id);
    const { model } = props;
    const overrides = model.components.clair.overrides;
    const name = nameFor(model, SHARED_NAMES.clairApp);
    const meta = (objectName: string) => metadataFor(model, objectName, { component: CLAIR_COMPONENT, overrides });
    const selector = selectorLabels(model, CLAIR_COMPONENT);

    const files = clairConfigFiles(model);
    const secretName = clairConfigSecretName(model);
    new k8s.KubeSecret(this, 'config-secret', { metadata: meta(secretName), type: 'Opaque', data: secretData(files) });

    new k8s.KubeServiceAccount(this, 'service-account', { metadata: meta(name) });

    new k8s.KubeService(this, 'service', {
      metadata: meta(name),
      spec: {
        type: 'ClusterIP',
        selector,
        ports: [
          { name: 'clair-http', protocol: 'TCP', port: 80, targetPort: k8s.IntOrString.fromNumber(CLAIR_HTTP_PORT) },
          { name: 'clair-introspection', protocol: 'TCP', port: CLAIR_INTROSPECTION_PORT, targetPort: k8s.IntOrString.fromNumber(CLAIR_INTROSPECTION_PORT) },
        ],
      },
    });

    // /clair holds config.yaml and, when the bundle has them, clair-ssl.crt and clair-ssl.key: a
    // user's clair-config.yaml serves TLS with `tls: {cert: /clair/clair-ssl.crt, key: /clair/clair-ssl.key}`.
    const configItems = ['config.yaml', BUNDLE_KEYS.clairSslCert, BUNDLE_KEYS.clairSslKey].filter((k) => k in files).map((k) => ({ key: k, path: k }));
    // The certificates Clair trusts come from the same (hashed, owned) secret, not from the
    // `extra-ca-certs-<hash>` secret another component renders: a change rolls Clair with no
    // dependency on that name. extra_ca_cert_<file> → <file>, Quay's ssl.cert → ssl.cert.
    const certItems: k8s.KeyToPath[] = [];
    const paths = new Set<string>();
    for (const key of Object.keys(files).sort()) {
      const path = key.startsWith(BUNDLE_KEYS.extraCaPrefix) ? key.slice(BUNDLE_KEYS.extraCaPrefix.length) : key === BUNDLE_KEYS.sslCert ? key : undefined;
      if (path === undefined || paths.has(path)) continue;
      paths.add(path);
      certItems.push({ key, path });
    }
    const openShift = isOpenShift(model);
    const certSources: k8s.VolumeProjection[] = [
      ...(certItems.length > 0 ? [{ secret: { name: secretName, items: certItems } }] : []),
      // OpenShift's service CA signs in-cluster serving certificates (e.g. the object storage
      // endpoint Clair fetches layers from when Quay does not proxy storage).
      ...(openShift ? [{ configMap: { name: nameFor(model, SHARED_NAMES.clusterServiceCa), optional: true } }] : []),
    ];

    const volumes: k8s.Volume[] = [
      { name: 'config', secret: { secretName, items: configItems } },
      // No `sources: []`: the API server stores no empty list, and the difference would re-stamp
      // managedFields on every apply.
      { name: 'certificates', projected: certSources.length > 0 ? { sources: certSources } : {} },
      {
        name: 'indexer-layer-storage',
        // Layers are unpacked under /var/tmp; the container's overlay filesystem lacks O_TMPFILE
        // and filled the node's disk (upstream PROJQUAY-11162). One claim per pod, deleted with it.
        ephemeral: {
          volumeClaimTemplate: {
            metadata: { labels: { ...overrides.labels, ...selector } },
            spec: {
              accessModes: ['ReadWriteOnce'],
              resources: { requests: { storage: k8s.Quantity.fromString(overrides.volumeSize ?? DEFAULT_LAYER_STORAGE_SIZE) } },
            },
          },
        },
      },
    ];
    const volumeMounts: k8s.VolumeMount[] = [
      { name: 'config', mountPath: CLAIR_CONFIG_DIR, readOnly: true },
      { name: 'certificates', mountPath: CLAIR_CERTS_DIR, readOnly: true },
      { name: 'indexer-layer-storage', mountPath: '/var/tmp' },
    ];
    if (openShift) {
      // The cluster's trusted CA bundle (with the cluster proxy's CAs) replaces the image's. The
      // ConfigMap is `<registry>-cluster-trusted-ca`, filled by OpenShift's network operator.
      volumes.push({
        name: 'cluster-trusted-ca',
        configMap: { name: nameFor(model, SHARED_NAMES.clusterTrustedCa), items: [{ key: 'ca-bundle.crt', path: 'tls-ca-bundle.pem' }], optional: true },
      });
      volumeMounts.push({ name: 'cluster-trusted-ca', mountPath: '/etc/pki/ca-trust/extracted/pem', readOnly: true });
    }

    const intro = k8s.IntOrString.fromString('clair-intro');
    const replicas = replicasFor(model, 'clair');
    const deployment = new k8s.KubeDeployment(this, 'deployment', {
      metadata: meta(name),
      spec: {
        ...(replicas !== undefined ? { replicas } : {}),
        selector: { matchLabels: selector },
        template: {
          metadata: podTemplateMetadata(selector, overrides),
          spec: {
            serviceAccountName: name,
            automountServiceAccountToken: false,
            securityContext: podSecurityContext(model, { runAsUser: 65534, fsGroup: 65534 }),
            ...(overrides.affinity ? {} : { affinity: preferSpreading(selector) }),
            containers: [
              {
                name: 'clair-app',
                image: model.environment.images.clair,
                imagePullPolicy: 'IfNotPresent',
                env: mergeEnv(
                  [{ name: 'CLAIR_CONF', value: `${CLAIR_CONFIG_DIR}/config.yaml` }, { name: 'CLAIR_MODE', value: 'combo' }, ...proxyEnv(model)],
                  overrides.env,
                ),
                ports: [
                  { name: 'clair-http', containerPort: CLAIR_HTTP_PORT, protocol: 'TCP' },
                  { name: 'clair-intro', containerPort: CLAIR_INTROSPECTION_PORT, protocol: 'TCP' },
                ],
                resources: resourcesFor({ requests: { cpu: '2000m', memory: '2Gi' }, limits: { cpu: '4000m', memory: '16Gi' } }, overrides.resources),
                // Database migrations run before Clair listens: up to 50 minutes.
                startupProbe: { tcpSocket: { port: intro }, periodSeconds: 10, failureThreshold: 300 },
                readinessProbe: { tcpSocket: { port: k8s.IntOrString.fromString('clair-http') }, periodSeconds: 10, failureThreshold: 3 },
                livenessProbe: { httpGet: { path: '/healthz', port: intro, scheme: 'HTTP' }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
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
