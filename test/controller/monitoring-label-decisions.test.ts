// The namespace's cluster-monitoring label decided against stubs (lib/controller/monitoring-label.ts):
// when it is read, applied and removed, whose label it is (the operator's field manager, by Apply),
// and which other registries keep it. monitoring-label.test.ts runs it against the fake API server.
import type { KubeClient } from '../../lib/controller/kube-client';
import { MonitoringLabel } from '../../lib/controller/monitoring-label';
import { capturedLog } from './runtime/helpers';
import type { KubeObject } from '../../lib/synth';

type Obj = Record<string, any>;
const LABEL = 'openshift.io/cluster-monitoring';
const NS = 'quay';

const registry = (name: string, extra: Obj = {}) => ({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name, namespace: NS, ...extra.metadata }, spec: extra.spec ?? {} }) as KubeObject;
const ours = { manager: 'quay-operator', operation: 'Apply', fieldsV1: { 'f:metadata': { 'f:labels': { [`f:${LABEL}`]: {} } } } };

function setup(opts: { namespace?: Obj; others?: KubeObject[]; routes?: boolean; monitoring?: boolean; fail?: boolean } = {}) {
  const reads: string[] = [];
  const applied: Obj[] = [];
  const targets: Obj[] = [];
  const log = capturedLog();
  let fail = opts.fail ?? false;
  const client = {
    get: async (_t: unknown, _ns: unknown, name: string) => {
      reads.push(name);
      return opts.namespace;
    },
    apply: async (_t: unknown, body: Obj) => {
      if (fail) throw new Error('forbidden');
      applied.push(body);
      return body;
    },
  } as unknown as KubeClient;
  const label = new MonitoringLabel({
    client,
    registries: { get: () => undefined, list: (ns?: string) => (ns === NS ? (opts.others ?? []) : []) },
    environment: () => ({ capabilities: { routes: opts.routes ?? true, monitoring: opts.monitoring ?? true } }) as never,
    logger: log.logger,
    guarded: async (_r, target, write) => {
      targets.push(target);
      try {
        await write();
        return undefined;
      } catch (err) {
        return err;
      }
    },
  });
  const messages = () => log.lines.map((l) => [l.msg, l.namespace]);
  return { label, reads, applied, targets, messages, healed: () => (fail = false) };
}

const me = registry('a');

test('not OpenShift: nothing read, nothing written', async () => {
  const s = setup({ routes: false });
  expect(await s.label.reconcile(me, true, true)).toEqual({ writes: 0 });
  expect(s.reads).toEqual([]);
});

test('wanted and not there: applied once (one read first), then known', async () => {
  const s = setup({ namespace: { metadata: { name: NS, labels: {} } } });
  expect(await s.label.reconcile(me, true, false)).toEqual({ writes: 1 });
  expect(s.applied).toEqual([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS, labels: { [LABEL]: 'true' } } }]);
  expect(s.targets).toEqual([{ verb: 'apply', kind: 'Namespace', name: NS }]);
  expect(s.messages()).toEqual([['namespace labelled for cluster monitoring', NS]]);
  expect(await s.label.reconcile(me, true, false)).toEqual({ writes: 0 });
  expect(s.reads).toEqual([NS]);
});

test('already applied by the operator (after a restart): not applied again', async () => {
  const s = setup({ namespace: { metadata: { name: NS, labels: { [LABEL]: 'true' }, managedFields: [{ manager: 'kubectl', operation: 'Update' }, ours] } } });
  expect(await s.label.reconcile(me, true, false)).toEqual({ writes: 0 });
  expect(s.applied).toEqual([]);
});

test.each([
  ['set by someone else', { manager: 'kubectl-client-side-apply', operation: 'Update', fieldsV1: ours.fieldsV1 }],
  ['the operator, but by Update', { ...ours, operation: 'Update' }],
  ['the operator, for other labels', { ...ours, fieldsV1: { 'f:metadata': { 'f:labels': { 'f:other': {} } } } }],
  ['the operator, without fields', { manager: 'quay-operator', operation: 'Apply' }],
  ['the operator, for annotations only', { ...ours, fieldsV1: { 'f:metadata': { 'f:annotations': {} } } }],
  ['the operator, for no metadata', { ...ours, fieldsV1: { 'f:spec': {} } }],
])('a label %s is not the operator\'s: applied when wanted, never removed', async (_what, entry) => {
  const wanted = setup({ namespace: { metadata: { name: NS, labels: { [LABEL]: 'true' }, managedFields: [entry] } } });
  expect(await wanted.label.reconcile(me, true, false)).toEqual({ writes: 1 });
  const leaving = setup({ namespace: { metadata: { name: NS, labels: { [LABEL]: 'true' }, managedFields: [entry] } } });
  expect(await leaving.label.reconcile(me, false, true)).toEqual({ writes: 0 });
  expect(leaving.applied).toEqual([]);
});

test('no longer wanted: the operator\'s label removed (an apply without it); never wanted: not even read', async () => {
  const s = setup({ namespace: { metadata: { name: NS, labels: { [LABEL]: 'true' }, managedFields: [ours] } } });
  expect(await s.label.reconcile(me, false, true)).toEqual({ writes: 1 });
  expect(s.applied).toEqual([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }]);
  expect(s.messages()).toEqual([['cluster monitoring label removed', NS]]);
  const never = setup({ namespace: { metadata: { name: NS } } });
  expect(await never.label.reconcile(me, false, false)).toEqual({ writes: 0 });
  expect(never.reads).toEqual([]);
  // A namespace without labels at all, or not readable: not the operator's label.
  const bare = setup({ namespace: { metadata: { name: NS } } });
  expect(await bare.label.reconcile(me, false, true)).toEqual({ writes: 0 });
  expect(await setup({}).label.reconcile(me, false, true)).toEqual({ writes: 0 });
});

test('a refused write is returned and tried again next time', async () => {
  const s = setup({ namespace: { metadata: { name: NS } }, fail: true });
  const first = await s.label.reconcile(me, true, false);
  expect(first).toEqual({ writes: 0, error: new Error('forbidden') });
  s.healed();
  expect(await s.label.reconcile(me, true, false)).toEqual({ writes: 1 });
});

describe('other registries in the namespace', () => {
  const keep = async (others: KubeObject[], monitoring = true) => {
    const s = setup({ namespace: { metadata: { name: NS, labels: { [LABEL]: 'true' }, managedFields: [ours] } }, others, monitoring });
    return (await s.label.reconcile(me, false, true)).writes === 0;
  };

  test('one with monitoring managed (explicitly or by default) keeps the label', async () => {
    expect(await keep([registry('b')])).toBe(true);
    expect(await keep([registry('b', { spec: { components: [{ kind: 'monitoring', managed: true }, { kind: 'route', managed: false }] } })])).toBe(true);
  });

  test('not: this registry itself, one being deleted, one with monitoring unmanaged, or monitoring not available', async () => {
    expect(await keep([registry('a')])).toBe(false);
    expect(await keep([registry('b', { metadata: { deletionTimestamp: '2026-12-01T00:00:00Z' } })])).toBe(false);
    expect(await keep([registry('b', { spec: { components: [{ kind: 'route', managed: true }, { kind: 'monitoring', managed: false }] } })])).toBe(false);
    expect(await keep([registry('b')], false)).toBe(false);
  });
});
