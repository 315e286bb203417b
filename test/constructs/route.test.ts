import { App, Chart } from 'cdk8s';
import { Routes } from '../../constructs/route';
import type { RegistryModel } from '../../lib/model';
import { testModel, tlsFixture } from '../support/model';
import { validateAll } from '../support/schema';

function render(model: RegistryModel): any[] {
  const chart = new Chart(new App(), 'test', { namespace: 'quay-enterprise', disableResourceNameHashes: true });
  new Routes(chart, 'route', { model });
  const objs = chart.toJson();
  validateAll(objs);
  return objs;
}

const byName = (objs: any[], name: string) => {
  const found = objs.find((o) => o.metadata.name === name);
  if (!found) throw new Error(`no ${name} in ${objs.map((o) => o.metadata.name).join(', ')}`);
  return found;
};

const HOST = 'example-registry-quay-quay-enterprise.apps.example.com';

/** tls defaults to unmanaged when the bundle has the user's certificate. */
function userCertificateModel(): RegistryModel {
  return testModel({ files: { 'config.yaml': `SERVER_HOSTNAME: ${HOST}\n`, 'ssl.cert': tlsFixture('leaf.crt'), 'ssl.key': tlsFixture('leaf.key') } });
}

describe('Routes', () => {
  it('renders the quay, builder and config editor Routes with edge TLS by default', () => {
    const objs = render(testModel({ files: { 'config.yaml': 'FEATURE_USER_INITIALIZE: true\n' } }));
    expect(objs.map((o) => o.metadata.name).sort()).toEqual(['example-registry-quay', 'example-registry-quay-builder', 'example-registry-quay-config-editor']);
    for (const route of objs) {
      expect(route.apiVersion).toBe('route.openshift.io/v1');
      expect(route.kind).toBe('Route');
      expect(route.metadata.namespace).toBe('quay-enterprise');
      expect(route.metadata.annotations).toEqual({ 'haproxy.router.openshift.io/timeout': '30m' });
      expect(route.spec.tls).toEqual({ termination: 'edge', insecureEdgeTerminationPolicy: 'Redirect' });
    }

    const quay = byName(objs, 'example-registry-quay');
    expect(quay.metadata.labels).toEqual({ 'quay-component': 'quay-app-route', 'quay-operator/quayregistry': 'example-registry' });
    expect(quay.spec.host).toBe(HOST);
    expect(quay.spec.to).toEqual({ kind: 'Service', name: 'example-registry-quay-app' });
    expect(quay.spec.port).toEqual({ targetPort: 'http' });

    const builder = byName(objs, 'example-registry-quay-builder');
    expect(builder.metadata.labels['quay-component']).toBe('quay-builder-route');
    expect(builder.spec.to).toEqual({ kind: 'Service', name: 'example-registry-quay-app' });
    expect(builder.spec.port).toEqual({ targetPort: 'grpc' });

    const editor = byName(objs, 'example-registry-quay-config-editor');
    expect(editor.metadata.labels['quay-component']).toBe('quay-config-editor-route');
    expect(editor.spec.to).toEqual({ kind: 'Service', name: 'example-registry-quay-config-editor' });
    expect(editor.spec.port).toEqual({ targetPort: 'http' });
    expect(editor.spec).not.toHaveProperty('host');
  });

  it('passes TLS through to Quay when the bundle has the certificate (tls unmanaged)', () => {
    const model = userCertificateModel();
    expect(model.components.tls.managed).toBe(false);
    const objs = render(model);
    const quay = byName(objs, 'example-registry-quay');
    expect(quay.spec.tls).toEqual({ termination: 'passthrough', insecureEdgeTerminationPolicy: 'Redirect' });
    expect(quay.spec.port).toEqual({ targetPort: 'https' });
    const builder = byName(objs, 'example-registry-quay-builder');
    expect(builder.spec.tls).toEqual({ termination: 'passthrough', insecureEdgeTerminationPolicy: 'Redirect' });
    expect(builder.spec.port).toEqual({ targetPort: 'grpc' });
    // The config editor serves plain HTTP: the router terminates.
    expect(byName(objs, 'example-registry-quay-config-editor').spec.tls.termination).toBe('edge');
  });

  it('takes the host from SERVER_HOSTNAME, without its port', () => {
    const quay = byName(render(testModel({ files: { 'config.yaml': 'SERVER_HOSTNAME: registry.example.com:8443\n' } })), 'example-registry-quay');
    expect(quay.spec.host).toBe('registry.example.com');
  });

  it('gives the builder Route the BUILDMAN_HOSTNAME host, without its port', () => {
    const builder = byName(render(testModel({ files: { 'config.yaml': 'BUILDMAN_HOSTNAME: builds.example.com:443\n' } })), 'example-registry-quay-builder');
    expect(builder.spec.host).toBe('builds.example.com');
  });

  it('leaves the builder host to the router without BUILDMAN_HOSTNAME', () => {
    for (const config of [undefined, 'BUILDMAN_HOSTNAME: ""\n']) {
      const builder = byName(render(testModel(config ? { files: { 'config.yaml': config } } : {})), 'example-registry-quay-builder');
      expect(builder.spec).not.toHaveProperty('host');
    }
  });

  it('takes the route override labels and annotations on every Route; an annotation may change the timeout', () => {
    const model = testModel({
      files: { 'config.yaml': 'FEATURE_USER_INITIALIZE: true\n' },
      spec: {
        components: [
          { kind: 'route', managed: true, overrides: { labels: { exposure: 'public' }, annotations: { 'haproxy.router.openshift.io/timeout': '1h', note: 'x' } } },
        ],
      },
    });
    const objs = render(model);
    expect(objs).toHaveLength(3);
    for (const route of objs) {
      expect(route.metadata.labels.exposure).toBe('public');
      expect(route.metadata.labels['quay-operator/quayregistry']).toBe('example-registry');
      expect(route.metadata.annotations).toEqual({ 'haproxy.router.openshift.io/timeout': '1h', note: 'x' });
    }
  });

  it('renders the Routes while the bucket claim is unbound (they point at Services)', () => {
    expect(render(testModel({ objectBucket: null, files: { 'config.yaml': 'FEATURE_USER_INITIALIZE: true\n' } }))).toHaveLength(3);
  });

  it('no config bundle Secret: no editor, so no editor Route', () => {
    expect(render(testModel()).map((o) => o.metadata.name).sort()).toEqual(['example-registry-quay', 'example-registry-quay-builder']);
  });
});
