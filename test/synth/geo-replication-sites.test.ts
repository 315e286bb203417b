// The three-site geo-replication GitOps layout (examples/geo-replication: base/ and sites/<site>/,
// kustomize overlays): each site renders as `kubectl kustomize sites/<site> | quay-operator synth -f -`
// would render it; exactly one site migrates the shared database, each prefers its own storage, and
// Quay and Clair are named by the global load balancers.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { InputDocument, Inputs, objectKey } from '../../lib/cli/inputs';
import { prepareInput } from '../../lib/cli/render-inputs';
import { ensureManagedKeys, managedKeysSecretName } from '../../lib/keys';
import { KubeObject, renderRegistry } from '../../lib/synth';
import { toYamlStream } from '../../lib/yaml';
import { credentialLeaks, forbiddenValues } from '../support/credential-scan';
import { kustomizeBuild } from '../support/kustomize';
import { fixedRandom, testEnvironment } from '../support/model';
import { validateAll } from '../support/schema';

type Obj = Record<string, any>;
const DIR = path.resolve(__dirname, '../../examples/geo-replication');
const SITES = { us: 'usstorage', eu: 'eustorage', ap: 'apstorage' } as const;
type Site = keyof typeof SITES;

/** A site's objects as kustomize builds them, read as `synth -f -` reads its input (with stable keys). */
function inputsOf(objects: Obj[]): { inputs: Inputs; registry: InputDocument } {
  const docs = objects.map((object, i) => ({ file: 'kustomize', index: i + 1, object }));
  const registries = docs.filter((d) => d.object.kind === 'QuayRegistry');
  expect(registries).toHaveLength(1);
  const others = new Map(docs.filter((d) => d.object.kind === 'Secret').map((d) => [objectKey('Secret', d.object.metadata.namespace, d.object.metadata.name), d] as const));
  const { name, namespace } = registries[0].object.metadata;
  others.set(objectKey('Secret', namespace, managedKeysSecretName(name)), { file: 'test', index: 0, object: { stringData: ensureManagedKeys(name, {}, fixedRandom()) } });
  return { inputs: { registries, objects: others }, registry: registries[0] };
}

function render(site: Site) {
  const { inputs, registry } = inputsOf(kustomizeBuild(path.join(DIR, 'sites', site)));
  const prepared = prepareInput(registry, inputs, testEnvironment('openshift', 'apps.example.com'), { defaultNamespace: 'default' });
  expect(prepared.problems).toEqual([]);
  return { model: prepared.model!, objects: renderRegistry(prepared.model!).objects };
}

const sites = Object.fromEntries((Object.keys(SITES) as Site[]).map((s) => [s, render(s)])) as Record<Site, ReturnType<typeof render>>;
const find = (objects: KubeObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name) as Obj | undefined;
const jobs = (objects: KubeObject[]) => objects.filter((o) => o.kind === 'Job').map((o) => o.metadata.name);

describe('examples/geo-replication: one base, three site overlays', () => {
  test('exactly one site (us) migrates the shared database; the others render the schema check, never the migration Job', () => {
    const migrating = (Object.keys(SITES) as Site[]).filter((s) => jobs(sites[s].objects).includes('example-registry-quay-app-upgrade'));
    expect(migrating).toEqual(['us']);
    expect(jobs(sites.us.objects)).toEqual(['example-registry-quay-app-upgrade']);
    expect(jobs(sites.eu.objects)).toEqual(['example-registry-quay-schema-check']);
    expect(jobs(sites.ap.objects)).toEqual(['example-registry-quay-schema-check']);
  });

  test.each(Object.entries(SITES))('site %s: Quay and mirror prefer %s', (site, storage) => {
    const env = (d: string) => find(sites[site as Site].objects, 'Deployment', `example-registry-${d}`)!.spec.template.spec.containers[0].env.find((e: Obj) => e.name === 'QUAY_DISTRIBUTED_STORAGE_PREFERENCE')?.value;
    expect([env('quay-app'), env('quay-mirror')]).toEqual([storage, storage]);
  });

  test('the sites differ only in that preference and in who migrates', () => {
    const strip = (s: Site, withJobs = true) => toYamlStream(sites[s].objects.filter((o) => withJobs || o.kind !== 'Job')).replace(new RegExp(SITES[s], 'g'), 'PREFERRED');
    expect(strip('eu')).toBe(strip('ap'));
    expect(strip('us', false)).toBe(strip('eu', false));
    expect(strip('us')).not.toBe(strip('eu'));
  });

  test('Quay is named by the global load balancer (the Route and SERVER_HOSTNAME), Clair by its own, Clair reachable through it', () => {
    for (const { model, objects } of Object.values(sites)) {
      expect(find(objects, 'Route', 'example-registry-quay')!.spec).toMatchObject({ host: 'georep.example.com', tls: { termination: 'passthrough' } });
      expect(model.hostnames.server).toBe('georep.example.com');
      const assembly = objects.find((o) => o.kind === 'ConfigMap' && /^example-registry-quay-config-/.test(o.metadata.name)) as Obj;
      expect(JSON.parse(assembly.data['spec.json']).managed).toMatchObject({ SERVER_HOSTNAME: 'georep.example.com', SECURITY_SCANNER_V4_ENDPOINT: 'https://georep-clair.example.com' });
      const clair = objects.find((o) => o.kind === 'ConfigMap' && /^example-registry-clair-config-/.test(o.metadata.name)) as Obj;
      expect((yaml.load(clair.data['config.yaml']) as Obj).notifier.webhook).toEqual({ callback: 'https://georep-clair.example.com/notifier/api/v1/notifications', target: 'https://georep.example.com/secscan/notification' });
      expect(find(objects, 'NetworkPolicy', 'example-registry-clair-app')!.spec.ingress).toEqual([{ ports: [{ protocol: 'TCP', port: 8080 }] }]);
    }
  });

  test('shared external services: no managed database, Redis, Clair database or bucket; schema-valid; no credential in any render', () => {
    for (const { model, objects } of Object.values(sites)) {
      const names = objects.map((o) => `${o.kind}/${o.metadata.name}`);
      for (const absent of ['Deployment/example-registry-quay-database', 'Deployment/example-registry-clair-postgres', 'Deployment/example-registry-quay-redis', 'ObjectBucketClaim/example-registry-quay-datastore']) {
        expect(names).not.toContain(absent);
      }
      validateAll(objects);
      expect(credentialLeaks(objects, forbiddenValues(model))).toEqual([]);
    }
  });

  const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
  // Where kubectl is installed: the subset in test/support/kustomize.ts builds what kustomize builds.
  (kubectl ? test : test.skip).each(Object.keys(SITES))('site %s: kubectl kustomize builds the same objects', (site) => {
    const out = spawnSync('kubectl', ['kustomize', path.join(DIR, 'sites', site)], { encoding: 'utf8' });
    expect(out.stderr).toBe('');
    expect(yaml.loadAll(out.stdout)).toEqual(kustomizeBuild(path.join(DIR, 'sites', site)));
  });
});
