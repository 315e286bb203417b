// What Clair's pods mount, case by case (constructs/clair.ts clairPodParts): the bundle's Clair files
// and CAs in name order, empty and prefix-only keys left out, Quay's certificate from spec.tlsSecret,
// no sources at all; what rolls Clair (its inputs hash); its proxy list; its ConfigMap's YAML form.
import * as yaml from 'js-yaml';
import { App, Chart } from 'cdk8s';
import { Clair, clairConfigMapData, clairPodParts, clairProxyEnv } from '../../constructs/clair';
import { CLAIR_AUTH_KEY, clairAuthSecretName } from '../../lib/config/clair-config';
import type { RegistryModel } from '../../lib/model';
import { ingressTerminatedModel, testModel, tlsFixture } from '../support/model';
import { validateAll } from '../support/schema';

type Obj = Record<string, any>;

const HOST = 'example-registry-quay-quay-enterprise.apps.example.com';

function deployment(model: RegistryModel): Obj {
  const chart = new Chart(new App(), 'test', { namespace: 'quay-enterprise', disableResourceNameHashes: true });
  new Clair(chart, 'clair', { model });
  const objs = chart.toJson();
  validateAll(objs);
  return objs.find((o) => o.kind === 'Deployment') as Obj;
}
const hashOf = (model: RegistryModel) => deployment(model).spec.template.metadata.annotations['quay-operator/config-hash'];

describe("Clair's volumes", () => {
  test('no Clair files, no CAs, no certificate: the config from the operator alone, a certificates volume without sources', () => {
    const model = ingressTerminatedModel();
    const parts = clairPodParts(model);
    expect(parts.config.volume.projected?.sources).toEqual([
      { configMap: { name: expect.stringMatching(/^example-registry-clair-config-[0-9a-f]{10}$/), items: [{ key: 'config.yaml', path: 'config.yaml' }] } },
      { secret: { name: clairAuthSecretName('example-registry'), items: [{ key: CLAIR_AUTH_KEY, path: 'config.yaml.d/10-auth.yaml' }] } },
    ]);
    expect(parts.certificates.volume).toEqual({ name: 'certificates', projected: {} });
    expect(parts.trustedCa).toBeUndefined();
  });

  test("the bundle's Clair files and CAs, in name order whatever order the bundle lists them; empty or prefix-only keys are none", () => {
    const model = ingressTerminatedModel({
      'extra_ca_cert_b.crt': 'B',
      'clair-ssl.key': tlsFixture('leaf.key'),
      extra_ca_cert_: 'X',
      'extra_ca_cert_empty.crt': '',
      'clair-config.yaml': 'log_level: debug\n',
      'clair-ssl.crt': tlsFixture('leaf.crt'),
      'extra_ca_cert_a.crt': 'A',
    });
    const parts = clairPodParts(model);
    expect(parts.config.volume.projected?.sources?.[2]).toEqual({
      secret: {
        name: 'config-bundle-secret',
        items: [
          { key: 'clair-config.yaml', path: 'config.yaml.d/50-user.yaml' },
          { key: 'clair-ssl.crt', path: 'clair-ssl.crt' },
          { key: 'clair-ssl.key', path: 'clair-ssl.key' },
        ],
      },
    });
    expect(parts.certificates.volume).toEqual({
      name: 'certificates',
      projected: {
        sources: [
          {
            secret: {
              name: 'config-bundle-secret',
              items: [
                { key: 'extra_ca_cert_a.crt', path: 'a.crt' },
                { key: 'extra_ca_cert_b.crt', path: 'b.crt' },
              ],
            },
          },
        ],
      },
    });
  });

  test("Quay's certificate from spec.tlsSecret is trusted as ssl.cert, beside OpenShift's service CA", () => {
    const model = testModel({
      files: { 'config.yaml': `SERVER_HOSTNAME: ${HOST}\n` },
      spec: { tlsSecret: 'registry-tls', components: [{ kind: 'tls', managed: false }] },
      tlsSecret: { 'tls.crt': tlsFixture('leaf.crt'), 'tls.key': tlsFixture('leaf.key') },
    });
    expect(clairPodParts(model).certificates.volume).toEqual({
      name: 'certificates',
      projected: {
        sources: [
          { secret: { name: 'registry-tls', items: [{ key: 'tls.crt', path: 'ssl.cert' }] } },
          { configMap: { name: 'example-registry-cluster-service-ca', optional: true } },
        ],
      },
    });
  });

  test('an air-gapped clair-config.yaml adds a drop-in, listed in name order before config.yaml', () => {
    const items = (clairPodParts(ingressTerminatedModel({ 'clair-config.yaml': 'indexer: {airgap: true}\n' })).config.volume.projected?.sources?.[0] as Obj).configMap.items;
    expect(items).toEqual([
      { key: '90-airgap.yaml', path: 'config.yaml.d/90-airgap.yaml' },
      { key: 'config.yaml', path: 'config.yaml' },
    ]);
  });

  test('the layer volume carries the override labels under the selector, and the storageClassName override', () => {
    const model = testModel({ spec: { components: [{ kind: 'clair', managed: true, overrides: { labels: { team: 'scan' }, storageClassName: 'fast', volumeSize: '40Gi' } }] } });
    const layers = deployment(model).spec.template.spec.volumes.find((v: Obj) => v.name === 'indexer-layer-storage');
    expect(layers.ephemeral.volumeClaimTemplate).toEqual({
      metadata: { labels: { team: 'scan', 'quay-component': 'clair-app', 'quay-operator/quayregistry': 'example-registry' } },
      spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'fast', resources: { requests: { storage: '40Gi' } } },
    });
  });
});

describe('what rolls Clair', () => {
  test("each file it reads counts, not only the last: a changed first CA rolls it", () => {
    const base = hashOf(ingressTerminatedModel({ 'extra_ca_cert_a.crt': 'A', 'extra_ca_cert_b.crt': 'B' }));
    expect(hashOf(ingressTerminatedModel({ 'extra_ca_cert_a.crt': 'A', 'extra_ca_cert_b.crt': 'B' }))).toBe(base);
    expect(hashOf(ingressTerminatedModel({ 'extra_ca_cert_a.crt': 'A2', 'extra_ca_cert_b.crt': 'B' }))).not.toBe(base);
  });

  test("a renewed certificate of spec.tlsSecret (which Clair trusts)", () => {
    const withPair = (crt: string, key: string) =>
      testModel({
        files: { 'config.yaml': `SERVER_HOSTNAME: ${HOST}\n` },
        spec: { tlsSecret: 'registry-tls', components: [{ kind: 'tls', managed: false }] },
        tlsSecret: { 'tls.crt': tlsFixture(crt), 'tls.key': tlsFixture(key) },
      });
    expect(hashOf(withPair('wildcard.crt', 'wildcard.key'))).not.toBe(hashOf(withPair('leaf.crt', 'leaf.key')));
  });
});

describe("Clair's proxy", () => {
  test('an HTTPS proxy alone is a proxy; the list is trimmed, empty entries and repeats dropped', () => {
    const model = testModel({ environment: { proxy: { httpsProxy: 'http://proxy:3129', noProxy: ` a.example.com , ,${HOST},b.example.com` } } });
    expect(clairProxyEnv(model)).toEqual([
      { name: 'HTTPS_PROXY', value: 'http://proxy:3129' },
      { name: 'NO_PROXY', value: `${HOST},a.example.com,b.example.com` },
    ]);
    expect(clairProxyEnv(testModel({ environment: { proxy: { noProxy: 'a.example.com' } } }))).toEqual([]);
    // No NO_PROXY of the cluster's: Quay's host alone.
    expect(clairProxyEnv(testModel({ environment: { proxy: { httpProxy: 'http://proxy:3128' } } }))).toEqual([
      { name: 'HTTP_PROXY', value: 'http://proxy:3128' },
      { name: 'NO_PROXY', value: HOST },
    ]);
  });
});

describe("Clair's ConfigMap", () => {
  test('YAML with sorted keys and no folded lines, so the same config always has the same name', () => {
    const text = clairConfigMapData(testModel())['config.yaml'];
    expect(text).toBe(yaml.dump(yaml.load(text), { sortKeys: true, lineWidth: -1, noRefs: true }));
    const top = text.split('\n').filter((l) => /^[a-z_]+:/.test(l)).map((l) => l.split(':')[0]);
    expect(top).toEqual([...top].sort());
    // The connstrings are longer than js-yaml's default width (80): unfolded, each stays on its line.
    expect(text.split('\n').filter((l) => l.trim().startsWith('connstring: host=') && l.length > 80)).toHaveLength(3);
  });
});
