// The seeds' procedures select pods by label (`oc get pod -l ...`): each selector they use on the
// operator's pods must match the pod it means in a render of the default registry.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { renderCredentials, renderPostgresUpgrade, renderRegistry } from '../../lib/synth';
import { renderRestoreJob } from '../../constructs/restore';
import { quayRegistryCrd } from '../../lib/api/crd';
import { parseQuayRegistry } from '../../lib/api/validate';
import { quayConfig } from '../../lib/config/quay-config';
import { MANAGED_KEY_NAMES, ensureManagedKeys } from '../../lib/keys';
import { installManifests } from '../support/operator-install';
import { validateObject } from '../support/schema';
import { testModel } from '../support/model';
import { sharedDir } from '../support/shared-dir';

const SEEDS = sharedDir('seeds');

/** Every `oc|kubectl ... get pod -l <selector>` in the seeds (NooBaa's own objects aside). */
function seedPodSelectors(): string[] {
  const found = new Set<string>();
  for (const file of fs.readdirSync(SEEDS)) {
    const text = fs.readFileSync(path.join(SEEDS, file), 'utf8');
    for (const m of text.matchAll(/\b(?:oc|kubectl)\b[^\n]*?\bget pods? -l ([\w./-]+=[\w.-]+)/g)) found.add(m[1]);
  }
  return [...found].sort();
}

/** Which rendered pod templates (by their workload's name) a `k=v` selector matches. */
function matching(selector: string): string[] {
  const [k, v] = selector.split('=');
  return renderRegistry(testModel())
    .objects.filter((o) => o.kind === 'Deployment' && (o as any).spec.template.metadata.labels?.[k] === v)
    .map((o) => o.metadata.name);
}

describe("the seeds' pod selectors", () => {
  test('the seeds use these (a new one needs a row below)', () => {
    expect(seedPodSelectors()).toEqual(['app=quay', 'quay-component=postgres']);
  });

  test.each([
    // The backup procedure reads DB_URI from /conf/stack/config.yaml of a Quay pod.
    ['app=quay', ['example-registry-quay-app']],
    // ...and dumps the database from the postgres pod.
    ['quay-component=postgres', ['example-registry-quay-database']],
  ])('%s selects %j', (selector, pods) => {
    expect(matching(selector)).toEqual(pods);
  });
});

describe("the objects the seeds' commands name", () => {
  const model = testModel({ files: { 'config.yaml': 'SERVER_HOSTNAME: example-registry-quay-quay-enterprise.apps.example.com\n' } });
  // As the controller applies them: the render and the Secrets holding generated values.
  const objects = [...renderRegistry(model).objects, ...renderCredentials(model)];
  const named = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name) as Record<string, any> | undefined;
  const seeds = fs.readdirSync(SEEDS).map((f) => fs.readFileSync(path.join(SEEDS, f), 'utf8')).join('\n');

  test("airgap: `kubectl get secret example-registry-clair-config-secret -o jsonpath={.data['config.yaml']}` gives clairctl a whole config", () => {
    expect(seeds).toContain("kubectl get secret -n quay-enterprise example-registry-clair-config-secret  -o \"jsonpath={$.data['config\\.yaml']}\"");
    const secret = named('Secret', 'example-registry-clair-config-secret');
    const config = yaml.load(Buffer.from(secret!.data['config.yaml'], 'base64').toString('utf8')) as Record<string, any>;
    const login = `dbname='${model.keys.CLAIR_DB_NAME}' user='${model.keys.CLAIR_DB_USER}' password='${model.keys.CLAIR_DB_PASSWORD}'`;
    for (const svc of ['indexer', 'matcher', 'notifier']) expect(config[svc].connstring).toBe(`host=example-registry-clair-postgres port=5432 sslmode=disable pool_max_conns=33 ${login}`);
    // The seeds' excerpt: the same settings Clair runs with.
    expect(config).toMatchObject({ http_listen_addr: ':8080', log_level: 'info', indexer: { scanlock_retry: 10, layer_scan_concurrency: 5, migrations: true } });
    expect(config.auth.psk.key).toBe(model.keys.SECURITY_SCANNER_V4_PSK);
  });

  test('backup and restore: the managed keys Secret, the database pg_dump -C names, /conf/stack/config.yaml in the app=quay pod', () => {
    expect(seeds).toContain('<quay-registry-name>-quay-registry-managed-secret-keys');
    expect(named('Secret', 'example-registry-quay-registry-managed-secret-keys')).toBeDefined();
    // `pg_dump -C quayregistry-quay-database`: the database is named after the Deployment.
    expect(seeds).toMatch(/pg_dump -C quayregistry-quay-database/);
    expect(new URL(model.keys.DB_URI).pathname).toBe('/example-registry-quay-database');
    const quayApp = named('Deployment', 'example-registry-quay-app')!;
    expect(quayApp.spec.template.metadata.labels.app).toBe('quay');
    expect(quayApp.spec.template.spec.containers[0].volumeMounts).toContainEqual({ name: 'config', mountPath: '/conf/stack' });
  });

  test("scaling down for a backup: `awk '/quay-app/'`, `/quay-mirror/`, `/clair-app/` each find exactly the Deployment meant", () => {
    const deployments = objects.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name);
    for (const [pattern, meant] of [
      ['quay-app', 'example-registry-quay-app'],
      ['quay-mirror', 'example-registry-quay-mirror'],
      ['clair-app', 'example-registry-clair-app'],
    ]) {
      expect(seeds).toContain(`awk '/${pattern}/ {print $1}'`);
      expect(deployments.filter((d) => d.includes(pattern))).toEqual([meant]);
    }
  });

  test('the config editor credentials: one stable name (upstream added a content hash; the render does not know the password)', () => {
    expect(seeds).toMatch(/example-registry-quay-config-editor-credentials-[a-z0-9]{10}/);
    const secret = named('Secret', 'example-registry-quay-config-editor-credentials')!;
    expect(Object.keys(secret.data).sort()).toEqual(['password', 'reconfigure-token', 'username']);
  });
});

// The seeds' "Backing up Project Quay" and "Restoring Project Quay", command by command, against what
// the operator renders; where ours differs, the test says how and why (README "Backups and restore").
describe("the seeds' backup and restore procedure, command by command", () => {
  const seeds = fs.readdirSync(SEEDS).map((f) => fs.readFileSync(path.join(SEEDS, f), 'utf8')).join('\n');
  const model = testModel({ spec: { backup: { schedule: '0 3 * * *', components: ['postgres', 'clairpostgres'] } } });
  const objects = [...renderRegistry(model).objects, ...renderCredentials(model)] as Record<string, any>[];
  const named = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;
  const request = { dump: 'example-registry-postgres-20260102T030000Z-v3.17.3.dump', component: 'postgres' as const };
  // Every pod the operator may run for the registry: the render, a restore's Jobs, a PostgreSQL upgrade's.
  const withTransient = [
    ...objects,
    ...renderRestoreJob(model, request, 'inspect'),
    ...renderRestoreJob(model, request, 'restore'),
    ...renderPostgresUpgrade(model, 'postgres', 'example-registry-quay-database', 'centos/postgresql-10-centos7'),
  ] as Record<string, any>[];
  const template = (o: Record<string, any>) => (o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template : o.spec?.template);
  const podsLabelled = (k: string, v: string) => withTransient.filter((o) => template(o)?.metadata?.labels?.[k] === v).map((o) => `${o.kind}/${o.metadata.name}`);
  const cmd = (text: string) => expect(seeds).toContain(text);

  test('1. `oc get quayregistry ... -o yaml`, status and metadata fields removed: `oc create` takes it back as it was (the operator never writes spec)', () => {
    cmd('$ oc get quayregistry <quay-registry-name> -n <quay-namespace> -o yaml > quay-registry.yaml');
    const exported = {
      ...model.registry,
      metadata: { name: 'example-registry', namespace: 'quay-enterprise', uid: 'u', generation: 3, resourceVersion: '9', finalizers: ['quay-operator/finalizer'], creationTimestamp: '2026-01-01T00:00:00Z' },
      status: { currentVersion: 'v3.17.3', backups: [{ component: 'postgres', outcome: 'Succeeded' }] },
    };
    const { status: _s, ...edited } = { ...exported, metadata: { name: 'example-registry', namespace: 'quay-enterprise' } };
    void _s;
    expect(validateObject(edited)).toEqual([]);
    expect(parseQuayRegistry(edited).registry?.spec).toEqual(model.registry.spec);
  });

  test("3–4. the managed keys Secret: the seeds' keys and more, restored as they are (never generated anew)", () => {
    cmd('$ oc get secret -n <quay-namespace> <quay-registry-name>-quay-registry-managed-secret-keys -o yaml > managed-secret-keys.yaml');
    const keys = named('Secret', 'example-registry-quay-registry-managed-secret-keys');
    for (const k of ['CONFIG_EDITOR_PW', 'DATABASE_SECRET_KEY', 'DB_ROOT_PW', 'DB_URI', 'SECRET_KEY', 'SECURITY_SCANNER_V4_PSK']) expect(Object.keys(keys.data)).toContain(k);
    // `oc create -f ./managed-secret-keys.yaml` before the registry: every value kept.
    const restored = Object.fromEntries(MANAGED_KEY_NAMES.map((k) => [k, Buffer.from(keys.data[k], 'base64').toString()]));
    expect(ensureManagedKeys('example-registry', restored)).toEqual(restored);
  });

  test('5. the bundle from `{.spec.configBundleSecret}`: the one you wrote there; none, nothing to back up (upstream wrote a generated one into spec; this operator never writes spec)', () => {
    cmd("$(oc get quayregistry <quay-registry-name> -n <quay-namespace>  -o jsonpath='{.spec.configBundleSecret}')");
    expect(testModel({ files: { 'config.yaml': 'FEATURE_X: true\n' } }).registry.spec.configBundleSecret).toBe('config-bundle-secret');
    expect(model.registry.spec.configBundleSecret).toBeUndefined();
  });

  test('6. `oc exec -it <quay pod> -- cat /conf/stack/config.yaml`: the default container (the first) is quay-app and has it', () => {
    cmd('$ oc exec -it quay-pod-name -- cat /conf/stack/config.yaml > quay-config.yaml');
    const c = named('Deployment', 'example-registry-quay-app').spec.template.spec.containers[0];
    expect(c.name).toBe('quay-app');
    expect(c.volumeMounts).toContainEqual({ name: 'config', mountPath: '/conf/stack' });
  });

  test('scaling down (3.7+): replicas 0 on quay, clair and mirror (HPA unmanaged) leaves the config editor, the databases and redis running', () => {
    const down = testModel({
      spec: {
        components: [
          { kind: 'horizontalpodautoscaler', managed: false },
          { kind: 'quay', managed: true, overrides: { replicas: 0 } },
          { kind: 'clair', managed: true, overrides: { replicas: 0 } },
          { kind: 'mirror', managed: true, overrides: { replicas: 0 } },
        ],
      },
      files: { 'config.yaml': 'FEATURE_X: true\n' },
    });
    const rendered = renderRegistry(down).objects as Record<string, any>[];
    expect(rendered.filter((o) => o.kind === 'HorizontalPodAutoscaler')).toEqual([]);
    const running = rendered.filter((o) => o.kind === 'Deployment' && o.spec.replicas !== 0).map((o) => o.metadata.name);
    expect(running.sort()).toEqual(['example-registry-clair-postgres', 'example-registry-quay-config-editor', 'example-registry-quay-database', 'example-registry-quay-redis']);
    // Scaling up again: the overrides removed, HPA managed: no replicas (the HPAs own them).
    const up = renderRegistry(testModel()).objects as Record<string, any>[];
    expect(up.filter((o) => o.kind === 'Deployment' && ['example-registry-quay-app', 'example-registry-quay-mirror', 'example-registry-clair-app'].includes(o.metadata.name)).map((o) => o.spec.replicas)).toEqual([undefined, undefined, undefined]);
  });

  test("scaling down (3.6 and earlier): `awk '/^quay-operator/'` finds the operator's Deployment", () => {
    cmd("awk '/^quay-operator/ {print $1}'");
    expect(installManifests().filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name)).toEqual(['quay-operator']);
  });

  test("database backup 1: `-l quay-component=postgres` `.items[0]` is the database's pod: no backup, restore or upgrade pod carries that label", () => {
    cmd("$ oc get pod -l quay-component=postgres -n <quay-namespace> -o jsonpath='{.items[0].metadata.name}'");
    expect(podsLabelled('quay-component', 'postgres')).toEqual(['Deployment/example-registry-quay-database']);
    expect(withTransient.some((o) => o.kind === 'CronJob')).toBe(true);
  });

  test('database backup 2: `-l app=quay | head -n 1` is a quay-app pod (not the migration Job\'s), and its DB_URI gives the database name to awk -F/ $4', () => {
    cmd('$ oc -n <quay-namespace> rsh $(oc get pod -l app=quay -o NAME -n <quay-namespace> |head -n 1) cat /conf/stack/config.yaml|awk -F"/" \'/^DB_URI/ {print $4}\'');
    expect(podsLabelled('app', 'quay')).toEqual(['Deployment/example-registry-quay-app']);
    // As quay-config-init writes it (PyYAML safe_dump, sorted keys).
    const written = yaml.dump(quayConfig(model), { sortKeys: true, lineWidth: -1 });
    const awk = written.split('\n').filter((l) => /^DB_URI/.test(l)).map((l) => l.split('/')[3]);
    expect(awk).toEqual(['example-registry-quay-database']);
    // Differs: the seeds run this after scaling Quay to 0, when no app=quay pod is left. Before, or
    // from the keys Secret: `oc get secret <name>-quay-registry-managed-secret-keys -o jsonpath='{.data.DB_URI}' | base64 -d | awk -F/ '{print $4}'`.
    expect(model.keys.DB_URI.split('/')[3]).toBe('example-registry-quay-database');
  });

  test('database backup 3 and restore: `pg_dump -C <name>-quay-database` in the database pod; `oc cp` to /tmp (a writable root filesystem), `psql`, DROP DATABASE', () => {
    cmd('/usr/bin/pg_dump -C quayregistry-quay-database');
    cmd('$ oc cp ./backup.sql -n <quay-namespace> registry-quay-database-66969cd859-n2ssm:/tmp/backup.sql');
    cmd('postgres=# DROP DATABASE "quayregistry-quay-database";');
    const db = named('Deployment', 'example-registry-quay-database').spec.template.spec;
    expect(db.containers.map((c: Record<string, any>) => c.name)).toEqual(['postgres']);
    expect(db.containers[0].securityContext.readOnlyRootFilesystem).toBeUndefined();
    expect(new URL(model.keys.DB_URI).pathname).toBe('/example-registry-quay-database');
  });

  test("object storage: `-l app=noobaa` `.items[0]` is NooBaa's Secret and ConfigMap: nothing of the operator's carries app=noobaa", () => {
    cmd("oc get secret -l app=noobaa -n <quay-namespace>  -o jsonpath='{.items[0].data.AWS_ACCESS_KEY_ID}'");
    expect(withTransient.filter((o) => o.metadata.labels?.app === 'noobaa')).toEqual([]);
    // Differs (both operators): with two registries in a namespace `.items[0]` may be the other's; by
    // name it is `<name>-quay-datastore`, the claim's Secret and ConfigMap.
    expect(named('ObjectBucketClaim', 'example-registry-quay-datastore')).toBeDefined();
  });

  test('`oc wait quayregistry registry --for=condition=Available=true`: the condition is named Available', () => {
    cmd('$ oc wait quayregistry registry --for=condition=Available=true -n <quay-namespace>');
    const crd = JSON.stringify(quayRegistryCrd());
    expect(crd).toContain('@.type==\\"Available\\"');
  });
});
