// The objects of a managed database's major upgrade, as rendered: valid, named as upstream's, the
// old server on exactly the image that served the data unless RELATED_IMAGE_COMPONENT_*_PREVIOUS says.
import { renderPostgresUpgrade } from '../../lib/synth';
import { testModel } from '../support/model';
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
