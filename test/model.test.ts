import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelInputs, buildModel } from '../lib/model';
import { ensureManagedKeys } from '../lib/keys';
import { Problem } from '../lib/problems';
import { TEST_BUCKET, fixedRandom, testBundle, testEnvironment } from './support/model';

const fixture = (name: string): string => fs.readFileSync(path.join(__dirname, 'fixtures', 'tls', name), 'utf8');
const HOST = 'example-registry-quay-quay-enterprise.apps.example.com';
const BUILDER_HOST = 'example-registry-quay-builder-quay-enterprise.apps.example.com';
const LEAF_COVERS = `${HOST}, ${BUILDER_HOST}`;

const invalid = (p: string, message: string): Problem => ({ path: p, message, reason: 'ConfigInvalid' });
const missing = (kind: string) =>
  invalid('configBundleSecret', `required component \`${kind}\` marked as unmanaged, but \`configBundleSecret\` is missing necessary fields`);

function registry(spec: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: 'example-registry', namespace: 'quay-enterprise' }, spec };
}

function inputs(overrides: Partial<ModelInputs> = {}): ModelInputs {
  return { registry: registry(), environment: testEnvironment(), objectBucket: TEST_BUCKET, random: fixedRandom(), ...overrides };
}

describe('buildModel', () => {
  it("builds the seeds' default registry", () => {
    const result = buildModel(inputs());
    expect(result.problems).toEqual([]);
    const model = result.model!;
    expect(model.name).toBe('example-registry');
    expect(model.namespace).toBe('quay-enterprise');
    expect(model.hostnames).toEqual({ server: HOST, buildManager: undefined, fromConfig: false });
    expect(Object.values(model.components).every((c) => c.managed)).toBe(true);
    expect(model.objectBucket).toEqual(TEST_BUCKET);
    expect(model.bundle.config).toEqual({});
  });

  it('reports the parse problems of the registry and nothing else', () => {
    expect(buildModel(inputs({ registry: { ...registry(), kind: 'QuayEcosystem' } }))).toEqual({
      problems: [invalid('kind', 'must be QuayRegistry, got "QuayEcosystem"')],
    });
  });

  it('reports a configBundleSecret whose Secret was not found', () => {
    expect(buildModel(inputs({ registry: registry({ configBundleSecret: 'config-bundle-secret' }) }))).toEqual({
      problems: [invalid('spec.configBundleSecret', 'Secret `config-bundle-secret` not found in namespace quay-enterprise')],
    });
  });

  it('uses the bundle it is given', () => {
    const result = buildModel(
      inputs({ registry: registry({ configBundleSecret: 'config-bundle-secret' }), bundle: testBundle({ 'config.yaml': 'SERVER_HOSTNAME: registry.example.com\n' }) }),
    );
    expect(result.problems).toEqual([]);
    expect(result.model?.hostnames).toEqual({ server: 'registry.example.com', buildManager: undefined, fromConfig: true });
  });

  it('keeps existing keys and generates the rest', () => {
    const existing = ensureManagedKeys('example-registry', {}, fixedRandom(5));
    expect(buildModel(inputs({ existingKeys: existing })).model?.keys).toEqual(existing);
    expect(buildModel(inputs({ existingKeys: { SECRET_KEY: 'restored' } })).model?.keys.SECRET_KEY).toBe('restored');
  });

  it('collects the problems of component resolution, component config and host names together', () => {
    const result = buildModel(
      inputs({
        registry: registry({ components: [{ kind: 'route', managed: true }, { kind: 'postgres', managed: false }] }),
        // A cluster that serves no exposure API: not even an Ingress can be rendered for the route.
        environment: { ...testEnvironment('kubernetes'), capabilities: { ...testEnvironment('kubernetes').capabilities, ingress: false, httpRoutes: false, tlsRoutes: false }, appsDomain: undefined },
      }),
    );
    expect(result).toEqual({
      problems: [
        {
          path: 'spec.components[0]',
          reason: 'ComponentUnsupported',
          message:
            'error validating component `route`: Route API not available (route.openshift.io/v1), nor Ingress (networking.k8s.io/v1); mark it managed: false and configure it in the config bundle',
        },
        missing('postgres'),
        missing('objectstorage'),
        missing('tls'),
        invalid('config.yaml', 'SERVER_HOSTNAME is not set and the cluster apps domain is unknown: set SERVER_HOSTNAME in config.yaml, or pass --apps-domain'),
      ],
    });
  });

  it('collects the certificate problems with the component problems', () => {
    const result = buildModel(
      inputs({
        registry: registry({ configBundleSecret: 'config-bundle-secret', components: [{ kind: 'postgres', managed: false }] }),
        bundle: testBundle({ 'config.yaml': 'SERVER_HOSTNAME: registry.other.com\n', 'ssl.cert': fixture('leaf.crt'), 'ssl.key': fixture('leaf.key') }),
      }),
    );
    expect(result).toEqual({
      problems: [
        missing('postgres'),
        invalid('ssl.cert', `provided certificate pair not valid for host 'registry.other.com': the certificate covers ${LEAF_COVERS}`),
      ],
    });
  });
});

describe('buildModel: the user certificate', () => {
  const withBundle = (files: Record<string, string>, spec: Record<string, unknown> = {}) =>
    buildModel(inputs({ registry: registry({ configBundleSecret: 'config-bundle-secret', ...spec }), bundle: testBundle(files) }));
  const leaf = () => ({ 'ssl.cert': fixture('leaf.crt'), 'ssl.key': fixture('leaf.key') });

  it('rejects a certificate that does not cover SERVER_HOSTNAME', () => {
    expect(withBundle({ 'config.yaml': 'SERVER_HOSTNAME: registry.other.com:8443\n', ...leaf() })).toEqual({
      problems: [invalid('ssl.cert', `provided certificate pair not valid for host 'registry.other.com': the certificate covers ${LEAF_COVERS}`)],
    });
  });

  it('accepts the leaf certificate for SERVER_HOSTNAME example-registry-quay-quay-enterprise.apps.example.com', () => {
    const result = withBundle({ 'config.yaml': `SERVER_HOSTNAME: ${HOST}\n`, ...leaf() });
    expect(result.problems).toEqual([]);
    expect(result.model?.components.tls.managed).toBe(false);
    expect(result.model?.hostnames.server).toBe(HOST);
  });

  it('checks the certificate against the Route host when SERVER_HOSTNAME is unset', () => {
    expect(withBundle({ ...leaf() }).problems).toEqual([]);
    const other = buildModel(
      inputs({
        registry: { ...registry({ configBundleSecret: 'config-bundle-secret' }), metadata: { name: 'other-registry', namespace: 'quay-enterprise' } },
        bundle: testBundle({ ...leaf() }),
      }),
    );
    expect(other.problems).toEqual([
      invalid(
        'ssl.cert',
        `provided certificate pair not valid for host 'other-registry-quay-quay-enterprise.apps.example.com': the certificate covers ${LEAF_COVERS}`,
      ),
    ]);
  });

  it('checks the certificate against BUILDMAN_HOSTNAME too', () => {
    expect(withBundle({ 'config.yaml': `SERVER_HOSTNAME: ${HOST}\nBUILDMAN_HOSTNAME: ${BUILDER_HOST}:443\n`, ...leaf() }).problems).toEqual([]);
    expect(withBundle({ 'config.yaml': `SERVER_HOSTNAME: ${HOST}\nBUILDMAN_HOSTNAME: builder.other.com:443\n`, ...leaf() })).toEqual({
      problems: [invalid('ssl.cert', `provided certificate pair not valid for host 'builder.other.com': the certificate covers ${LEAF_COVERS}`)],
    });
  });

  it('rejects a key that does not match the certificate', () => {
    expect(withBundle({ 'config.yaml': `SERVER_HOSTNAME: ${HOST}\n`, 'ssl.cert': fixture('leaf.crt'), 'ssl.key': fixture('other.key') })).toEqual({
      problems: [invalid('ssl.key', 'does not match the certificate in ssl.cert')],
    });
  });

  it('says ssl.key is missing when the bundle has ssl.cert alone', () => {
    const result = withBundle({ 'config.yaml': `SERVER_HOSTNAME: ${HOST}\n`, 'ssl.cert': fixture('leaf.crt') });
    expect(result.model).toBeUndefined();
    expect(result.problems).toContainEqual(invalid('ssl.key', 'is missing; it is required when ssl.cert is given'));
  });
});
