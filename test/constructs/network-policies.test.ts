// spec.networkPolicies: the managed databases, Redis and Clair admit only this registry's pods that
// connect to them, on their one port; quay-app and the config editor stay open. Exact policies,
// derived checks against the pods the render holds, the PostgreSQL upgrade's `<db>-old`, the opt-out,
// the field's validation, and the fake API server taking them (a re-apply writes nothing).
import { parseQuayRegistry } from '../../lib/api/validate';
import { restoreComponentLabel } from '../../constructs/restore';
import { renderClairImportJob } from '../../constructs/clair-import';
import { KubeClient } from '../../lib/controller/kube-client';
import { resourceType } from '../../lib/controller/resources';
import { KubeObject, renderPostgresUpgrade, renderRegistry } from '../../lib/synth';
import { FakeApiServer } from '../support/fake-apiserver';
import { testModel } from '../support/model';
import { installOperator } from '../support/operator-install';
import { validateAll, validateObject } from '../support/schema';

type Obj = Record<string, any>;
const NS = 'quay-enterprise';
const REG = 'example-registry';
const FILES = { 'config.yaml': 'FEATURE_USER_INITIALIZE: true\n' };
const labels = (component: string) => ({ 'quay-component': component, 'quay-operator/quayregistry': REG });

function render(spec: Obj = {}): Obj[] {
  return renderRegistry(testModel({ files: FILES, spec })).objects as Obj[];
}
const policies = (objects: Obj[]) => objects.filter((o) => o.kind === 'NetworkPolicy');
const byName = (objects: Obj[]) => Object.fromEntries(policies(objects).map((p) => [p.metadata.name, p]));

/** The policy the construct renders: ingress only, TCP on `port`, from the named components' pods. */
function expected(name: string, component: string, port: number, from: string[]): Obj {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace: NS, labels: labels(component) },
    spec: {
      podSelector: { matchLabels: labels(component) },
      policyTypes: ['Ingress'],
      ingress: [{ from: from.map((c) => ({ podSelector: { matchLabels: labels(c) } })), ports: [{ protocol: 'TCP', port }] }],
    },
  };
}

const unmanaged = (...kinds: string[]) => ({ components: kinds.map((kind) => ({ kind, managed: false })) });

describe('the policies, every component managed (the default: on)', () => {
  const objects = render();

  test('exactly these four: Quay\'s database, Clair\'s, Redis and Clair', () => {
    expect(byName(objects)).toEqual({
      [`${REG}-quay-database`]: expected(`${REG}-quay-database`, 'postgres', 5432, ['quay-app', 'quay-mirror', 'quay-app-upgrade', 'postgres-restore']),
      [`${REG}-clair-postgres`]: expected(`${REG}-clair-postgres`, 'clair-postgres', 5432, ['clair-app', 'clair-import-updaters', 'clairpostgres-restore']),
      [`${REG}-quay-redis`]: expected(`${REG}-quay-redis`, 'redis', 6379, ['quay-app', 'quay-mirror']),
      [`${REG}-clair-app`]: expected(`${REG}-clair-app`, 'clair-app', 8080, ['quay-app']),
    });
    validateAll(policies(objects));
  });

  test('each selects exactly the pods of the Deployment behind its Service, on the port the Service targets', () => {
    for (const p of policies(objects)) {
      const selected = objects.filter((o) => o.kind === 'Deployment' && matches(p.spec.podSelector.matchLabels, o.spec.template.metadata.labels));
      expect(selected.map((d) => d.metadata.name)).toEqual([p.metadata.name]);
      const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === p.metadata.name)!;
      expect(service.spec.ports.map((x: Obj) => x.targetPort)).toContain(p.spec.ingress[0].ports[0].port);
    }
  });

  test('every client it admits is a pod template of the render (Deployment or Job) or a restore\'s Job, and quay-app, its metrics and the editor are left open', () => {
    const templates = objects.filter((o) => o.kind === 'Deployment' || o.kind === 'Job').map((o) => o.spec.template.metadata.labels as Record<string, string>);
    // A restore's Job is rendered by the controller when one is asked for (constructs/restore.ts).
    const restores = (['postgres', 'clairpostgres'] as const).map((k) => labels(restoreComponentLabel(k, 'restore')));
    // So is an updaters import's Job (constructs/clair-import.ts), when the annotation asks for one.
    const imports = (renderClairImportJob(testModel({ files: FILES }), { source: 'pvc://updaters/u.gz' }, { kind: 'pvc', claim: 'updaters', path: 'u.gz' }) as Obj[]).map((j) => j.spec.template.metadata.labels);
    for (const p of policies(objects)) {
      for (const peer of p.spec.ingress[0].from) expect([...templates, ...restores, ...imports].filter((t) => matches(peer.podSelector.matchLabels, t))).toHaveLength(1);
    }
    const open = ['quay-app', 'quay-config-editor'].map(labels);
    for (const p of policies(objects)) for (const l of open) expect(matches(p.spec.podSelector.matchLabels, l)).toBe(false);
    // The metrics Service (the ServiceMonitor's) selects quay-app's pods, which no policy selects.
    const metrics = objects.find((o) => o.kind === 'Service' && o.metadata.name === `${REG}-quay-metrics`)!;
    for (const p of policies(objects)) expect(matches(p.spec.podSelector.matchLabels, metrics.spec.selector)).toBe(false);
  });

  test('they are applied before the pods they protect', () => {
    const kinds = objects.map((o) => o.kind);
    expect(kinds.lastIndexOf('NetworkPolicy')).toBeLessThan(kinds.indexOf('Deployment'));
  });
});

function matches(selector: Record<string, string>, podLabels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([k, v]) => podLabels?.[k] === v);
}

describe('only for what is managed, admitting only what runs', () => {
  test('mirror unmanaged: Quay\'s database and Redis admit quay-app (and the migration and restore Jobs) only', () => {
    const p = byName(render(unmanaged('mirror')));
    expect(p[`${REG}-quay-database`].spec.ingress[0].from.map((f: Obj) => f.podSelector.matchLabels['quay-component'])).toEqual(['quay-app', 'quay-app-upgrade', 'postgres-restore']);
    expect(p[`${REG}-quay-redis`].spec.ingress[0].from.map((f: Obj) => f.podSelector.matchLabels['quay-component'])).toEqual(['quay-app']);
  });

  test('unmanaged databases, Redis and Clair get none: what the operator does not run, it does not fence', () => {
    const bundle = [
      'DB_URI: postgresql://quay:secret@db.example.com/quay',
      'BUILDLOGS_REDIS: {host: redis.example.com, port: 6379}',
      'USER_EVENTS_REDIS: {host: redis.example.com, port: 6379}',
    ].join('\n');
    const objects = renderRegistry(testModel({ files: { 'config.yaml': bundle }, spec: unmanaged('postgres', 'redis', 'clair', 'clairpostgres') })).objects as Obj[];
    expect(policies(objects)).toEqual([]);
  });

  test('a cluster that serves no networking.k8s.io/v1 (none does in practice; the fake can) gets none', () => {
    const model = testModel({ files: FILES });
    const objects = renderRegistry(testModel({ files: FILES, environment: { capabilities: { ...model.environment.capabilities, ingress: false } } })).objects as Obj[];
    expect(policies(objects)).toEqual([]);
  });

  test('overrides\' labels and annotations of the protected component reach its policy; the selectors stay', () => {
    const spec = { components: [{ kind: 'redis', managed: true, overrides: { labels: { team: 'registry' }, annotations: { note: 'x' } } }] };
    const p = byName(render(spec))[`${REG}-quay-redis`];
    expect(p.metadata).toEqual({ name: `${REG}-quay-redis`, namespace: NS, labels: { team: 'registry', ...labels('redis') }, annotations: { note: 'x' } });
    expect(p.spec.podSelector).toEqual({ matchLabels: labels('redis') });
  });
});

describe('spec.backup: the databases admit their backup CronJob\'s pods', () => {
  test.each([
    [undefined, ['postgres-backup'], []],
    [['postgres', 'clairpostgres'], ['postgres-backup'], ['clairpostgres-backup']],
    [['clairpostgres'], [], ['clairpostgres-backup']],
  ])('components %j', (components, quayDb, clairDb) => {
    const objects = render({ backup: { schedule: '@daily', ...(components ? { components } : {}) } });
    const from = (name: string) => byName(objects)[name].spec.ingress[0].from.map((f: Obj) => f.podSelector.matchLabels['quay-component']).filter((c: string) => c.endsWith('-backup'));
    expect([from(`${REG}-quay-database`), from(`${REG}-clair-postgres`)]).toEqual([quayDb, clairDb]);
    // Exactly the CronJobs' pod templates.
    for (const cron of objects.filter((o) => o.kind === 'CronJob')) {
      const podLabels = cron.spec.jobTemplate.spec.template.metadata.labels;
      expect(policies(objects).filter((p) => p.spec.ingress[0].from.some((f: Obj) => matches(f.podSelector.matchLabels, podLabels))).map((p) => p.metadata.name)).toHaveLength(1);
    }
  });
});

describe('opt-out: spec.networkPolicies.enabled false', () => {
  test('renders none, and nothing else changes', () => {
    const on = render();
    const off = render({ networkPolicies: { enabled: false } });
    expect(policies(off)).toEqual([]);
    expect(off).toEqual(on.filter((o) => o.kind !== 'NetworkPolicy'));
    expect(render({ networkPolicies: { enabled: true } })).toEqual(on);
    expect(render({ networkPolicies: {} })).toEqual(on);
  });
});

describe('a PostgreSQL major upgrade: `<db>-old` admits only its copy Job', () => {
  test.each([
    ['postgres', `${REG}-quay-database-old`, 'postgres-old', 'postgres-upgrade', 'Job/example-registry-quay-postgres-upgrade'],
    ['clairpostgres', `${REG}-clair-postgres-old`, 'clair-postgres-old', 'clair-postgres-upgrade', 'Job/example-registry-clair-postgres-upgrade'],
  ] as const)('%s', (kind, name, component, job, jobKey) => {
    const objs = renderPostgresUpgrade(testModel(), kind, 'old-claim', 'centos/postgresql-10-centos7') as Obj[];
    validateAll(objs);
    expect(policies(objs)).toEqual([expected(name, component, 5432, [job])]);
    const [kindName, jobName] = jobKey.split('/');
    const jobLabels = objs.find((o) => o.kind === kindName && o.metadata.name === jobName)!.spec.template.metadata.labels;
    expect(matches(policies(objs)[0].spec.ingress[0].from[0].podSelector.matchLabels, jobLabels)).toBe(true);
    const old = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === name)!;
    expect(matches(policies(objs)[0].spec.podSelector.matchLabels, old.spec.template.metadata.labels)).toBe(true);
    const off = renderPostgresUpgrade(testModel({ spec: { networkPolicies: { enabled: false } } }), kind, 'old-claim', 'x/postgresql-10') as Obj[];
    expect(policies(off)).toEqual([]);
  });
});

describe('spec.networkPolicies: validation names the field', () => {
  const registry = (networkPolicies: unknown) => ({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: REG, namespace: NS }, spec: { networkPolicies } });
  const problems = (v: unknown) => parseQuayRegistry(registry(v)).problems.map((p) => `${p.path}: ${p.message}`);

  test.each([
    [{ enabled: false }, { enabled: false }],
    [{ enabled: true }, { enabled: true }],
    [{}, {}],
  ])('%j is taken', (value, spec) => {
    expect(problems(value)).toEqual([]);
    expect(parseQuayRegistry(registry(value)).registry?.spec.networkPolicies).toEqual(spec);
  });

  test.each([
    [{ enabled: 'false' }, ['spec.networkPolicies.enabled: "false" is not true or false']],
    [{ enabled: 0 }, ['spec.networkPolicies.enabled: 0 is not true or false']],
    [{ enable: false }, ['spec.networkPolicies.enable: unknown field; networkPolicies has only enabled']],
    [false, ['spec.networkPolicies: must be a mapping with enabled (true or false)']],
    ['off', ['spec.networkPolicies: must be a mapping with enabled (true or false)']],
  ])('%j is refused', (value, expectedProblems) => {
    expect(problems(value)).toEqual(expectedProblems);
  });

  test('the CRD schema takes a boolean and refuses anything else', () => {
    expect(validateObject(registry({ enabled: false }))).toEqual([]);
    expect(validateObject(registry({ enabled: 'no' })).join('\n')).toMatch(/spec\.networkPolicies\.enabled/);
  });
});

describe('applied by the operator ServiceAccount into a new cluster, twice (the second a no-op)', () => {
  let server: FakeApiServer;
  beforeEach(async () => {
    server = await FakeApiServer.start();
  });
  afterEach(() => server.stop());

  test('the registry\'s and an upgrade\'s policies', async () => {
    const client = new KubeClient(installOperator(server));
    server.createNamespace(NS);
    const objects = [...policies(render()), ...policies(renderPostgresUpgrade(testModel(), 'postgres', 'old-claim', 'x/postgresql-10') as Obj[])] as KubeObject[];
    expect(objects).toHaveLength(5);
    for (const o of objects) await client.apply(resourceType(o.apiVersion, o.kind), o as never);
    server.advanceClock(1);
    const before = server.resourceVersion;
    for (const o of objects) await client.apply(resourceType(o.apiVersion, o.kind), o as never);
    expect(server.resourceVersion).toBe(before);
    // Stored as rendered: nothing defaulted that the render did not say.
    for (const o of objects) expect((server.get('networking.k8s.io/v1', 'NetworkPolicy', NS, o.metadata.name) as Obj).spec).toEqual(o.spec);
  });
});
