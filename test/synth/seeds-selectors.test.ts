// The seeds' procedures select pods by label (`oc get pod -l ...`): each selector they use on the
// operator's pods must match the pod it means in a render of the default registry.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { renderCredentials, renderRegistry } from '../../lib/synth';
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
