// Volumes grow but never shrink: a smaller volumeSize than the live claim keeps the live size.
import { Applier } from '../../lib/controller/applier';
import { plan } from '../../lib/controller/plan';
import { renderRegistry } from '../../lib/synth';
import { testModel } from '../support/model';
import { UID, find, observe, owned, ownedAll } from '../support/observed';

const PVC = 'example-registry-quay-postgres-13';
const storage = (o: any) => o.spec.resources.requests.storage;

function planWith(volumeSize: string, liveSize: string | undefined) {
  const model = testModel({ spec: { components: [{ kind: 'postgres', managed: true, overrides: { volumeSize } }] } });
  const rendered = ownedAll(renderRegistry(model).objects).map(Applier.stamp);
  const live = liveSize ? [owned({ ...find(rendered, 'PersistentVolumeClaim', PVC), spec: { ...(find(rendered, 'PersistentVolumeClaim', PVC) as any).spec, resources: { requests: { storage: liveSize } } } })] : [];
  return find(plan(model, rendered, observe(live), undefined, UID).apply, 'PersistentVolumeClaim', PVC);
}

test('a new claim gets the requested size', () => expect(storage(planWith('20Gi', undefined))).toBe('20Gi'));
test('a larger volumeSize grows the live claim', () => expect(storage(planWith('100Gi', '50Gi'))).toBe('100Gi'));
test('a smaller volumeSize keeps the live size', () => expect(storage(planWith('20Gi', '50Gi'))).toBe('50Gi'));
test('the kept size is stamped anew, so the applier sees the difference', () => {
  const kept = planWith('20Gi', '50Gi');
  const requested = planWith('20Gi', undefined);
  expect(kept.metadata.annotations?.['quay-operator/applied-hash']).not.toBe(requested.metadata.annotations?.['quay-operator/applied-hash']);
});
