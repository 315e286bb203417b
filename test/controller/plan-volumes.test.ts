// A claim is applied as the API server lets it change: it grows but never shrinks (a smaller
// volumeSize keeps the live size), and its storageClassName is immutable (a changed override keeps
// the live class; new claims get the new one).
import { Applier } from '../../lib/controller/applier';
import { plan } from '../../lib/controller/plan';
import { renderRegistry } from '../../lib/synth';
import { testModel } from '../support/model';
import { UID, find, observe, owned, ownedAll } from '../support/observed';

const PVC = 'example-registry-quay-postgres-13';
const storage = (o: any) => o.spec.resources.requests.storage;

function planWith(volumeSize: string, liveSize: string | undefined, classes: { wanted?: string; live?: string } = {}) {
  const overrides = { volumeSize, ...(classes.wanted ? { storageClassName: classes.wanted } : {}) };
  const model = testModel({ spec: { components: [{ kind: 'postgres', managed: true, overrides }] } });
  const rendered = ownedAll(renderRegistry(model).objects).map(Applier.stamp);
  const renderedSpec = (find(rendered, 'PersistentVolumeClaim', PVC) as any).spec;
  const liveSpec = { ...renderedSpec, resources: { requests: { storage: liveSize } }, storageClassName: classes.live };
  const live = liveSize ? [owned({ ...find(rendered, 'PersistentVolumeClaim', PVC), spec: liveSpec })] : [];
  return find(plan(model, rendered, observe(live), undefined, UID).apply, 'PersistentVolumeClaim', PVC) as any;
}

test('a new claim gets the requested size', () => expect(storage(planWith('20Gi', undefined))).toBe('20Gi'));
test('a larger volumeSize grows the live claim', () => expect(storage(planWith('100Gi', '50Gi'))).toBe('100Gi'));
test('a smaller volumeSize keeps the live size', () => expect(storage(planWith('20Gi', '50Gi'))).toBe('50Gi'));
test('the kept size is stamped anew, so the applier sees the difference', () => {
  const kept = planWith('20Gi', '50Gi');
  const requested = planWith('20Gi', undefined);
  expect(kept.metadata.annotations?.['quay-operator/applied-hash']).not.toBe(requested.metadata.annotations?.['quay-operator/applied-hash']);
});

describe('storageClassName', () => {
  test('a new claim gets the override', () => expect(planWith('50Gi', undefined, { wanted: 'fast-ssd' }).spec.storageClassName).toBe('fast-ssd'));
  test('no override: none is applied (the cluster default the API server set stays)', () => {
    expect(planWith('50Gi', '50Gi', { live: 'standard' }).spec).not.toHaveProperty('storageClassName');
  });
  test('the same class as the live claim: applied as rendered', () => expect(planWith('50Gi', '50Gi', { wanted: 'fast-ssd', live: 'fast-ssd' }).spec.storageClassName).toBe('fast-ssd'));
  test('another class than the live claim: the live one is kept (immutable), the size still follows', () => {
    const kept = planWith('100Gi', '50Gi', { wanted: 'fast-ssd', live: 'standard' });
    expect([kept.spec.storageClassName, storage(kept)]).toEqual(['standard', '100Gi']);
  });
});
