// GitOps without secrets: a render of any scenario holds no generated key, no bucket key and no
// value of the user's bundle (issue: the render is committed to Git). The scan must also catch a
// leak, so it is checked on the credentials `keys` prints, which hold them by design.
import * as path from 'node:path';
import { objectKey, readInputs } from '../../lib/cli/inputs';
import { prepareInput } from '../../lib/cli/render-inputs';
import { ensureManagedKeys, managedKeysSecretName } from '../../lib/keys';
import type { RegistryModel } from '../../lib/model';
import { renderCredentials, renderRegistry } from '../../lib/synth';
import { credentialLeaks, forbiddenValues } from '../support/credential-scan';
import { fixedRandom, testEnvironment, testModel } from '../support/model';

const ROOT = path.resolve(__dirname, '../..');

/** The models of the example files, with known keys and a bound bucket (so both can be looked for). */
function modelsOf(files: string[]): RegistryModel[] {
  const { inputs } = readInputs(files.map((f) => path.join(ROOT, f)), 'default');
  for (const doc of inputs.registries) {
    const meta = doc.object.metadata as { name: string; namespace: string };
    inputs.objects.set(objectKey('Secret', meta.namespace, managedKeysSecretName(meta.name)), { file: 'test', index: 0, object: { stringData: ensureManagedKeys(meta.name, {}, fixedRandom()) } });
    inputs.objects.set(objectKey('Secret', meta.namespace, `${meta.name}-quay-datastore`), { file: 'test', index: 0, object: { stringData: { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEACCESSKEY', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' } } });
    inputs.objects.set(objectKey('ConfigMap', meta.namespace, `${meta.name}-quay-datastore`), { file: 'test', index: 0, object: { data: { BUCKET_HOST: 's3.openshift-storage.svc', BUCKET_PORT: '443', BUCKET_NAME: 'quay-datastore-bucket-1234' } } });
  }
  return inputs.registries.map((doc) => {
    const prepared = prepareInput(doc, inputs, testEnvironment('openshift', 'apps.example.com'), { defaultNamespace: 'default' });
    expect(prepared.problems).toEqual([]);
    return prepared.model!;
  });
}

const TLS_BUNDLE = {
  'config.yaml': 'FEATURE_USER_INITIALIZE: true\nLDAP_ADMIN_PASSWD: "ldap-admin-pa\\"ss\\\\word"\nDATABASE_SECRET_KEY: user-database-secret-key-1234\n',
  'clair-config.yaml': 'indexer:\n  connstring: host=db.example.com user=clair password=clair-db-password-5678 dbname=clair\n',
  'extra_ca_cert_corp.pem': '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUcorporatecaexamplecertificatebody0123456789\n-----END CERTIFICATE-----\n',
  'custom-ldap.crt': 'a file of the bundle that Quay reads, copied into /conf/stack',
};

const scenarios: [string, () => RegistryModel[]][] = [
  ['the default all-managed example', () => modelsOf(['examples/quayregistry.yaml'])],
  ['some components unmanaged', () => modelsOf(['examples/unmanaged-components.yaml'])],
  ['geo-replication (us and eu)', () => modelsOf(['examples/geo-replication/config-bundle.yaml', 'examples/geo-replication/us.yaml', 'examples/geo-replication/eu.yaml'])],
  ['a bundle with credentials, certificates and a Clair database of its own', () => [testModel({ files: TLS_BUNDLE, spec: { components: [{ kind: 'clairpostgres', managed: false }] } })]],
  ['plain Kubernetes', () => [testModel({ platform: 'kubernetes', appsDomain: null, objectBucket: null, files: { 'config.yaml': 'SERVER_HOSTNAME: quay.example.com\nEXTERNAL_TLS_TERMINATION: true\nDISTRIBUTED_STORAGE_CONFIG: {s3: [S3Storage, {host: s3.example.com, s3_access_key: s3-access-key-example, s3_secret_key: s3-secret-key-example/xyz}]}\nDISTRIBUTED_STORAGE_PREFERENCE: [s3]\nDISTRIBUTED_STORAGE_DEFAULT_LOCATIONS: [s3]\n' } })]],
];

describe('no credential and no bundle value in any render', () => {
  test.each(scenarios)('%s', (_name, models) => {
    for (const model of models()) {
      const forbidden = forbiddenValues(model);
      expect(forbidden.size).toBeGreaterThan(5);
      const objects = renderRegistry(model).objects;
      expect(credentialLeaks(objects, forbidden)).toEqual([]);
      expect(objects.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name)).toEqual([]);
    }
  });

  test('the scan finds what `keys` holds by design, and a bundle value copied anywhere', () => {
    const model = testModel({ files: TLS_BUNDLE, spec: { components: [{ kind: 'clairpostgres', managed: false }] } });
    const forbidden = forbiddenValues(model);
    const leaks = credentialLeaks(renderCredentials(model), forbidden);
    expect(leaks).toEqual(expect.arrayContaining(['Secret/example-registry-quay-registry-managed-secret-keys: generated key SECRET_KEY', 'Secret/example-registry-postgres-config-secret: the password in DB_URI']));
    const copied = { kind: 'ConfigMap', metadata: { name: 'oops' }, data: { note: Buffer.from('host=db.example.com user=clair password=clair-db-password-5678 dbname=clair').toString('base64') } };
    expect(credentialLeaks([copied], forbidden)).toEqual(['ConfigMap/oops: bundle connstring']);
    expect(credentialLeaks([{ kind: 'ConfigMap', metadata: { name: 'annotated' }, metadata2: 'ldap-admin-pa"ss\\word' }], forbidden)).toEqual(['ConfigMap/annotated: bundle LDAP_ADMIN_PASSWD']);
  });
});
