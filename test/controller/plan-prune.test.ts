// The planner's pruning and replacement rules that plan.test.ts's pruning table leaves out: a
// Deployment whose immutable selector changed is replaced (selectors compared as the API server
// stores them), old config kept while its readers are not known, the older keys Secret never pruned,
// a running Job pruned unless it is a migration, and the config candidates the reconciler lists pods for.
import { configPruneCandidates, plan } from '../../lib/controller/plan';
import type { KubeObject } from '../../lib/synth';
import { NAMESPACE, OTHER_UID, UID, deploymentNamed, find, healthyCluster, keysOf, liveDeployment, n, observe, owned, secret } from '../support/observed';
import { QUAY_APP, applied, bundled, planFor, renderOwned } from '../support/plan';

type Obj = Record<string, any>;
const model = bundled();
const VERSION = model.environment.quayVersion;
const rendered = renderOwned(model);
const current = () => healthyCluster(rendered, VERSION);

describe('a Deployment whose live selector differs (immutable)', () => {
  const withSelector = (selector: Obj) => {
    const live = liveDeployment(find(rendered, 'Deployment', n('quay-app'))) as Obj;
    return { ...live, spec: { ...live.spec, selector } } as unknown as KubeObject;
  };
  const planWithQuayApp = (live: KubeObject) => planFor({ observed: observe(current().filter((o) => keysOf([o])[0] !== QUAY_APP), live), currentVersion: VERSION }).result;

  test("upstream's quay-app (selector app: quay): replaced, not applied over", () => {
    const live = withSelector({ matchLabels: { app: 'quay' } });
    const result = planWithQuayApp(live);
    expect(result.replace).toEqual([live]);
    expect(keysOf(result.apply)).not.toContain(QUAY_APP);
  });

  test('the same labels in another order, and an empty matchExpressions as the server may store it: the same selector', () => {
    const labels = (find(rendered, 'Deployment', n('quay-app')) as Obj).spec.selector.matchLabels as Record<string, string>;
    const reversed = Object.fromEntries(Object.entries(labels).reverse());
    expect(Object.keys(reversed)).not.toEqual(Object.keys(labels));
    const result = planWithQuayApp(withSelector({ matchLabels: reversed, matchExpressions: [] }));
    expect(result.replace).toEqual([]);
    expect(applied(result, QUAY_APP)).toEqual(find(rendered, 'Deployment', n('quay-app')));
  });

  test('a selector with a matchExpressions the render does not have: replaced', () => {
    const labels = (find(rendered, 'Deployment', n('quay-app')) as Obj).spec.selector.matchLabels;
    const live = withSelector({ matchLabels: labels, matchExpressions: [{ key: 'tier', operator: 'Exists' }] });
    expect(planWithQuayApp(live).replace).toEqual([live]);
  });
});

describe('config objects no longer rendered', () => {
  const old = () => secret(n('quay-config-secret-0000000000'));

  test('an old Secret while the pods are not listed: kept and reported in use, not removed', () => {
    const { result } = planFor({ observed: observe(current(), old()), currentVersion: VERSION });
    expect(result.remove).toEqual([]);
    expect(result.configInUse).toEqual([`Secret/${n('quay-config-secret-0000000000')}`]);
  });

  test("the older keys Secret (upstream's hashed name): never pruned, not even reported", () => {
    const keys = secret(n('quay-registry-managed-secret-keys-5c9f7d8b6k'));
    const { result } = planFor({ observed: { ...observe(current(), keys, old()), pods: [] }, currentVersion: VERSION });
    expect(keysOf(result.remove)).toEqual([`Secret/${n('quay-config-secret-0000000000')}`]);
    expect(result.configInUse).toEqual([]);
  });

  test('configPruneCandidates: owned Secrets and ConfigMaps of the namespace that are not rendered, nothing else', () => {
    const oldMap = { ...secret(n('quay-config-0000000000')), kind: 'ConfigMap' } as KubeObject;
    const observed = observe(
      current(),
      old(),
      oldMap,
      deploymentNamed(n('quay-old')),
      secret(n('quay-config-secret-1111111111'), { uid: OTHER_UID }),
      secret(n('quay-config-secret-2222222222'), { namespace: 'elsewhere' }),
      secret(n('quay-config-secret-3333333333'), { uid: null }),
    );
    expect(keysOf(configPruneCandidates(model, rendered, observed, UID))).toEqual([`Secret/${n('quay-config-secret-0000000000')}`, `ConfigMap/${n('quay-config-0000000000')}`]);
    expect(configPruneCandidates(model, rendered, observe(current()), UID)).toEqual([]);
  });
});

test('an owned Job no longer rendered goes even while it runs (only a migration is never stopped halfway)', () => {
  const job = owned({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: n('clair-import-0123abcd'), namespace: NAMESPACE }, status: { active: 1 } } as KubeObject);
  const p = plan(model, rendered, { ...observe(current(), job), pods: [] }, VERSION, UID);
  expect(p.remove).toEqual([job]);
});
