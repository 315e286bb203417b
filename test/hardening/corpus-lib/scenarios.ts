// The bundle Secret missing, emptied, deleted or replaced while the registry runs, and in the middle
// of a reconcile (right after the operator's first apply). Each scenario returns what went wrong; the
// expected outcome: RolloutBlocked=True naming the field, nothing deleted, nothing written but the
// registry's status and Events once the bundle is bad, and a rollout again once it is good.
import { eventually } from '../../support/cluster-sim';
import { OPERATOR_USER, reconcileCount } from '../../support/controller-harness';
import { BUNDLE, HOST, Obj, secret, withBundle } from './case';
import { ControllerCorpus, Submitted } from './run-controller';
import { aliasBomb } from './yaml-cases';

export interface Scenario {
  readonly id: string;
  readonly title: string;
  readonly always?: boolean;
  run(corpus: ControllerCorpus, namespace: string): Promise<string[]>;
}

const GOOD = `SERVER_HOSTNAME: ${HOST}\n`;
const b64 = (text: string) => Buffer.from(text).toString('base64');

function submit(corpus: ControllerCorpus, namespace: string, objects: Obj[]): Submitted {
  return corpus.submit({ id: namespace, title: namespace, objects, expect: { refused: false }, targets: ['controller'] }, namespace);
}

async function blockedWith(corpus: ControllerCorpus, s: Submitted, status: 'True' | 'False', names: readonly string[] = []): Promise<string[]> {
  let last: Obj | undefined;
  try {
    await eventually(() => {
      last = corpus.settled(s);
      if (last?.status !== status || !names.every((n) => String(last?.message).includes(n))) throw new Error('not yet');
    }, 20_000);
    return [];
  } catch {
    return [`expected RolloutBlocked=${status}${names.length ? ` naming ${names.join(', ')}` : ''}, got ${last ? `${last.status} (${last.reason}): ${String(last.message).slice(0, 200)}` : 'none'}`];
  }
}

/** The operator's writes since `mark` other than the registry's status and Events. */
function writesBesidesStatus(corpus: ControllerCorpus, s: Submitted, mark: number): string[] {
  return corpus.server
    .writes()
    .slice(mark)
    .filter((w) => w.user === OPERATOR_USER && !w.path.endsWith(`/quayregistries/${s.name}/status`) && !w.path.includes('/events'))
    .map((w) => `${w.method} ${w.path}`);
}

/** Rendered objects of the registry (labelled), by kind/name → uid. */
function rendered(corpus: ControllerCorpus, s: Submitted): Map<string, string> {
  const out = new Map<string, string>();
  for (const t of corpus.server.servedTypes()) {
    if (!t.namespaced) continue;
    for (const o of corpus.server.list(t.apiVersion, t.kind, s.namespace) as Obj[]) {
      if (o.metadata.labels?.['quay-operator/quayregistry'] === s.name) out.set(`${o.kind}/${o.metadata.name}`, o.metadata.uid);
    }
  }
  return out;
}

function lost(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...before].filter(([k, uid]) => after.get(k) !== uid).map(([k]) => `${k} deleted or replaced`);
}

/** Rolls a valid registry out, breaks its bundle with `change`, and checks the block and what stays. */
function afterRollout(id: string, title: string, objects: Obj[], change: (corpus: ControllerCorpus, s: Submitted) => void, names: readonly string[], always = false): Scenario {
  return {
    id: `bundle/${id}`,
    title,
    always,
    async run(corpus, namespace) {
      const s = submit(corpus, namespace, objects);
      const problems = await blockedWith(corpus, s, 'False');
      if (problems.length > 0) return [`first rollout: ${problems[0]}`];
      await corpus.controller.whenIdle();
      const before = rendered(corpus, s);
      const mark = corpus.server.writes().length;
      change(corpus, s);
      problems.push(...(await blockedWith(corpus, s, 'True', names)));
      await corpus.controller.whenIdle();
      problems.push(...writesBesidesStatus(corpus, s, mark).map((w) => `wrote after the bundle went bad: ${w}`));
      problems.push(...lost(before, rendered(corpus, s)));
      // Fixed again (the Secret as it was, new or updated): the registry rolls out again.
      const fixed = objects.find((o) => o.kind === 'Secret') as Obj;
      if (corpus.server.get('v1', 'Secret', namespace, BUNDLE)) corpus.server.update({ ...fixed, metadata: { ...fixed.metadata, namespace } });
      else corpus.server.create({ ...fixed, metadata: { ...fixed.metadata, namespace } });
      problems.push(...(await blockedWith(corpus, s, 'False')).map((p) => `once fixed: ${p}`));
      return problems;
    },
  };
}

const setConfig = (text: string) => (corpus: ControllerCorpus, s: Submitted) => {
  const live = corpus.server.get('v1', 'Secret', s.namespace, BUNDLE) as Obj;
  corpus.server.update({ ...live, data: { 'config.yaml': b64(text) } });
};

/** Changes the bundle right after the operator's first apply for the registry: in the middle of its reconcile. */
function midReconcile(id: string, title: string, change: (corpus: ControllerCorpus, namespace: string) => void, names: readonly string[]): Scenario {
  return {
    id: `bundle/${id}`,
    title,
    async run(corpus, namespace) {
      let changedAt: number | undefined;
      const stop = corpus.server.onChange(({ obj }) => {
        if (changedAt !== undefined || obj.metadata?.namespace !== namespace || obj.metadata?.labels?.['quay-operator/quayregistry'] === undefined || obj.kind === 'Secret') return;
        changedAt = corpus.server.writes().length;
        setImmediate(() => change(corpus, namespace));
      });
      const s = submit(corpus, namespace, withBundle({}, GOOD));
      const problems = await blockedWith(corpus, s, 'True', names);
      stop();
      await corpus.controller.whenIdle();
      if (changedAt === undefined) return [...problems, 'the operator applied nothing: the change was not mid-reconcile'];
      // The reconcile under way went on applying what it had rendered from the bundle it read.
      const applied = corpus.server.writes().slice(changedAt).filter((w) => w.user === OPERATOR_USER && w.method === 'PATCH' && !w.path.includes('/quayregistries/'));
      if (applied.length === 0) problems.push('no apply after the change: it did not happen mid-reconcile');
      // One more reconcile while blocked (an annotation changed): it writes nothing of the registry's.
      const mark = corpus.server.writes().length;
      const reconciles = reconcileCount(corpus.metrics);
      const live = corpus.registry(s) as Obj;
      corpus.server.update({ ...live, metadata: { ...live.metadata, annotations: { poke: '1' } } });
      await eventually(() => expect(reconcileCount(corpus.metrics)).toBeGreaterThan(reconciles));
      await corpus.controller.whenIdle();
      problems.push(...writesBesidesStatus(corpus, s, mark).map((w) => `wrote while blocked: ${w}`));
      return problems;
    },
  };
}

export const SCENARIOS: Scenario[] = [
  {
    id: 'bundle/missing-then-created',
    title: 'the registry before its bundle Secret: blocked, nothing applied; rolled out once the Secret exists',
    always: true,
    async run(corpus, namespace) {
      const s = submit(corpus, namespace, [withBundle({}, GOOD)[0]]);
      const problems = await blockedWith(corpus, s, 'True', ['spec.configBundleSecret', 'not found']);
      const applied = corpus.extraObjects(s).filter((x) => !x.endsWith('-quay-registry-managed-secret-keys'));
      if (applied.length > 0) problems.push(`applied before the bundle existed: ${applied.join(', ')}`);
      const bundle = secret(BUNDLE, { 'config.yaml': GOOD });
      corpus.server.create({ ...bundle, metadata: { ...bundle.metadata, namespace } });
      problems.push(...(await blockedWith(corpus, s, 'False')).map((p) => `once created: ${p}`));
      return problems;
    },
  },
  afterRollout('deleted-after-rollout', 'the bundle Secret deleted under a running registry', withBundle({}, GOOD), (corpus, s) => corpus.server.delete('v1', 'Secret', s.namespace, BUNDLE), ['spec.configBundleSecret', 'not found'], true),
  afterRollout('emptied-after-rollout', 'the bundle emptied under a registry whose postgres is unmanaged', withBundle({ components: [{ kind: 'postgres', managed: false }] }, `${GOOD}DB_URI: postgresql://quay:pw@db.example.com/quay\n`), setConfig(''), ['`postgres` marked as unmanaged']),
  afterRollout('replaced-invalid-after-rollout', 'the bundle replaced by one with DB_URI while postgres is managed', withBundle({}, GOOD), setConfig(`${GOOD}DB_URI: postgresql://x@y/z\n`), ['postgres component marked as managed', 'DB_URI']),
  afterRollout('replaced-hostile-after-rollout', 'the bundle replaced by an alias bomb', withBundle({}, GOOD), setConfig(`${GOOD}${aliasBomb()}`), ['config.yaml', 'alias bomb']),
  midReconcile('deleted-mid-reconcile', 'the bundle Secret deleted during the first reconcile', (corpus, ns) => corpus.server.delete('v1', 'Secret', ns, BUNDLE), ['spec.configBundleSecret', 'not found']),
  midReconcile('replaced-mid-reconcile', 'the bundle replaced by an invalid one during the first reconcile', (corpus, ns) => {
    const live = corpus.server.get('v1', 'Secret', ns, BUNDLE) as Obj;
    corpus.server.update({ ...live, data: { 'config.yaml': b64(`${GOOD}DISTRIBUTED_STORAGE_CONFIG: {default: [LocalStorage, {}]}\n`) } });
  }, ['objectstorage component marked as managed']),
];
