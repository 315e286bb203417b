// readOnlyPrevious: the previous version's Deployment as it is, read-only while migrations run.
import { APPLIED_HASH, Applier } from '../../lib/controller/applier';
import { readOnlyPrevious } from '../../lib/controller/plan';
import type { KubeObject } from '../../lib/synth';
import { renderRegistry } from '../../lib/synth';
import { testModel } from '../support/model';

type Obj = Record<string, any>;

function liveQuayApp(model = testModel(), env: Obj[] = []): Obj {
  const rendered = renderRegistry(model).objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'example-registry-quay-app') as Obj;
  const containers = rendered.spec.template.spec.containers.map((c: Obj) => (c.name === 'quay-app' ? { ...c, image: 'quay.io/projectquay/quay:v3.98.4', env: [...(c.env ?? []), ...env] } : c));
  return {
    ...rendered,
    metadata: { ...rendered.metadata, uid: 'u', resourceVersion: '42', annotations: { 'deployment.kubernetes.io/revision': '3', [APPLIED_HASH]: 'old', 'team': 'registry' } },
    spec: { ...rendered.spec, replicas: 4, progressDeadlineSeconds: 600, template: { ...rendered.spec.template, spec: { ...rendered.spec.template.spec, containers } } },
    status: { replicas: 4 },
  };
}
const container = (o: Obj) => (o as Obj).spec.template.spec.containers.find((c: Obj) => c.name === 'quay-app');
const rendered = (model = testModel()) => renderRegistry(model).objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'example-registry-quay-app')!;

test('the live template kept (its image), REGISTRY_STATE readonly added, no status, no foreign annotations, no replicas under a managed HPA', () => {
  const out = readOnlyPrevious(liveQuayApp() as KubeObject, rendered()) as Obj;
  expect(container(out).image).toBe('quay.io/projectquay/quay:v3.98.4');
  expect(container(out).env.at(-1)).toEqual({ name: 'QUAY_OVERRIDE_CONFIG', value: '{"REGISTRY_STATE":"readonly"}' });
  expect(out).not.toHaveProperty('status');
  expect(out.spec).not.toHaveProperty('replicas');
  expect(out.spec.progressDeadlineSeconds).toBe(600);
  expect(out.metadata).toEqual({
    name: 'example-registry-quay-app',
    namespace: 'quay-enterprise',
    labels: liveQuayApp().metadata.labels,
    annotations: { team: 'registry', [APPLIED_HASH]: Applier.stamp({ ...out, metadata: { ...out.metadata, annotations: { team: 'registry' } } } as KubeObject).metadata.annotations![APPLIED_HASH] },
  });
});

test('replicas kept where the operator sets them (HPA unmanaged): the same count keeps serving', () => {
  const model = testModel({ spec: { components: [{ kind: 'horizontalpodautoscaler', managed: false }] } });
  expect((readOnlyPrevious(liveQuayApp(model) as KubeObject, rendered(model)) as Obj).spec.replicas).toBe(4);
});

test("a QUAY_OVERRIDE_CONFIG of the user's is kept, with REGISTRY_STATE added", () => {
  const out = readOnlyPrevious(liveQuayApp(testModel(), [{ name: 'QUAY_OVERRIDE_CONFIG', value: '{"FEATURE_X":true}' }]) as KubeObject, rendered()) as Obj;
  expect(container(out).env.filter((e: Obj) => e.name === 'QUAY_OVERRIDE_CONFIG')).toEqual([{ name: 'QUAY_OVERRIDE_CONFIG', value: '{"FEATURE_X":true,"REGISTRY_STATE":"readonly"}' }]);
});

test('stable: built again from what it applied, the same object and hash (no write on the next reconcile)', () => {
  const first = readOnlyPrevious(liveQuayApp() as KubeObject, rendered()) as Obj;
  const asLive = { ...first, metadata: { ...first.metadata, uid: 'u', resourceVersion: '43', annotations: { ...first.metadata.annotations, 'deployment.kubernetes.io/revision': '4' } }, status: {} };
  expect(readOnlyPrevious(asLive as unknown as KubeObject, rendered())).toEqual(first);
});

test("the user's other env entries kept as they are, only QUAY_OVERRIDE_CONFIG replaced; apiVersion and kind of a Deployment", () => {
  const live = liveQuayApp(testModel(), [{ name: 'QUAY_OVERRIDE_CONFIG', value: '{"FEATURE_X":true}' }, { name: 'HTTP_PROXY', value: 'http://proxy:3128' }]);
  const out = readOnlyPrevious(live as KubeObject, rendered()) as Obj;
  const before = (container(live).env as Obj[]).filter((e) => e.name !== 'QUAY_OVERRIDE_CONFIG');
  expect(container(out).env).toEqual([...before, { name: 'QUAY_OVERRIDE_CONFIG', value: '{"FEATURE_X":true,"REGISTRY_STATE":"readonly"}' }]);
  expect([out.apiVersion, out.kind]).toEqual(['apps/v1', 'Deployment']);
});

test('a QUAY_OVERRIDE_CONFIG that is not JSON: replaced by the read-only state alone', () => {
  const out = readOnlyPrevious(liveQuayApp(testModel(), [{ name: 'QUAY_OVERRIDE_CONFIG', value: '{not json' }]) as KubeObject, rendered()) as Obj;
  expect(container(out).env.filter((e: Obj) => e.name === 'QUAY_OVERRIDE_CONFIG')).toEqual([{ name: 'QUAY_OVERRIDE_CONFIG', value: '{"REGISTRY_STATE":"readonly"}' }]);
});

test('a sidecar (e.g. injected by a service mesh) is left as it is: only quay-app turns read-only', () => {
  const live = liveQuayApp();
  const sidecar = { name: 'istio-proxy', image: 'istio/proxyv2:1.20', env: [{ name: 'ISTIO_META', value: 'x' }] };
  live.spec.template.spec.containers = [...live.spec.template.spec.containers, sidecar];
  const out = readOnlyPrevious(live as KubeObject, rendered()) as Obj;
  expect(out.spec.template.spec.containers.find((c: Obj) => c.name === 'istio-proxy')).toEqual(sidecar);
});

test('its ownerReferences kept (a server-side apply without them would drop the registry as owner)', () => {
  const live = liveQuayApp();
  const refs = [{ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', name: 'example-registry', uid: 'r', controller: true, blockOwnerDeletion: true }];
  live.metadata.ownerReferences = refs;
  expect((readOnlyPrevious(live as KubeObject, rendered()) as Obj).metadata.ownerReferences).toEqual(refs);
});
