import { App, Chart } from 'cdk8s';
import { ClairPostgres } from '../../constructs/clair-postgres';
import { clairConfig } from '../../lib/config/clair-config';
import type { RegistryModel } from '../../lib/model';
import { renderCredentials } from '../../lib/synth';
import { TestModelOptions, testModel, tlsFixture } from '../support/model';
import { validateAll } from '../support/schema';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = Record<string, any>;

function render(model: RegistryModel): Obj[] {
  const chart = new Chart(new App(), 'test', { namespace: 'quay-enterprise', disableResourceNameHashes: true });
  new ClairPostgres(chart, 'clair-postgres', { model });
  // The database's Secret is the credentials' (rendered with the keys, apart from the registry).
  const objs = [...chart.toJson(), ...renderCredentials(model).filter((o) => o.metadata.name === 'example-registry-clairpostgres-config-secret')];
  validateAll(objs);
  return objs;
}

function find(objs: Obj[], kind: string, name: string): Obj {
  const found = objs.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`${kind} ${name} not rendered; got ${objs.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
}

const SECRET = 'example-registry-clairpostgres-config-secret';
const decode = (secret: Obj, key: string) => Buffer.from(secret.data[key], 'base64').toString('utf8');
const deploymentOf = (objs: Obj[]) => find(objs, 'Deployment', 'example-registry-clair-postgres');
const podOf = (objs: Obj[]) => deploymentOf(objs).spec.template.spec;
const containerOf = (objs: Obj[]) => podOf(objs).containers[0];
const envNames = (objs: Obj[]) => containerOf(objs).env.map((e: Obj) => e.name);
const withClairPostgres = (overrides: Obj): TestModelOptions => ({ spec: { components: [{ kind: 'clairpostgres', managed: true, overrides }] } });

/** Clair's connstring as key=value pairs. */
function connstring(model: RegistryModel, section: 'indexer' | 'matcher' | 'notifier'): Record<string, string> {
  const s = (clairConfig(model)[section] as Obj).connstring as string;
  return Object.fromEntries(s.split(' ').map((kv) => kv.split('=', 2) as [string, string]));
}

function kubernetesModel(): RegistryModel {
  return testModel({
    platform: 'kubernetes',
    appsDomain: null,
    objectBucket: null,
    files: {
      'config.yaml': [
        'SERVER_HOSTNAME: example-registry-quay-quay-enterprise.apps.example.com',
        'DISTRIBUTED_STORAGE_CONFIG: {default: [LocalStorage, {storage_path: /data}]}',
        'DISTRIBUTED_STORAGE_PREFERENCE: [default]',
        'DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS: [default]',
      ].join('\n'),
      'ssl.cert': tlsFixture('leaf.crt'),
      'ssl.key': tlsFixture('leaf.key'),
    },
  });
}

describe('ClairPostgres', () => {
  const model = testModel();
  const objs = render(model);

  it('renders the objects upstream names, labelled clair-postgres', () => {
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ConfigMap/example-registry-clair-postgres-conf-sample',
      'Deployment/example-registry-clair-postgres',
      'PersistentVolumeClaim/example-registry-clair-postgres-15',
      `Secret/${SECRET}`,
      'Service/example-registry-clair-postgres',
      'ServiceAccount/example-registry-clair-postgres',
    ]);
    for (const o of objs) expect(o.metadata.labels).toEqual({ 'quay-component': 'clair-postgres', 'quay-operator/quayregistry': 'example-registry' });
  });

  it('selects the database pods from the Service and the Deployment', () => {
    const selector = { 'quay-component': 'clair-postgres', 'quay-operator/quayregistry': 'example-registry' };
    const service = find(objs, 'Service', 'example-registry-clair-postgres');
    expect(service.spec.selector).toEqual(selector);
    expect(service.spec.ports).toEqual([{ name: 'postgres', protocol: 'TCP', port: 5432, targetPort: 5432 }]);
    expect(deploymentOf(objs).spec.selector.matchLabels).toEqual(selector);
    expect(deploymentOf(objs).spec.template.metadata.labels).toEqual(selector);
  });

  it("holds the login Clair reads (PGUSER, PGPASSWORD, PGDATABASE); Clair's connstrings point at the Service", () => {
    const secret = find(objs, 'Secret', SECRET);
    for (const section of ['indexer', 'matcher', 'notifier'] as const) {
      const cs = connstring(model, section);
      expect(cs.host).toBe('example-registry-clair-postgres');
      expect(cs.port).toBe('5432');
      expect(cs.password).toBeUndefined();
    }
    expect(decode(secret, 'database-username')).toBe(model.keys.CLAIR_DB_USER);
    expect(decode(secret, 'database-password')).toBe(model.keys.CLAIR_DB_PASSWORD);
    expect(decode(secret, 'database-name')).toBe(model.keys.CLAIR_DB_NAME);
    expect(decode(secret, 'database-root-password')).toBe(model.keys.CLAIR_DB_ROOT_PW);
  });

  it('sets up the default `postgres` login with the admin password only (sclorg reserves that user)', () => {
    expect(model.keys.CLAIR_DB_USER).toBe('postgres');
    expect(containerOf(objs).env).toEqual([
      { name: 'POSTGRESQL_ADMIN_PASSWORD', valueFrom: { secretKeyRef: { name: SECRET, key: 'database-password' } } },
      { name: 'PGUSER', value: 'postgres' },
      { name: 'POSTGRESQL_SHARED_BUFFERS', value: '256MB' },
      { name: 'POSTGRESQL_MAX_CONNECTIONS', value: '2000' },
    ]);
  });

  it('creates an ordinary user with POSTGRESQL_USER, DATABASE and PASSWORD', () => {
    const o = render({ ...model, keys: { ...model.keys, CLAIR_DB_USER: 'clair', CLAIR_DB_NAME: 'clair' } });
    expect(envNames(o)).toEqual([
      'POSTGRESQL_USER',
      'POSTGRESQL_DATABASE',
      'POSTGRESQL_ADMIN_PASSWORD',
      'POSTGRESQL_PASSWORD',
      'POSTGRESQL_SHARED_BUFFERS',
      'POSTGRESQL_MAX_CONNECTIONS',
    ]);
    expect(decode(find(o, 'Secret', SECRET), 'database-username')).toBe('clair');
  });

  it('runs one pod of the clairpostgres image with a clean shutdown and database probes', () => {
    const d = deploymentOf(objs);
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.strategy).toEqual({ type: 'Recreate' });
    expect(podOf(objs).terminationGracePeriodSeconds).toBe(600);
    const c = containerOf(objs);
    expect(c.name).toBe('clair-postgres');
    expect(c.image).toBe('quay.io/sclorg/postgresql-15-c9s:latest');
    expect(c.resources).toEqual({ requests: { cpu: '500m', memory: '2Gi' } });
    expect(c.readinessProbe.exec.command).toEqual(['/usr/libexec/check-container']);
    expect(c.livenessProbe.exec.command).toEqual(['/usr/libexec/check-container', '--live']);
    expect(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold).toBeGreaterThanOrEqual(1800);
  });

  it('mounts its own volume and conf sample, and no bootstrap script', () => {
    expect(podOf(objs).volumes).toEqual([
      { name: 'postgres-data', persistentVolumeClaim: { claimName: 'example-registry-clair-postgres-15' } },
      { name: 'postgres-conf-sample', configMap: { name: 'example-registry-clair-postgres-conf-sample' } },
    ]);
    expect(containerOf(objs).volumeMounts.map((m: Obj) => m.mountPath)).toEqual(['/var/lib/pgsql/data', '/usr/share/pgsql/postgresql.conf.sample']);
  });

  it('uses the operator-configured clairpostgres image', () => {
    const images = { ...model.environment.images, clairpostgres: 'registry.example.com/sclorg/postgresql-15-c9s:1-42' };
    expect(containerOf(render({ ...model, environment: { ...model.environment, images } })).image).toBe('registry.example.com/sclorg/postgresql-15-c9s:1-42');
  });

  it('is byte-identical whatever config.yaml says', () => {
    const a = render(testModel({ files: { 'config.yaml': 'REGISTRY_TITLE: One\n' } }));
    const b = render(testModel({ files: { 'config.yaml': 'REGISTRY_TITLE: Two\nFEATURE_UI_V2: true\n' } }));
    expect(JSON.stringify(b)).toEqual(JSON.stringify(a));
  });

  describe('overrides', () => {
    it('volumeSize sets the claim size', () => {
      const o = render(testModel(withClairPostgres({ volumeSize: '75Gi' })));
      expect(find(o, 'PersistentVolumeClaim', 'example-registry-clair-postgres-15').spec.resources.requests.storage).toBe('75Gi');
      expect(find(objs, 'PersistentVolumeClaim', 'example-registry-clair-postgres-15').spec.resources.requests.storage).toBe('50Gi');
    });

    it('a postgres override does not touch the Clair database', () => {
      const o = render(testModel({ spec: { components: [{ kind: 'postgres', managed: true, overrides: { volumeSize: '99Gi' } }] } }));
      expect(find(o, 'PersistentVolumeClaim', 'example-registry-clair-postgres-15').spec.resources.requests.storage).toBe('50Gi');
    });

    it('env is merged', () => {
      const o = render(testModel(withClairPostgres({ env: [{ name: 'POSTGRESQL_SHARED_BUFFERS', value: '1GB' }] })));
      expect(containerOf(o).env.find((e: Obj) => e.name === 'POSTGRESQL_SHARED_BUFFERS').value).toBe('1GB');
    });

    it('resources replace the defaults', () => {
      const o = render(testModel(withClairPostgres({ resources: { requests: { cpu: '1' } } })));
      expect(containerOf(o).resources).toEqual({ requests: { cpu: '1', memory: '2Gi' } });
    });

    it('placement goes into the pod spec', () => {
      const tolerations = [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }];
      const o = render(testModel(withClairPostgres({ tolerations, nodeSelector: { disk: 'ssd' } })));
      expect(podOf(o).tolerations).toEqual(tolerations);
      expect(podOf(o).nodeSelector).toEqual({ disk: 'ssd' });
    });

    it('labels and annotations go on every object and the pods, selectors unchanged', () => {
      const o = render(testModel(withClairPostgres({ labels: { tier: 'db' }, annotations: { owner: 'security' } })));
      // Not the credentials Secret: `quay-operator keys` renders it without the registry's overrides.
      for (const obj of o.filter((x) => x.kind !== 'Secret')) {
        expect(obj.metadata.labels.tier).toBe('db');
        expect(obj.metadata.annotations.owner).toBe('security');
      }
      expect(deploymentOf(o).spec.template.metadata.labels.tier).toBe('db');
      expect(deploymentOf(o).spec.template.metadata.annotations.owner).toBe('security');
      expect(deploymentOf(o).spec.selector.matchLabels).toEqual({ 'quay-component': 'clair-postgres', 'quay-operator/quayregistry': 'example-registry' });
    });
  });

  describe('pod security', () => {
    it("leaves UIDs to OpenShift's SCC", () => {
      expect(podOf(objs).securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(containerOf(objs).securityContext.allowPrivilegeEscalation).toBe(false);
    });

    it('runs as uid 26 with fsGroup 26 elsewhere', () => {
      const sc = podOf(render(kubernetesModel())).securityContext;
      expect(sc.runAsUser).toBe(26);
      expect(sc.fsGroup).toBe(26);
    });
  });
});
