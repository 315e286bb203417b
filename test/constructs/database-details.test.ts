// Managed databases' details their own test files leave loose: the claim's StorageClass override,
// Clair's database restarting when its credentials rotate (only when the renderer knows them), the
// message for a DB_URI that is not PostgreSQL's, and when the Route passes TLS through.
import { App, Chart } from 'cdk8s';
import { ClairPostgres } from '../../constructs/clair-postgres';
import { POSTGRES_COMPONENT, POSTGRES_NAMES, Postgres, quayDatabaseCredentials } from '../../constructs/postgres';
import { ManagedPostgres } from '../../constructs/shared/database';
import { passthroughTls } from '../../constructs/route';
import type { RegistryModel } from '../../lib/model';
import { testModel, tlsFixture } from '../support/model';
import { validateAll } from '../support/schema';

type Obj = Record<string, any>;

function render(model: RegistryModel, C: typeof Postgres | typeof ClairPostgres): Obj[] {
  const chart = new Chart(new App(), 'test', { namespace: 'quay-enterprise', disableResourceNameHashes: true });
  new C(chart, 'db', { model });
  const objs = chart.toJson();
  validateAll(objs);
  return objs;
}
const claim = (objs: Obj[]) => objs.find((o) => o.kind === 'PersistentVolumeClaim') as Obj;
const templateAnnotations = (objs: Obj[]) => (objs.find((o) => o.kind === 'Deployment') as Obj).spec.template.metadata.annotations;

describe("the database claim's StorageClass", () => {
  test('the override names it; without one the cluster default applies (no field at all)', () => {
    const withClass = testModel({ spec: { components: [{ kind: 'postgres', managed: true, overrides: { storageClassName: 'fast-ssd' } }] } });
    expect(claim(render(withClass, Postgres)).spec).toEqual({ accessModes: ['ReadWriteOnce'], storageClassName: 'fast-ssd', resources: { requests: { storage: '50Gi' } } });
    expect(Object.keys(claim(render(testModel(), Postgres)).spec)).toEqual(['accessModes', 'resources']);
  });
});

describe('start scripts', () => {
  const withScripts = (files: Record<string, string>): Obj[] => {
    const model = testModel();
    const chart = new Chart(new App(), 'test', { namespace: 'quay-enterprise', disableResourceNameHashes: true });
    new ManagedPostgres(chart, 'db', {
      model,
      kind: 'postgres',
      component: POSTGRES_COMPONENT,
      names: POSTGRES_NAMES,
      containerName: 'postgres',
      image: model.environment.images.postgres,
      user: 'quay',
      startScripts: { configMapName: 'scripts', files },
    });
    return chart.toJson();
  };
  const deploymentOf = (objs: Obj[]) => objs.find((o) => o.kind === 'Deployment') as Obj;

  test('mounted one by one in name order, whatever order they are given in', () => {
    const mounts = deploymentOf(withScripts({ 'b.sh': 'B', 'a.sh': 'A' })).spec.template.spec.containers[0].volumeMounts.filter((m: Obj) => m.name === 'postgres-start-scripts');
    expect(mounts.map((m: Obj) => m.subPath)).toEqual(['a.sh', 'b.sh']);
  });

  test('a changed script restarts the database (it runs only at start); the same ones do not', () => {
    const hash = (objs: Obj[]) => deploymentOf(objs).spec.template.metadata.annotations;
    expect(hash(withScripts({ 'a.sh': 'A' }))).toEqual(hash(withScripts({ 'a.sh': 'A' })));
    expect(hash(withScripts({ 'a.sh': 'A2' }))).not.toEqual(hash(withScripts({ 'a.sh': 'A' })));
    expect(hash(withScripts({ 'b.sh': 'A' }))).not.toEqual(hash(withScripts({ 'a.sh': 'A' })));
  });
});

describe("Clair's database", () => {
  test('restarts when its credentials rotate, when the renderer knows them', () => {
    const known: RegistryModel = { ...testModel(), keysKnown: true };
    const rotated: RegistryModel = { ...known, keys: { ...known.keys, CLAIR_DB_PASSWORD: 'another-password' } };
    expect(templateAnnotations(render(rotated, ClairPostgres))).not.toEqual(templateAnnotations(render(known, ClairPostgres)));
    // A GitOps render does not know them: the same template whatever the keys.
    const unknown: RegistryModel = { ...known, keysKnown: false };
    expect(templateAnnotations(render({ ...unknown, keys: rotated.keys }, ClairPostgres))).toEqual(templateAnnotations(render(unknown, ClairPostgres)));
  });
});

describe("Quay's database login", () => {
  test('a DB_URI that is not postgresql:// is named with its Secret', () => {
    const keys = testModel().keys;
    expect(() => quayDatabaseCredentials('example-registry', { ...keys, DB_URI: 'mysql://quay:pw@db/quay' })).toThrow(
      new Error('DB_URI in Secret example-registry-quay-registry-managed-secret-keys is not a postgresql:// URI'),
    );
  });
});

describe('passthrough TLS on the Route', () => {
  const HOST = 'example-registry-quay-quay-enterprise.apps.example.com';

  test("only with the user's certificate and tls unmanaged", () => {
    expect(passthroughTls(testModel())).toBe(false);
    const own = testModel({ files: { 'config.yaml': `SERVER_HOSTNAME: ${HOST}\n`, 'ssl.cert': tlsFixture('leaf.crt'), 'ssl.key': tlsFixture('leaf.key') }, spec: { components: [{ kind: 'tls', managed: false }] } });
    expect(passthroughTls(own)).toBe(true);
    expect(passthroughTls({ ...own, components: { ...own.components, tls: { ...own.components.tls, managed: true } } })).toBe(false);
  });
});
