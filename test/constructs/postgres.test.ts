import { App, Chart } from 'cdk8s';
import { Postgres } from '../../constructs/postgres';
import { quayConfig } from '../../lib/config/quay-config';
import { parseDatabaseUri } from '../../lib/keys';
import type { RegistryModel } from '../../lib/model';
import { renderCredentials } from '../../lib/synth';
import { TestModelOptions, testModel, tlsFixture } from '../support/model';
import { validateAll } from '../support/schema';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = Record<string, any>;

function render(model: RegistryModel): Obj[] {
  const chart = new Chart(new App(), 'test', { namespace: 'quay-enterprise', disableResourceNameHashes: true });
  new Postgres(chart, 'postgres', { model });
  // The database's Secret is the credentials' (rendered with the keys, apart from the registry).
  const objs = [...chart.toJson(), ...renderCredentials(model).filter((o) => o.metadata.name === 'example-registry-postgres-config-secret')];
  validateAll(objs);
  return objs;
}

function find(objs: Obj[], kind: string, name: string): Obj {
  const found = objs.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`${kind} ${name} not rendered; got ${objs.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
}

const decode = (secret: Obj, key: string) => Buffer.from(secret.data[key], 'base64').toString('utf8');
const deploymentOf = (objs: Obj[]) => find(objs, 'Deployment', 'example-registry-quay-database');
const podOf = (objs: Obj[]) => deploymentOf(objs).spec.template.spec;
const containerOf = (objs: Obj[]) => podOf(objs).containers[0];
const withPostgres = (overrides: Obj): TestModelOptions => ({ spec: { components: [{ kind: 'postgres', managed: true, overrides }] } });

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

describe('Postgres', () => {
  const model = testModel();
  const objs = render(model);

  it('renders the objects upstream names, labelled postgres', () => {
    const names = objs.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(names).toEqual([
      'ConfigMap/example-registry-postgres-bootstrap',
      'ConfigMap/example-registry-postgres-conf-sample',
      'Deployment/example-registry-quay-database',
      'PersistentVolumeClaim/example-registry-quay-postgres-13',
      'Secret/example-registry-postgres-config-secret',
      'Service/example-registry-quay-database',
      'ServiceAccount/example-registry-quay-database',
    ]);
    for (const o of objs) {
      expect(o.metadata.namespace).toBe('quay-enterprise');
      expect(o.metadata.labels).toEqual({ 'quay-component': 'postgres', 'quay-operator/quayregistry': 'example-registry' });
    }
  });

  it('selects the database pods from the Service and the Deployment', () => {
    const selector = { 'quay-component': 'postgres', 'quay-operator/quayregistry': 'example-registry' };
    const service = find(objs, 'Service', 'example-registry-quay-database');
    expect(service.spec.type).toBe('ClusterIP');
    expect(service.spec.selector).toEqual(selector);
    expect(service.spec.ports).toEqual([{ name: 'postgres', protocol: 'TCP', port: 5432, targetPort: 5432 }]);
    expect(deploymentOf(objs).spec.selector.matchLabels).toEqual(selector);
    expect(deploymentOf(objs).spec.template.metadata.labels).toEqual(selector);
  });

  it("holds the same credentials as Quay's DB_URI, which points at the Service", () => {
    const secret = find(objs, 'Secret', 'example-registry-postgres-config-secret');
    const uri = parseDatabaseUri(quayConfig(model).DB_URI as string);
    expect(uri).toBeDefined();
    expect(decode(secret, 'database-username')).toBe(uri?.user);
    expect(decode(secret, 'database-password')).toBe(uri?.password);
    expect(decode(secret, 'database-name')).toBe(uri?.database);
    expect(decode(secret, 'database-root-password')).toBe(model.keys.DB_ROOT_PW);
    expect(uri?.host).toBe('example-registry-quay-database');
    expect(uri?.port).toBe(5432);
  });

  it('runs one database pod at a time, with a clean shutdown', () => {
    const d = deploymentOf(objs);
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.strategy).toEqual({ type: 'Recreate' });
    expect(podOf(objs).terminationGracePeriodSeconds).toBe(600);
    expect(podOf(objs).serviceAccountName).toBe('example-registry-quay-database');
    expect(podOf(objs).automountServiceAccountToken).toBe(false);
    const c = containerOf(objs);
    expect(c.name).toBe('postgres');
    expect(c.image).toBe('quay.io/sclorg/postgresql-13-c9s:latest');
    expect(c.ports).toEqual([{ name: 'postgres', containerPort: 5432, protocol: 'TCP' }]);
    expect(c.resources).toEqual({ requests: { cpu: '500m', memory: '2Gi' } });
  });

  it('takes its credentials from the stable secret', () => {
    const ref = (key: string) => ({ secretKeyRef: { name: 'example-registry-postgres-config-secret', key } });
    expect(containerOf(objs).env).toEqual([
      { name: 'POSTGRESQL_USER', valueFrom: ref('database-username') },
      { name: 'POSTGRESQL_DATABASE', valueFrom: ref('database-name') },
      { name: 'POSTGRESQL_ADMIN_PASSWORD', valueFrom: ref('database-root-password') },
      { name: 'POSTGRESQL_PASSWORD', valueFrom: ref('database-password') },
      { name: 'POSTGRESQL_SHARED_BUFFERS', value: '256MB' },
      { name: 'POSTGRESQL_MAX_CONNECTIONS', value: '2000' },
    ]);
  });

  it('asks the database itself whether it is up, and allows a long first start', () => {
    const c = containerOf(objs);
    expect(c.readinessProbe.exec.command).toEqual(['/usr/libexec/check-container']);
    expect(c.livenessProbe.exec.command).toEqual(['/usr/libexec/check-container', '--live']);
    expect(c.startupProbe.exec.command).toEqual(['/usr/libexec/check-container']);
    // initdb, user creation and pg_upgrade must not be cut short (upstream issue #400).
    expect(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold).toBeGreaterThanOrEqual(1800);
  });

  it('mounts the data volume, the conf sample and the bootstrap script', () => {
    const pod = podOf(objs);
    expect(pod.volumes).toEqual([
      { name: 'postgres-data', persistentVolumeClaim: { claimName: 'example-registry-quay-postgres-13' } },
      { name: 'postgres-conf-sample', configMap: { name: 'example-registry-postgres-conf-sample' } },
      { name: 'postgres-start-scripts', configMap: { name: 'example-registry-postgres-bootstrap' } },
    ]);
    expect(containerOf(objs).volumeMounts).toEqual([
      { name: 'postgres-data', mountPath: '/var/lib/pgsql/data' },
      { name: 'postgres-conf-sample', mountPath: '/usr/share/pgsql/postgresql.conf.sample', subPath: 'postgresql.conf.sample', readOnly: true },
      {
        name: 'postgres-start-scripts',
        mountPath: '/usr/share/container-scripts/postgresql/start/create-extensions.sh',
        subPath: 'create-extensions.sh',
        readOnly: true,
      },
    ]);
    const sample = find(objs, 'ConfigMap', 'example-registry-postgres-conf-sample').data['postgresql.conf.sample'];
    expect(sample).toContain('huge_pages = off');
    expect(sample).toContain("log_filename = 'postgresql-%a.log'");
  });

  it('creates pg_trgm with psql on every start', () => {
    const script = find(objs, 'ConfigMap', 'example-registry-postgres-bootstrap').data['create-extensions.sh'];
    expect(script).toMatch(/psql .*CREATE EXTENSION IF NOT EXISTS pg_trgm;/);
    expect(script).not.toMatch(/\bexit\b/); // sourced by the image: exit would end the start script
  });

  it('claims 50Gi, ReadWriteOnce, by default', () => {
    const pvc = find(objs, 'PersistentVolumeClaim', 'example-registry-quay-postgres-13');
    expect(pvc.spec).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '50Gi' } } });
  });

  it('uses the operator-configured image', () => {
    const images = { ...model.environment.images, postgres: 'registry.example.com/sclorg/postgresql-13-c9s@sha256:' + 'a'.repeat(64) };
    const custom = render({ ...model, environment: { ...model.environment, images } });
    expect(containerOf(custom).image).toBe(images.postgres);
  });

  it('restarts only when credentials change, not on a change of config.yaml', () => {
    const a = render(testModel({ files: { 'config.yaml': 'REGISTRY_TITLE: One\n' } }));
    const b = render(testModel({ files: { 'config.yaml': 'REGISTRY_TITLE: Two\nFEATURE_UI_V2: true\n' } }));
    expect(JSON.stringify(b)).toEqual(JSON.stringify(a));
    const rotated = render({ ...model, keys: { ...model.keys, DB_ROOT_PW: 'another-root-password' } });
    const hash = (o: Obj[]) => deploymentOf(o).spec.template.metadata.annotations['quay-operator/credentials-hash'];
    expect(hash(rotated)).not.toEqual(hash(objs));
    expect(find(rotated, 'Secret', 'example-registry-postgres-config-secret').metadata.name).toBe('example-registry-postgres-config-secret');
  });

  describe('overrides', () => {
    it('volumeSize sets the claim size', () => {
      const o = render(testModel(withPostgres({ volumeSize: '120Gi' })));
      expect(find(o, 'PersistentVolumeClaim', 'example-registry-quay-postgres-13').spec.resources.requests.storage).toBe('120Gi');
    });

    it('env replaces a default in place and appends new variables', () => {
      const o = render(testModel(withPostgres({ env: [{ name: 'POSTGRESQL_MAX_CONNECTIONS', value: '500' }, { name: 'POSTGRESQL_LOG_DESTINATION', value: '/dev/stderr' }] })));
      const env = containerOf(o).env;
      expect(env.find((e: Obj) => e.name === 'POSTGRESQL_MAX_CONNECTIONS')).toEqual({ name: 'POSTGRESQL_MAX_CONNECTIONS', value: '500' });
      expect(env.filter((e: Obj) => e.name === 'POSTGRESQL_MAX_CONNECTIONS')).toHaveLength(1);
      expect(env[env.length - 1]).toEqual({ name: 'POSTGRESQL_LOG_DESTINATION', value: '/dev/stderr' });
    });

    it('resources replace the defaults key by key', () => {
      const o = render(testModel(withPostgres({ resources: { requests: { memory: '8Gi' }, limits: { memory: '16Gi' } } })));
      expect(containerOf(o).resources).toEqual({ requests: { cpu: '500m', memory: '8Gi' }, limits: { memory: '16Gi' } });
    });

    it('placement goes into the pod spec as given', () => {
      const affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] }] } } };
      const tolerations = [{ key: 'node-role.kubernetes.io/infra', operator: 'Exists', effect: 'NoSchedule' }];
      const o = render(testModel(withPostgres({ affinity, tolerations, nodeSelector: { 'node-role.kubernetes.io/infra': '' } })));
      expect(podOf(o).affinity).toEqual(affinity);
      expect(podOf(o).tolerations).toEqual(tolerations);
      expect(podOf(o).nodeSelector).toEqual({ 'node-role.kubernetes.io/infra': '' });
      expect(podOf(objs).affinity).toBeUndefined();
    });

    it('labels and annotations go on every object and the pods, selectors unchanged', () => {
      const o = render(testModel(withPostgres({ labels: { team: 'registry' }, annotations: { 'backup.example.com/policy': 'daily' } })));
      // Not the credentials Secret: `quay-operator keys` renders it without the registry's overrides.
      for (const obj of o.filter((x) => x.kind !== 'Secret')) {
        expect(obj.metadata.labels.team).toBe('registry');
        expect(obj.metadata.annotations['backup.example.com/policy']).toBe('daily');
      }
      const d = deploymentOf(o);
      expect(d.spec.template.metadata.labels.team).toBe('registry');
      expect(d.spec.template.metadata.annotations['backup.example.com/policy']).toBe('daily');
      expect(d.spec.selector.matchLabels).toEqual({ 'quay-component': 'postgres', 'quay-operator/quayregistry': 'example-registry' });
      expect(find(o, 'Service', 'example-registry-quay-database').spec.selector).toEqual(d.spec.selector.matchLabels);
    });
  });

  describe('pod security', () => {
    it('sets the restricted container security context', () => {
      expect(containerOf(objs).securityContext).toEqual({
        allowPrivilegeEscalation: false,
        runAsNonRoot: true,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
    });

    it("leaves UIDs to OpenShift's SCC", () => {
      const sc = podOf(objs).securityContext;
      expect(sc.runAsUser).toBeUndefined();
      expect(sc.fsGroup).toBeUndefined();
      expect(sc.runAsNonRoot).toBe(true);
    });

    it("runs as the image's postgres user (26) elsewhere, owning the volume", () => {
      const sc = podOf(render(kubernetesModel())).securityContext;
      expect(sc.runAsUser).toBe(26);
      expect(sc.fsGroup).toBe(26);
    });
  });
});
