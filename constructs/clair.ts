// Clair v4 in combo mode (indexer, matcher and notifier in one process). Its config is assembled by
// Clair itself from mounted files (config.yaml and drop-ins, lib/config/clair-config.ts): the
// operator's part from a ConfigMap, the PSK from `<registry>-clair-auth` (rendered with the keys),
// the user's clair-config.yaml from the bundle Secret; the database login comes through PG* variables.
import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-27/lib/imports/k8s';
import * as yaml from 'js-yaml';
import { BUNDLE_KEYS, nonEmpty } from '../lib/bundle/bundle';
import { stripPort } from '../lib/bundle/hostname';
import { CLAIR_AUTH_KEY, clairAuthSecretName, clairBaseConfig, clairDropIns } from '../lib/config/clair-config';
import { CLAIR_POSTGRES_NAMES } from './clair-postgres';
import { bundleSecretName, CONFIG_HASH_ANNOTATION, tlsSecretSource } from './quay-volumes';
import { DATABASE_SECRET_KEYS } from './shared/database';
import { perModel } from './shared/memo';
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

/** The drop-in directory Clair (>= 4.7) reads next to its config.yaml. */
const DROPIN_DIR = 'config.yaml.d';

/** The operator's part of Clair's config: config.yaml and drop-ins, no credential (ConfigMap data). */
export const clairConfigMapData = perModel((model: RegistryModel): Record<string, string> => {
  const dump = (v: unknown) => yaml.dump(v, { sortKeys: true, lineWidth: -1, noRefs: true });
  const data: Record<string, string> = { 'config.yaml': dump(clairBaseConfig(model)) };
  const { merges, patches } = clairDropIns(model);
  for (const [file, content] of Object.entries(merges)) data[file] = dump(content);
  for (const [file, ops] of Object.entries(patches)) data[file] = dump(ops);
  return data;
});

/**
 * `<registry>-clair-config-<hash>`: a new name for new content, so a change rolls Clair (upstream
 * PR #422: Clair kept an old PSK and Quay's requests were refused).
 */
export function clairConfigMapName(model: RegistryModel): string {
  return nameFor(model, `clair-config-${contentHash(clairConfigMapData(model))}`);
}

/** Bundle files Clair reads: its config, its TLS pair, and the certificates it trusts. */
function clairBundleKeys(model: RegistryModel): string[] {
  const wanted = (key: string) =>
    key === BUNDLE_KEYS.clairConfig ||
    key === BUNDLE_KEYS.clairSslCert ||
    key === BUNDLE_KEYS.clairSslKey ||
    key === BUNDLE_KEYS.sslCert ||
    (key.startsWith(BUNDLE_KEYS.extraCaPrefix) && key.length > BUNDLE_KEYS.extraCaPrefix.length);
  return [...model.bundle.files.keys()].filter((k) => wanted(k) && nonEmpty(model.bundle, k)).sort();
}

/** A digest of what Clair reads at start that its objects do not show (bundle files; keys when known). */
function clairInputsHash(model: RegistryModel): string {
  const inputs: Record<string, string | Buffer> = {};
  for (const k of clairBundleKeys(model)) inputs[`bundle:${k}`] = model.bundle.files.get(k) as Buffer;
  const tls = tlsSecretSource(model);
  if (tls) inputs['tls:cert'] = tls.cert;
  if (model.keysKnown) {
    for (const k of ['SECURITY_SCANNER_V4_PSK', 'CLAIR_DB_USER', 'CLAIR_DB_PASSWORD', 'CLAIR_DB_NAME'] as const) inputs[`key:${k}`] = model.keys[k];
  }
  return contentHash(secretData(inputs));
}

export function clairProxyEnv(model: RegistryModel): k8s.EnvVar[] {
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

interface VolumePart {
  readonly volume: k8s.Volume;
  readonly mount: k8s.VolumeMount;
}

/**
 * What every pod running Clair's image mounts (Clair, the updaters import Job): its config with the
 * drop-ins, the certificates it trusts, and on OpenShift the cluster's trusted CA bundle.
 */
export function clairPodParts(model: RegistryModel): { config: VolumePart; certificates: VolumePart; trustedCa?: VolumePart } {
  const configData = clairConfigMapData(model);
  const bundle = bundleSecretName(model);
  const bundleKeys = bundle ? clairBundleKeys(model) : [];
  // /clair: config.yaml and drop-ins from the ConfigMap, the PSK from `<registry>-clair-auth`, the
  // user's clair-config.yaml (a drop-in after the PSK, so theirs wins as before) and, when the bundle
  // has them, clair-ssl.crt and clair-ssl.key, all by reference. A user's clair-config.yaml serves
  // TLS with `tls: {cert: /clair/clair-ssl.crt, key: /clair/clair-ssl.key}`.
  const operatorItems: k8s.KeyToPath[] = Object.keys(configData)
    .sort()
    .map((k) => ({ key: k, path: k === 'config.yaml' ? k : `${DROPIN_DIR}/${k}` }));
  const bundleConfigItems: k8s.KeyToPath[] = bundleKeys
    .filter((k) => k === BUNDLE_KEYS.clairConfig || k === BUNDLE_KEYS.clairSslCert || k === BUNDLE_KEYS.clairSslKey)
    .map((k) => ({ key: k, path: k === BUNDLE_KEYS.clairConfig ? `${DROPIN_DIR}/50-user.yaml` : k }));
  const configSources: k8s.VolumeProjection[] = [
    { configMap: { name: clairConfigMapName(model), items: operatorItems } },
    { secret: { name: clairAuthSecretName(model.name), items: [{ key: CLAIR_AUTH_KEY, path: `${DROPIN_DIR}/10-auth.yaml` }] } },
    ...(bundle && bundleConfigItems.length > 0 ? [{ secret: { name: bundle, items: bundleConfigItems } }] : []),
  ];
  // The certificates Clair trusts: extra_ca_cert_<file> → <file>, Quay's ssl.cert → ssl.cert.
  const certItems: k8s.KeyToPath[] = [];
  const paths = new Set<string>();
  for (const key of bundleKeys) {
    const path = key.startsWith(BUNDLE_KEYS.extraCaPrefix) ? key.slice(BUNDLE_KEYS.extraCaPrefix.length) : key === BUNDLE_KEYS.sslCert ? key : undefined;
    if (path === undefined || paths.has(path)) continue;
    paths.add(path);
    certItems.push({ key, path });
  }
  const openShift = isOpenShift(model);
  // Quay's certificate from spec.tlsSecret: trusted under the same name as the bundle's ssl.cert.
  const tls = tlsSecretSource(model);
  const certSources: k8s.VolumeProjection[] = [
    ...(bundle && certItems.length > 0 ? [{ secret: { name: bundle, items: certItems } }] : []),
    ...(tls ? [{ secret: { name: tls.secret, items: [{ key: tls.certKey, path: BUNDLE_KEYS.sslCert }] } }] : []),
    // OpenShift's service CA signs in-cluster serving certificates (e.g. the object storage
    // endpoint Clair fetches layers from when Quay does not proxy storage).
    ...(openShift ? [{ configMap: { name: nameFor(model, SHARED_NAMES.clusterServiceCa), optional: true } }] : []),
  ];
  return {
    config: { volume: { name: 'config', projected: { sources: configSources } }, mount: { name: 'config', mountPath: CLAIR_CONFIG_DIR, readOnly: true } },
    certificates: {
      // No `sources: []`: the API server stores no empty list, and the difference would re-stamp
      // managedFields on every apply.
      volume: { name: 'certificates', projected: certSources.length > 0 ? { sources: certSources } : {} },
      mount: { name: 'certificates', mountPath: CLAIR_CERTS_DIR, readOnly: true },
    },
    // The cluster's trusted CA bundle (with the cluster proxy's CAs) replaces the image's. The
    // ConfigMap is `<registry>-cluster-trusted-ca`, filled by OpenShift's network operator.
    ...(openShift
      ? {
          trustedCa: {
            volume: { name: 'cluster-trusted-ca', configMap: { name: nameFor(model, SHARED_NAMES.clusterTrustedCa), items: [{ key: 'ca-bundle.crt', path: 'tls-ca-bundle.pem' }], optional: true } },
            mount: { name: 'cluster-trusted-ca', mountPath: '/etc/pki/ca-trust/extracted/pem', readOnly: true },
          },
        }
      : {}),
  };
}

/** The managed database's login, for pgx (libpq's variables): the connstring names none. */
export function clairDatabaseEnv(model: RegistryModel): k8s.EnvVar[] {
  if (!model.components.clairpostgres.managed) return [];
  const dbSecret = nameFor(model, CLAIR_POSTGRES_NAMES.secret);
  return [
    { name: 'PGUSER', valueFrom: { secretKeyRef: { name: dbSecret, key: DATABASE_SECRET_KEYS.user } } },
    { name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: dbSecret, key: DATABASE_SECRET_KEYS.password } } },
    { name: 'PGDATABASE', valueFrom: { secretKeyRef: { name: dbSecret, key: DATABASE_SECRET_KEYS.database } } },
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

    new k8s.KubeConfigMap(this, 'config', { metadata: meta(clairConfigMapName(model)), data: { ...clairConfigMapData(model) } });

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

    const pod = clairPodParts(model);
    const volumes: k8s.Volume[] = [
      pod.config.volume,
      pod.certificates.volume,
      {
        name: 'indexer-layer-storage',
        // Layers are unpacked under /var/tmp; the container's overlay filesystem lacks O_TMPFILE
        // and filled the node's disk (upstream PROJQUAY-11162). One claim per pod, deleted with it.
        ephemeral: {
          volumeClaimTemplate: {
            metadata: { labels: { ...overrides.labels, ...selector } },
            spec: {
              accessModes: ['ReadWriteOnce'],
              ...(overrides.storageClassName ? { storageClassName: overrides.storageClassName } : {}),
              resources: { requests: { storage: k8s.Quantity.fromString(overrides.volumeSize ?? DEFAULT_LAYER_STORAGE_SIZE) } },
            },
          },
        },
      },
      ...(pod.trustedCa ? [pod.trustedCa.volume] : []),
    ];
    const volumeMounts: k8s.VolumeMount[] = [
      pod.config.mount,
      pod.certificates.mount,
      { name: 'indexer-layer-storage', mountPath: '/var/tmp' },
      ...(pod.trustedCa ? [pod.trustedCa.mount] : []),
    ];

    const intro = k8s.IntOrString.fromString('clair-intro');
    const replicas = replicasFor(model, 'clair');
    const deployment = new k8s.KubeDeployment(this, 'deployment', {
      metadata: meta(name),
      spec: {
        ...(replicas !== undefined ? { replicas } : {}),
        selector: { matchLabels: selector },
        template: {
          metadata: podTemplateMetadata(selector, overrides, { [CONFIG_HASH_ANNOTATION]: clairInputsHash(model) }),
          spec: {
            serviceAccountName: name,
            automountServiceAccountToken: false,
            securityContext: podSecurityContext(model, { runAsUser: 65534, fsGroup: 65534 }, overrides.securityContext),
            ...(overrides.affinity ? {} : { affinity: preferSpreading(selector) }),
            containers: [
              {
                name: 'clair-app',
                image: model.environment.images.clair,
                imagePullPolicy: 'IfNotPresent',
                env: mergeEnv(
                  [{ name: 'CLAIR_CONF', value: `${CLAIR_CONFIG_DIR}/config.yaml` }, { name: 'CLAIR_MODE', value: 'combo' }, ...clairDatabaseEnv(model), ...clairProxyEnv(model)],
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
