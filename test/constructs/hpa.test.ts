import { App, Chart } from 'cdk8s';
import { HorizontalPodAutoscalers } from '../../constructs/hpa';
import type { RegistryModel } from '../../lib/model';
import { testModel } from '../support/model';
import { validateAll } from '../support/schema';

function render(model: RegistryModel): any[] {
  const chart = new Chart(new App(), 'test', { namespace: 'quay-enterprise', disableResourceNameHashes: true });
  new HorizontalPodAutoscalers(chart, 'hpa', { model });
  const objs = chart.toJson();
  validateAll(objs);
  return objs;
}

const names = (objs: any[]) => objs.map((o) => o.metadata.name).sort();
const byName = (objs: any[], name: string) => objs.find((o) => o.metadata.name === name);

describe('HorizontalPodAutoscalers', () => {
  it('renders one autoscaling/v2 HPA per autoscaled Deployment, named like it', () => {
    const objs = render(testModel());
    expect(names(objs)).toEqual(['example-registry-clair-app', 'example-registry-quay-app', 'example-registry-quay-mirror']);
    for (const hpa of objs) {
      expect(hpa.apiVersion).toBe('autoscaling/v2');
      expect(hpa.kind).toBe('HorizontalPodAutoscaler');
      expect(hpa.metadata.namespace).toBe('quay-enterprise');
      expect(hpa.metadata.labels).toEqual({ 'quay-component': 'horizontalpodautoscaler', 'quay-operator/quayregistry': 'example-registry' });
      expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: hpa.metadata.name });
      expect(hpa.spec.minReplicas).toBe(2);
      expect(hpa.spec.metrics).toEqual([
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 90 } } },
        { type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 90 } } },
      ]);
    }
    expect(byName(objs, 'example-registry-quay-app').spec.maxReplicas).toBe(20);
    expect(byName(objs, 'example-registry-clair-app').spec.maxReplicas).toBe(10);
    expect(byName(objs, 'example-registry-quay-mirror').spec.maxReplicas).toBe(20);
  });

  it('renders none for unmanaged clair or mirror (upstream PROJQUAY-5086)', () => {
    const model = testModel({
      spec: {
        components: [
          { kind: 'clair', managed: false },
          { kind: 'clairpostgres', managed: false },
          { kind: 'mirror', managed: false },
        ],
      },
    });
    expect(names(render(model))).toEqual(['example-registry-quay-app']);
  });

  it('renders none for a component pinned at 0 replicas', () => {
    const model = testModel({ spec: { components: [{ kind: 'mirror', managed: true, overrides: { replicas: 0 } }] } });
    expect(names(render(model))).toEqual(['example-registry-clair-app', 'example-registry-quay-app']);
  });

  it('renders none for quay and mirror while the bucket claim is unbound (no Deployments yet)', () => {
    expect(names(render(testModel({ objectBucket: null })))).toEqual(['example-registry-clair-app']);
  });

  it('renders nothing when horizontalpodautoscaler is unmanaged', () => {
    expect(render(testModel({ spec: { components: [{ kind: 'horizontalpodautoscaler', managed: false }] } }))).toEqual([]);
  });

  it('takes the hpa component override labels and annotations', () => {
    const model = testModel({
      spec: { components: [{ kind: 'horizontalpodautoscaler', managed: true, overrides: { labels: { team: 'registry' }, annotations: { note: 'scaled' } } }] },
    });
    for (const hpa of render(model)) {
      expect(hpa.metadata.labels.team).toBe('registry');
      expect(hpa.metadata.labels['quay-component']).toBe('horizontalpodautoscaler');
      expect(hpa.metadata.annotations).toEqual({ note: 'scaled' });
    }
  });
});
