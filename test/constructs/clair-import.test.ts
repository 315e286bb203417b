// The updaters import Job of a disconnected Clair: `clairctl import-updaters` from Clair's own image,
// with Clair's own config (drop-ins included) and database login, on a bundle in a claim or at a URL;
// one deterministic name per request; restricted; admitted to Clair's database only by its label.
import { CLAIRCTL, CLAIR_IMPORT_COMPONENT, clairImportJobName, importArgument, renderClairImportJob } from '../../constructs/clair-import';
import { CLAIR_IMPORT_ANNOTATION, ImportSource } from '../../lib/api/clair-disconnected';
import type { RegistryModel } from '../../lib/model';
import { renderRegistry } from '../../lib/synth';
import { toYamlStream } from '../../lib/yaml';
import { ingressTerminatedModel, testModel } from '../support/model';
import { validateAll } from '../support/schema';

type Obj = Record<string, any>;
const PVC: ImportSource = { kind: 'pvc', claim: 'clair-updaters', path: '2026-01/updates.gz' };
const URL_SOURCE: ImportSource = { kind: 'url', url: 'https://mirror.internal.example.com/clair/updates.gz' };

function job(model: RegistryModel, source: ImportSource, id?: string): Obj {
  const objs = renderClairImportJob(model, { source: source.kind === 'pvc' ? `pvc://${source.claim}/${source.path}` : source.url, ...(id ? { id } : {}) }, source) as Obj[];
  validateAll(objs);
  expect(objs.map((o) => o.kind)).toEqual(['Job']);
  return objs[0];
}

describe('the import Job, from a PersistentVolumeClaim', () => {
  const model = testModel({ spec: { clair: { disconnected: true } } });
  const j = job(model, PVC, '1');
  const pod = j.spec.template.spec;
  const c = pod.containers[0];

  it("runs clairctl import-updaters from Clair's image with Clair's config, on the file in the claim mounted read-only", () => {
    expect([c.image, c.command]).toEqual([model.environment.images.clair, [CLAIRCTL, '--config', '/clair/config.yaml', 'import-updaters', '/updaters/2026-01/updates.gz']]);
    expect(pod.volumes).toContainEqual({ name: 'updaters', persistentVolumeClaim: { claimName: 'clair-updaters', readOnly: true } });
    expect(c.volumeMounts).toContainEqual({ name: 'updaters', mountPath: '/updaters', readOnly: true });
  });

  it("mounts exactly the config volume Clair's Deployment mounts (root config, PSK and user drop-ins), and its certificates", () => {
    const clair = renderRegistry(model).objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'example-registry-clair-app') as Obj;
    const clairPod = clair.spec.template.spec;
    for (const name of ['config', 'certificates', 'cluster-trusted-ca']) {
      expect(pod.volumes.find((v: Obj) => v.name === name)).toEqual(clairPod.volumes.find((v: Obj) => v.name === name));
      expect(c.volumeMounts.find((m: Obj) => m.name === name)).toEqual(clairPod.containers[0].volumeMounts.find((m: Obj) => m.name === name));
    }
  });

  it("logs in to Clair's managed database as Clair does (PG* from its Secret): no password in the Job", () => {
    expect(c.env.map((e: Obj) => e.name)).toEqual(['PGUSER', 'PGPASSWORD', 'PGDATABASE']);
    expect(c.env.every((e: Obj) => e.valueFrom?.secretKeyRef?.name === 'example-registry-clairpostgres-config-secret')).toBe(true);
    expect(JSON.stringify(j)).not.toContain(model.keys.CLAIR_DB_PASSWORD);
  });

  it('is restricted, runs once or twice at most, and its failure log becomes the termination message', () => {
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.restartPolicy).toBe('Never');
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
    expect([j.spec.backoffLimit, j.spec.activeDeadlineSeconds]).toEqual([2, 21600]);
    expect(c.terminationMessagePolicy).toBe('FallbackToLogsOnError');
  });

  it("carries its own component label (Clair's database admits it; Clair's Service does not select it) and the source", () => {
    expect(j.metadata.labels).toEqual({ 'quay-component': CLAIR_IMPORT_COMPONENT, 'quay-operator/quayregistry': 'example-registry' });
    expect(pod.securityContext).toBeDefined();
    expect(j.spec.template.metadata.labels['quay-component']).toBe(CLAIR_IMPORT_COMPONENT);
    expect(j.metadata.annotations[CLAIR_IMPORT_ANNOTATION]).toBe('pvc://clair-updaters/2026-01/updates.gz');
    const policy = renderRegistry(model).objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'example-registry-clair-postgres') as Obj;
    expect(policy.spec.ingress[0].from).toContainEqual({ podSelector: { matchLabels: j.spec.template.metadata.labels } });
    const service = renderRegistry(model).objects.find((o) => o.kind === 'Service' && o.metadata.name === 'example-registry-clair-app') as Obj;
    expect(Object.entries(service.spec.selector).every(([k, v]) => j.spec.template.metadata.labels[k] === v)).toBe(false);
  });

  it('snapshot', () => expect(toYamlStream([j])).toMatchSnapshot());
});

describe('from a URL, and with an unmanaged Clair database', () => {
  it('hands clairctl the URL (it fetches http(s) itself), mounts no claim', () => {
    const j = job(testModel(), URL_SOURCE);
    expect(j.spec.template.spec.containers[0].command.at(-1)).toBe(URL_SOURCE.url);
    expect(importArgument(URL_SOURCE)).toBe(URL_SOURCE.url);
    expect(j.spec.template.spec.volumes.map((v: Obj) => v.name)).not.toContain('updaters');
  });

  it("with clairpostgres unmanaged the connection strings come from the user's clair-config.yaml drop-in: no PG* variables", () => {
    const model = testModel({ files: { 'config.yaml': '', 'clair-config.yaml': 'matcher:\n  connstring: host=db.example.com user=clair password=pw dbname=clair\n' }, spec: { components: [{ kind: 'clairpostgres', managed: false }] } });
    const j = job(model, PVC);
    expect(j.spec.template.spec.containers[0].env ?? []).toEqual([]);
    const config = j.spec.template.spec.volumes.find((v: Obj) => v.name === 'config');
    expect(config.projected.sources).toContainEqual({ secret: { name: 'config-bundle-secret', items: [{ key: 'clair-config.yaml', path: 'config.yaml.d/50-user.yaml' }] } });
  });
});

describe('names', () => {
  it('one per request, deterministic, within 63 characters', () => {
    const model = testModel();
    const a = clairImportJobName(model, { source: 'pvc://c/u.gz' });
    expect(a).toMatch(/^example-registry-clair-import-[0-9a-f]{8}$/);
    expect(clairImportJobName(model, { source: 'pvc://c/u.gz' })).toBe(a);
    expect(clairImportJobName(model, { source: 'pvc://c/u.gz', id: '2' })).not.toBe(a);
    expect(clairImportJobName(model, { source: 'pvc://c/v.gz' })).not.toBe(a);
    // The longest registry name (44 characters).
    expect(clairImportJobName({ name: 'a'.repeat(44) }, { source: 'pvc://c/u.gz' }).length).toBeLessThanOrEqual(63);
  });
});

describe('the import Job, other settings', () => {
  it('placement overrides of clair reach the pod spec; a request without an id is named as one with an empty id', () => {
    const tolerations = [{ key: 'scanners', operator: 'Exists' }];
    const model = testModel({ spec: { clair: { disconnected: true }, components: [{ kind: 'clair', managed: true, overrides: { tolerations } }] } });
    expect(job(model, URL_SOURCE).spec.template.spec.tolerations).toEqual(tolerations);
    expect(clairImportJobName(model, { source: URL_SOURCE.url })).toBe(clairImportJobName(model, { source: URL_SOURCE.url, id: '' }));
    expect(clairImportJobName(model, { source: URL_SOURCE.url })).not.toBe(clairImportJobName(model, { source: URL_SOURCE.url, id: '1' }));
  });

  it("plain Kubernetes: the pod runs as nobody (65534), Clair image's user, with that fsGroup", () => {
    const model = ingressTerminatedModel({}, { clair: { disconnected: true } });
    expect(job(model, URL_SOURCE).spec.template.spec.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' }, runAsUser: 65534, runAsGroup: 65534, fsGroup: 65534 });
  });
});
