// Quay and Clair named by a geo-replication's global load balancers, and a disconnected Clair's
// config from one registry setting (the seeds' air-gapped section), as Quay and Clair end up
// reading them, and what the render makes of them (Clair's NetworkPolicy, Quay's NO_PROXY).
import * as yaml from 'js-yaml';
import { clairBaseConfig, clairConfig, clairConfigForClairctl } from '../../lib/config/clair-config';
import { clairEndpoint, globalClairEndpoint, quayConfig } from '../../lib/config/quay-config';
import { clairDatabaseCredentials } from '../../constructs/clair-postgres';
import { renderRegistry } from '../../lib/synth';
import { testModel } from '../support/model';

type Json = Record<string, any>;
const GLOBAL = 'https://georep-clair.example.com';
const withEndpoint = (extra = '') => testModel({ files: { 'config.yaml': `SERVER_HOSTNAME: georep.example.com\nSECURITY_SCANNER_V4_ENDPOINT: ${GLOBAL}/\n${extra}` } });

describe('a global Clair endpoint with a managed Clair', () => {
  const model = withEndpoint();

  it('Quay calls Clair there (the trailing slash dropped), not at the local Service', () => {
    expect(clairEndpoint(model)).toBe(GLOBAL);
    expect(quayConfig(model).SECURITY_SCANNER_V4_ENDPOINT).toBe(GLOBAL);
    expect(quayConfig(testModel()).SECURITY_SCANNER_V4_ENDPOINT).toBe('http://example-registry-clair-app.quay-enterprise.svc.cluster.local');
  });

  it('the PSK and the rest of the scanner settings stay the operator\'s', () => {
    expect(quayConfig(model)).toMatchObject({ FEATURE_SECURITY_SCANNER: true, SECURITY_SCANNER_V4_PSK: model.keys.SECURITY_SCANNER_V4_PSK });
  });

  it('Clair names itself by the load balancer in its notifications, and Quay by SERVER_HOSTNAME', () => {
    const webhook = (clairConfig(model).notifier as Json).webhook;
    expect(webhook).toEqual({ callback: `${GLOBAL}/notifier/api/v1/notifications`, target: 'https://georep.example.com/secscan/notification' });
    expect(((clairConfig(testModel()).notifier as Json).webhook as Json).callback).toBe('http://example-registry-clair-app/notifier/api/v1/notifications');
  });

  it("Clair's NetworkPolicy admits any source on its API port (the load balancer and the router), not only this site's Quay", () => {
    const policy = (m: ReturnType<typeof testModel>) => renderRegistry(m).objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'example-registry-clair-app') as Json;
    expect(policy(model).spec.ingress).toEqual([{ ports: [{ protocol: 'TCP', port: 8080 }] }]);
    expect(policy(testModel()).spec.ingress[0].from).toEqual([{ podSelector: { matchLabels: { 'quay-component': 'quay-app', 'quay-operator/quayregistry': 'example-registry' } } }]);
  });

  it("behind a proxy, Quay reaches the Clair load balancer directly, as its own host", () => {
    const proxied = testModel({
      files: { 'config.yaml': `SERVER_HOSTNAME: georep.example.com\nSECURITY_SCANNER_V4_ENDPOINT: ${GLOBAL}\n` },
      environment: { proxy: { httpsProxy: 'http://proxy.example.com:3128' } },
    });
    const app = renderRegistry(proxied).objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'example-registry-quay-app') as Json;
    const noProxy = app.spec.template.spec.containers[0].env.find((e: Json) => e.name === 'NO_PROXY').value.split(',');
    expect(noProxy).toEqual(expect.arrayContaining(['georep.example.com', 'georep-clair.example.com']));
  });
});

describe("SECURITY_SCANNER_V4_ENDPOINT naming the managed Clair's own Service: not a global endpoint", () => {
  const endpoint = (value: string, extra = '') => testModel({ files: { 'config.yaml': `SERVER_HOSTNAME: georep.example.com\nSECURITY_SCANNER_V4_ENDPOINT: ${value}\n${extra}` } });
  const policy = (m: ReturnType<typeof testModel>) => renderRegistry(m).objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'example-registry-clair-app') as Json;
  const QUAY_ONLY = [{ podSelector: { matchLabels: { 'quay-component': 'quay-app', 'quay-operator/quayregistry': 'example-registry' } } }];
  const SERVICE = 'example-registry-clair-app';
  const LOCAL = ['', '.quay-enterprise', '.quay-enterprise.svc', '.quay-enterprise.svc.cluster.local'].flatMap((suffix) =>
    ['', ':80', '/', ':80/'].map((tail) => `http://${SERVICE}${suffix}${tail}`),
  );

  it.each(LOCAL)('%s: local, so Clair admits only Quay; Quay still calls it there', (value) => {
    const model = endpoint(value);
    expect(globalClairEndpoint(model)).toBe(false);
    expect(clairEndpoint(model)).toBe(value.replace(/\/+$/, ''));
    expect(policy(model).spec.ingress[0].from).toEqual(QUAY_ONLY);
    expect(((clairConfig(model).notifier as Json).webhook as Json).callback).toBe(`http://${SERVICE}/notifier/api/v1/notifications`);
  });

  it.each([
    ['another port', `http://${SERVICE}:8080`],
    ['https', `https://${SERVICE}.quay-enterprise.svc`],
    ['another namespace', `http://${SERVICE}.other-namespace.svc`],
    ['another registry', 'http://other-registry-clair-app.quay-enterprise.svc'],
    ['a name that only starts like it', `http://${SERVICE}.quay-enterprise.svc.example.com`],
    ['the load balancer', 'https://georep-clair.example.com'],
  ])('%s (%s): global, any source', (_what, value) => {
    const model = endpoint(value);
    expect(globalClairEndpoint(model)).toBe(true);
    expect(policy(model).spec.ingress).toEqual([{ ports: [{ protocol: 'TCP', port: 8080 }] }]);
  });

  it("behind a proxy, the Service's short names bypass it as the configured host (.svc and .cluster.local cover the others)", () => {
    const proxied = (value: string) => {
      const m = testModel({ files: { 'config.yaml': `SERVER_HOSTNAME: georep.example.com\nSECURITY_SCANNER_V4_ENDPOINT: ${value}\n` }, environment: { proxy: { httpsProxy: 'http://proxy.example.com:3128' } } });
      const app = renderRegistry(m).objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'example-registry-quay-app') as Json;
      return app.spec.template.spec.containers[0].env.find((e: Json) => e.name === 'NO_PROXY').value.split(',');
    };
    expect(proxied(`http://${SERVICE}`)).toContain(SERVICE);
    expect(proxied(`http://${SERVICE}.quay-enterprise`)).toContain(`${SERVICE}.quay-enterprise`);
  });
});

describe('spec.clair.disconnected: the seeds\' air-gapped Clair from one setting', () => {
  const disconnected = testModel({ spec: { clair: { disconnected: true } } });

  it('the indexer is air-gapped and the matcher runs no updaters, in the ConfigMap Clair reads', () => {
    const root = clairBaseConfig(disconnected);
    expect([(root.indexer as Json).airgap, (root.matcher as Json).disable_updaters]).toEqual([true, true]);
    const configMap = renderRegistry(disconnected).objects.find((o) => o.kind === 'ConfigMap' && /^example-registry-clair-config-/.test(o.metadata.name)) as Json;
    expect(yaml.load(configMap.data['config.yaml'])).toMatchObject({ indexer: { airgap: true }, matcher: { disable_updaters: true } });
  });

  it('and in the copy clairctl reads (<name>-clair-config-secret, the seeds\' airgap steps)', () => {
    const copy = clairConfigForClairctl(disconnected, clairDatabaseCredentials(disconnected.keys));
    expect([(copy.indexer as Json).airgap, (copy.matcher as Json).disable_updaters]).toEqual([true, true]);
  });

  it('without it, neither is set (Clair\'s defaults: updaters run, the indexer fetches from anywhere)', () => {
    for (const model of [testModel(), testModel({ spec: { clair: { disconnected: false } } })]) {
      const config = clairConfig(model);
      expect([(config.indexer as Json).airgap, (config.matcher as Json).disable_updaters]).toEqual([undefined, undefined]);
    }
  });

  it("the user's clair-config.yaml still wins key by key (e.g. updaters through a proxy)", () => {
    const model = testModel({ spec: { clair: { disconnected: true } }, files: { 'config.yaml': '', 'clair-config.yaml': 'matcher:\n  disable_updaters: false\n' } });
    expect([(clairConfig(model).indexer as Json).airgap, (clairConfig(model).matcher as Json).disable_updaters]).toEqual([true, false]);
  });
});
