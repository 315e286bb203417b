// The objects of a managed database's major upgrade, as rendered: valid, named as upstream's, the
// old server on exactly the image that served the data unless RELATED_IMAGE_COMPONENT_*_PREVIOUS says.
import { renderPostgresUpgrade } from '../../lib/synth';
import { toYamlStream } from '../../lib/yaml';
import { ingressTerminatedModel, testModel } from '../support/model';
import { validateAll } from '../support/schema';

type Obj = Record<string, any>;
const find = (objs: Obj[], kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata.name === name)!;

test("Quay's: <db>-old (Deployment, Service) on the old claim and image, the Job on the new image and claim; all valid", () => {
  const objs = renderPostgresUpgrade(testModel(), 'postgres', 'example-registry-quay-database', 'centos/postgresql-10-centos7') as Obj[];
  validateAll(objs as never);
  expect(objs.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
    'Deployment/example-registry-quay-database-old',
    'Job/example-registry-quay-postgres-upgrade',
    'NetworkPolicy/example-registry-quay-database-old',
    'Service/example-registry-quay-database-old',
  ]);
  const old = find(objs, 'Deployment', 'example-registry-quay-database-old').spec.template.spec;
  expect([old.containers[0].image, old.volumes]).toEqual(['centos/postgresql-10-centos7', [{ name: 'postgres-data', persistentVolumeClaim: { claimName: 'example-registry-quay-database' } }]]);
  const job = find(objs, 'Job', 'example-registry-quay-postgres-upgrade').spec.template.spec;
  expect(job.containers[0].image).toBe('quay.io/sclorg/postgresql-13-c9s:latest');
  expect(job.volumes).toEqual([{ name: 'postgres-data', persistentVolumeClaim: { claimName: 'example-registry-quay-postgres-13' } }]);
  expect(job.containers[0].command).toEqual(['/bin/sh', '-c', 'run-postgresql --version || (rm -rf /var/lib/pgsql/data/* && exit 1)']);
  expect(JSON.stringify(objs)).not.toContain(testModel().keys.DB_ROOT_PW);
});

test('RELATED_IMAGE_COMPONENT_POSTGRES_PREVIOUS, when set, serves the old data instead', () => {
  const model = testModel({ environment: { images: { ...testModel().environment.images, postgresPrevious: 'mirror.example.com/centos/postgresql-10-centos7@sha256:' + 'a'.repeat(64) } } });
  const objs = renderPostgresUpgrade(model, 'postgres', 'example-registry-quay-database', 'centos/postgresql-10-centos7') as Obj[];
  expect(find(objs, 'Deployment', 'example-registry-quay-database-old').spec.template.spec.containers[0].image).toBe(`mirror.example.com/centos/postgresql-10-centos7@sha256:${'a'.repeat(64)}`);
});

describe('each database as rendered', () => {
  const CLAIR_OLD = 'quay.io/sclorg/postgresql-13-c9s:latest';
  const postgres = renderPostgresUpgrade(testModel(), 'postgres', 'example-registry-quay-database', 'centos/postgresql-10-centos7') as Obj[];
  const clair = renderPostgresUpgrade(testModel(), 'clairpostgres', 'example-registry-clair-postgres', CLAIR_OLD) as Obj[];

  test("Quay's (snapshot)", () => {
    expect(toYamlStream(postgres)).toMatchSnapshot();
  });

  test("Clair's (snapshot): its own names, claim, login and admin password", () => {
    validateAll(clair as never);
    expect(toYamlStream(clair)).toMatchSnapshot();
    expect(clair.map((o) => `${o.kind}/${o.metadata.name}/${o.metadata.labels['quay-component']}`).sort()).toEqual([
      'Deployment/example-registry-clair-postgres-old/clair-postgres-old',
      'Job/example-registry-clair-postgres-upgrade/clair-postgres-upgrade',
      'NetworkPolicy/example-registry-clair-postgres-old/clair-postgres-old',
      'Service/example-registry-clair-postgres-old/clair-postgres-old',
    ]);
  });

  test('the old server admits only the copy Job, on the PostgreSQL port', () => {
    for (const [objs, name, from] of [
      [postgres, 'example-registry-quay-database-old', 'postgres-upgrade'],
      [clair, 'example-registry-clair-postgres-old', 'clair-postgres-upgrade'],
    ] as const) {
      const policy = find(objs, 'NetworkPolicy', name).spec;
      expect(policy.ingress).toEqual([{ from: [{ podSelector: { matchLabels: { 'quay-component': from, 'quay-operator/quayregistry': 'example-registry' } } }], ports: [{ port: 5432, protocol: 'TCP' }] }]);
    }
  });

  test("the copy logs in as the database's login (Clair's is the superuser), with the admin password of its kind", () => {
    const env = (objs: Obj[], job: string) => find(objs, 'Job', job).spec.template.spec.containers[0].env as Obj[];
    expect(env(clair, 'example-registry-clair-postgres-upgrade')).toContainEqual({ name: 'PGUSER', value: 'postgres' });
    expect(env(postgres, 'example-registry-quay-postgres-upgrade')).toContainEqual({
      name: 'POSTGRESQL_USER',
      valueFrom: { secretKeyRef: { name: 'example-registry-postgres-config-secret', key: 'database-username' } },
    });
    expect(env(clair, 'example-registry-clair-postgres-upgrade')).toContainEqual({
      name: 'POSTGRESQL_MIGRATION_ADMIN_PASSWORD',
      valueFrom: { secretKeyRef: { name: 'example-registry-clairpostgres-config-secret', key: 'database-password' } },
    });
    expect(env(postgres, 'example-registry-quay-postgres-upgrade')).toContainEqual({
      name: 'POSTGRESQL_MIGRATION_ADMIN_PASSWORD',
      valueFrom: { secretKeyRef: { name: 'example-registry-postgres-config-secret', key: 'database-root-password' } },
    });
  });

  test("RELATED_IMAGE_COMPONENT_CLAIRPOSTGRES_PREVIOUS serves Clair's old data; Quay's previous image does not", () => {
    const images = { ...testModel().environment.images, clairpostgresPrevious: 'mirror.example.com/clair-old', postgresPrevious: 'mirror.example.com/quay-old' };
    const model = testModel({ environment: { images } });
    const oldImage = (kind: 'postgres' | 'clairpostgres', name: string) =>
      find(renderPostgresUpgrade(model, kind, 'claim', 'live-image') as Obj[], 'Deployment', name).spec.template.spec.containers[0].image;
    expect(oldImage('clairpostgres', 'example-registry-clair-postgres-old')).toBe('mirror.example.com/clair-old');
    expect(oldImage('postgres', 'example-registry-quay-database-old')).toBe('mirror.example.com/quay-old');
  });

  test('network policies off: no policy for the old server', () => {
    const objs = renderPostgresUpgrade(testModel({ spec: { networkPolicies: { enabled: false } } }), 'postgres', 'claim', 'image') as Obj[];
    expect(objs.map((o) => o.kind).sort()).toEqual(['Deployment', 'Job', 'Service']);
  });

  test('elsewhere than OpenShift: the image user and group on both pods, so the volumes are writable', () => {
    const objs = renderPostgresUpgrade(ingressTerminatedModel(), 'postgres', 'claim', 'image') as Obj[];
    const context = { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' }, runAsUser: 26, runAsGroup: 26, fsGroup: 26 };
    expect(objs.filter((o) => o.kind !== 'Service' && o.kind !== 'NetworkPolicy').map((o) => o.spec.template.spec.securityContext)).toEqual([context, context]);
  });
});
