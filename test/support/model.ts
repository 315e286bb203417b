// Builds RegistryModels for tests: the seeds' example-registry in quay-enterprise, deterministic keys.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Platform, platformCapabilities } from '../../lib/api/components';
import { ConfigBundle, bundleFromFiles } from '../../lib/bundle/bundle';
import { DEFAULT_IMAGES, DEFAULT_QUAY_VERSION } from '../../lib/images';
import { ensureManagedKeys } from '../../lib/keys';
import { Environment, ObjectBucket, RegistryModel, buildModel } from '../../lib/model';

/** A counter-based RandomInt: the same keys on every run. */
export function fixedRandom(seed = 7): (n: number) => number {
  let state = seed;
  return (n: number) => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % n;
  };
}

export const TEST_BUCKET: ObjectBucket = {
  host: 's3.openshift-storage.svc.cluster.local',
  bucketName: 'quay-datastore-0a1b2c3d',
  accessKey: 'TESTACCESSKEY',
  secretKey: 'TESTSECRETKEY',
};

export interface TestModelOptions {
  readonly name?: string;
  readonly namespace?: string;
  readonly spec?: Record<string, unknown>;
  /** config.yaml and other bundle files, as text. Omitted: no config bundle. */
  readonly files?: Record<string, string>;
  readonly platform?: Platform;
  readonly appsDomain?: string | null;
  /** null: the bucket claim is not bound yet. */
  readonly objectBucket?: ObjectBucket | null;
  readonly environment?: Partial<Environment>;
  /** The Secret spec.tlsSecret names (its files as text), e.g. { 'tls.crt': ..., 'tls.key': ... }. */
  readonly tlsSecret?: Record<string, string>;
}

export function testBundle(files: Record<string, string>): ConfigBundle {
  const result = bundleFromFiles('Secret quay-enterprise/config-bundle-secret', new Map(Object.entries(files).map(([k, v]) => [k, Buffer.from(v)])));
  if (!result.bundle) throw new Error(result.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  return result.bundle;
}

/** appsDomain null: the apps domain is unknown. */
export function testEnvironment(platform: Platform = 'openshift', appsDomain: string | null = 'apps.example.com'): Environment {
  return {
    capabilities: platformCapabilities(platform),
    ...(appsDomain ? { appsDomain } : {}),
    images: DEFAULT_IMAGES,
    quayVersion: DEFAULT_QUAY_VERSION,
  };
}

/** Builds a model or throws with every problem, so a test names what is wrong with its input. */
export function testModel(options: TestModelOptions = {}): RegistryModel {
  const name = options.name ?? 'example-registry';
  const files = options.files;
  const spec = { ...(files ? { configBundleSecret: 'config-bundle-secret' } : {}), ...options.spec };
  const platform = options.platform ?? 'openshift';
  const environment = { ...testEnvironment(platform, options.appsDomain === undefined ? 'apps.example.com' : options.appsDomain), ...options.environment };
  const result = buildModel({
    registry: { apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name, namespace: options.namespace ?? 'quay-enterprise' }, spec },
    ...(files ? { bundle: testBundle(files) } : {}),
    existingKeys: ensureManagedKeys(name, {}, fixedRandom()),
    ...(options.objectBucket === null ? {} : { objectBucket: options.objectBucket ?? TEST_BUCKET }),
    ...(options.tlsSecret ? { tlsSecret: tlsSecretObject(String(options.spec?.tlsSecret ?? 'registry-tls'), options.tlsSecret) } : {}),
    environment,
  });
  if (!result.model) throw new Error(result.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  return result.model;
}

/** An S3 location in config.yaml: the storage a registry brings where there is no managed bucket (plain Kubernetes). */
export const S3_STORAGE_CONFIG = 'DISTRIBUTED_STORAGE_CONFIG: {default: [S3Storage, {host: s3.example.com, s3_bucket: quay, s3_access_key: a, s3_secret_key: b, storage_path: /registry}]}\nDISTRIBUTED_STORAGE_PREFERENCE: [default]\n';

/** Plain Kubernetes behind an Ingress that terminates TLS itself: Quay has no certificate, so no CA of its own to trust. */
export function ingressTerminatedModel(files: Record<string, string> = {}, spec: Record<string, unknown> = {}): RegistryModel {
  return testModel({ platform: 'kubernetes', files: { 'config.yaml': S3_STORAGE_CONFIG, ...files }, spec: { exposure: { type: 'Ingress', ingressClassName: 'nginx' }, ...spec } });
}

/** A kubernetes.io/tls Secret as cert-manager writes it. */
/** A file of test/fixtures/tls (certificates and keys made by its gen.sh), as text. */
export function tlsFixture(file: string): string {
  return fs.readFileSync(path.resolve(__dirname, '../fixtures/tls', file), 'utf8');
}

export function tlsSecretObject(name: string, files: Record<string, string>, namespace = 'quay-enterprise'): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: { name, namespace },
    data: Object.fromEntries(Object.entries(files).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  };
}
