// The registry+v1 bundle: its CSV as rendered (snapshot), valid against the CSV CRD in ../shared/crds,
// deterministic, and made of what `quay-operator manifests` installs: the same Deployment, the same
// RBAC rules, the same CRD and images.
import * as yaml from 'js-yaml';
import { DEFAULT_OPERATOR_IMAGE } from '../../constructs/operator-install';
import { relatedImages } from '../../constructs/olm-bundle';
import { specSchema, JSONSchema } from '../../lib/api/schema';
import { quayRegistryCrd } from '../../lib/api/crd';
import { DEFAULT_IMAGES, DEFAULT_QUAY_VERSION, IMAGE_ENV } from '../../lib/images';
import { renderBundle } from '../../lib/olm/bundle-files';
import { specDescriptors } from '../../lib/olm/descriptors';
import { almExamples } from '../../lib/olm/examples';
import { releasedVersions } from '../../lib/olm/upgrade-graph';
import { validateAll } from '../support/schema';
import { installManifests } from '../support/operator-install';
import { csvOf, defaultBundleFiles, grants, manifestsOf, sorted } from './olm-support';

type Obj = Record<string, any>;

const files = defaultBundleFiles();
const objects = manifestsOf(files);
const csv = csvOf(objects);
const deploymentSpec = () => csv.spec.install.spec.deployments[0].spec;
const container = () => deploymentSpec().template.spec.containers[0];

test('the CSV as rendered (spec descriptors, derived from the CRD schema, are checked below)', () => {
  const owned = csv.spec.customresourcedefinitions.owned.map(({ specDescriptors: _, ...rest }: Obj) => rest);
  const shown = { ...csv, spec: { ...csv.spec, customresourcedefinitions: { owned } } };
  expect(yaml.dump(shown, { lineWidth: -1, noRefs: true })).toMatchSnapshot();
});

test('every object of manifests/ validates against its schema (the CSV against ../shared/crds)', () => {
  expect(objects.map((o) => o.kind).sort()).toEqual(['ClusterServiceVersion', 'CustomResourceDefinition', 'Service']);
  validateAll(objects);
});

test('synthesis is deterministic: two renders are byte-identical', () => {
  expect(defaultBundleFiles()).toEqual(files);
});

test('the CRD is the one `crd` and `manifests` print', () => {
  expect(objects.find((o) => o.kind === 'CustomResourceDefinition')).toEqual(quayRegistryCrd());
});

describe('the same install as `quay-operator manifests`', () => {
  const all = installManifests();
  const single = installManifests({ watchNamespace: 'quay-enterprise' });
  const rulesOf = (objs: Obj[], kind: string, name: string, namespace?: string) =>
    objs.find((o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === namespace)!.rules as Obj[];
  const permissions = () => csv.spec.install.spec.permissions as Obj[];
  const clusterPermissions = () => csv.spec.install.spec.clusterPermissions as Obj[];

  test('one ServiceAccount, the one the Deployment runs as', () => {
    expect([...permissions(), ...clusterPermissions()].map((p) => p.serviceAccountName)).toEqual(['quay-operator', 'quay-operator']);
    expect(deploymentSpec().template.spec.serviceAccountName).toBe('quay-operator');
  });

  test('permissions + clusterPermissions grant exactly what `manifests` grants watching all namespaces', () => {
    const csvGrants = grants([...permissions()[0].rules, ...clusterPermissions()[0].rules]);
    const manifestGrants = grants([...rulesOf(all, 'ClusterRole', 'quay-operator'), ...rulesOf(all, 'Role', 'quay-operator-leader-election', 'quay-operator')]);
    expect(sorted(csvGrants)).toEqual(sorted(manifestGrants));
  });

  test('permissions are the watched namespace Role of `manifests --watch-namespace` plus the leader-election Role', () => {
    const expected = grants([...rulesOf(single, 'Role', 'quay-operator', 'quay-enterprise'), ...rulesOf(single, 'Role', 'quay-operator-leader-election', 'quay-operator')]);
    expect(sorted(grants(permissions()[0].rules))).toEqual(sorted(expected));
  });

  test('clusterPermissions are the cluster-scoped rules of `manifests` (apps domain, namespace label)', () => {
    const namespaced = grants(rulesOf(single, 'Role', 'quay-operator', 'quay-enterprise'));
    const clusterOnly = [...grants(rulesOf(all, 'ClusterRole', 'quay-operator'))].filter((g) => !namespaced.has(g));
    expect(sorted(grants(clusterPermissions()[0].rules))).toEqual(sorted(clusterOnly));
  });

  test('the Deployment spec is the one `manifests` renders, WATCH_NAMESPACE from OLM in place of --namespace', () => {
    const manifestSpec = all.find((o) => o.kind === 'Deployment')!.spec;
    const withoutWatch = JSON.parse(JSON.stringify(deploymentSpec()));
    const env = withoutWatch.template.spec.containers[0].env as Obj[];
    const watch = env.findIndex((e) => e.name === 'WATCH_NAMESPACE');
    expect(env[watch]).toEqual({ name: 'WATCH_NAMESPACE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: "metadata.annotations['olm.targetNamespaces']" } } });
    env.splice(watch, 1);
    // installManifests uses a test image; the bundle the default one.
    withoutWatch.template.spec.containers[0].image = manifestSpec.template.spec.containers[0].image;
    expect(withoutWatch).toEqual(manifestSpec);
    expect(container().args).not.toContain('--namespace');
  });

  test('the Service config editors commit to is the one `manifests` renders, without a namespace (OLM sets it)', () => {
    const service = objects.find((o) => o.kind === 'Service')!;
    const manifestService = all.find((o) => o.kind === 'Service')!;
    expect(service.metadata.namespace).toBeUndefined();
    expect(service.spec).toEqual(manifestService.spec);
    expect(service.spec.selector).toEqual(deploymentSpec().template.metadata.labels);
  });
});

describe('images', () => {
  test('the operator image is DEFAULT_OPERATOR_IMAGE, as in `manifests` and containerImage', () => {
    expect(container().image).toBe(DEFAULT_OPERATOR_IMAGE);
    expect(csv.metadata.annotations.containerImage).toBe(DEFAULT_OPERATOR_IMAGE);
  });

  test('RELATED_IMAGE_* env and relatedImages name the same images; empty ones (previous PostgreSQL) are left out of relatedImages', () => {
    const env = Object.fromEntries((container().env as Obj[]).filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
    for (const [key, variable] of Object.entries(IMAGE_ENV)) expect([variable, env[variable]]).toEqual([variable, DEFAULT_IMAGES[key as keyof typeof DEFAULT_IMAGES]]);
    expect(csv.spec.relatedImages.map((r: Obj) => r.image).sort()).toEqual([DEFAULT_OPERATOR_IMAGE, ...Object.values(IMAGE_ENV).map((v) => env[v]).filter((v) => v !== '')].sort());
    expect(csv.metadata.annotations['features.operators.openshift.io/disconnected']).toBe('false');
  });

  test('given digests, the CSV pins them everywhere and says it can be installed disconnected', () => {
    const digest = (c: string) => `sha256:${c.repeat(64)}`;
    const images = Object.fromEntries(Object.keys(DEFAULT_IMAGES).map((k, i) => [k, `registry.example.com/${k.toLowerCase()}@${digest(String(i))}`])) as unknown as typeof DEFAULT_IMAGES;
    const operatorImage = `registry.example.com/quay-operator-ts@${digest('f')}`;
    const pinned = csvOf(manifestsOf(renderBundle({ quayVersion: DEFAULT_QUAY_VERSION, operatorImage, images, releases: releasedVersions(DEFAULT_QUAY_VERSION), examples: almExamples() })));
    const c = pinned.spec.install.spec.deployments[0].spec.template.spec.containers[0];
    expect(c.image).toBe(operatorImage);
    for (const [key, variable] of Object.entries(IMAGE_ENV)) expect(c.env).toContainEqual({ name: variable, value: images[key as keyof typeof images] });
    expect(pinned.spec.relatedImages).toEqual(relatedImages(operatorImage, images));
    expect(pinned.spec.relatedImages.every((r: Obj) => r.image.includes('@sha256:'))).toBe(true);
    expect(pinned.metadata.annotations['features.operators.openshift.io/disconnected']).toBe('true');
  });
});

describe('releases and images beyond the default bundle', () => {
  const render = (images = DEFAULT_IMAGES, releases = releasedVersions(DEFAULT_QUAY_VERSION)) =>
    csvOf(manifestsOf(renderBundle({ quayVersion: DEFAULT_QUAY_VERSION, operatorImage: DEFAULT_OPERATOR_IMAGE, images, releases, examples: almExamples() })));

  test('the first bundle of a minor replaces nothing; a later patch replaces the one before it', () => {
    expect(render().spec).not.toHaveProperty('replaces');
    expect(render(DEFAULT_IMAGES, ['3.17.1', '3.17.2', '3.17.3']).spec.replaces).toBe('quay-operator-ts.v3.17.2');
  });

  test('one image by tag among digests: not installable disconnected', () => {
    const pinned = Object.fromEntries(Object.keys(DEFAULT_IMAGES).map((k) => [k, `registry.example.com/${k.toLowerCase()}@sha256:${'a'.repeat(64)}`])) as unknown as typeof DEFAULT_IMAGES;
    expect(render({ ...pinned, quay: 'registry.example.com/quay:v3.17.3' }).metadata.annotations['features.operators.openshift.io/disconnected']).toBe('false');
  });

  test("the Service config editors commit to is labelled as the operator's other objects", () => {
    expect(objects.find((o) => o.kind === 'Service')!.metadata).toEqual({ name: 'quay-operator', labels: { 'app.kubernetes.io/name': 'quay-operator' } });
  });
});

describe('spec descriptors, derived from the CRD schema', () => {
  const descriptors = () => csv.spec.customresourcedefinitions.owned[0].specDescriptors as Obj[];

  function schemaAt(path: string): JSONSchema | undefined {
    let s: JSONSchema | undefined = specSchema;
    for (const part of path.split('.')) {
      const m = /^(\w+)(\[0\])?$/.exec(part)!;
      s = s?.properties?.[m[1]];
      if (m[2]) s = s?.items;
    }
    return s;
  }

  test('every spec field has one (the console form), and every descriptor names a field of the schema', () => {
    const paths = descriptors().map((d) => d.path);
    for (const field of Object.keys(specSchema.properties!)) expect(paths).toContain(field);
    for (const p of paths) expect([p, schemaAt(p) !== undefined]).toEqual([p, true]);
    expect(new Set(paths).size).toBe(paths.length);
  });

  test('the form the seeds describe: Secrets pick a Secret, components are advanced, kind a select, managed a switch', () => {
    const x = (path: string) => descriptors().find((d) => d.path === path)?.['x-descriptors'];
    expect(x('configBundleSecret')).toEqual(['urn:alm:descriptor:io.kubernetes:Secret']);
    expect(x('tlsSecret')).toEqual(['urn:alm:descriptor:io.kubernetes:Secret']);
    expect(x('components')).toEqual(['urn:alm:descriptor:com.tectonic.ui:advanced']);
    expect(x('components[0].kind')).toContain('urn:alm:descriptor:com.tectonic.ui:select:quay');
    expect(x('components[0].managed')).toEqual(['urn:alm:descriptor:com.tectonic.ui:booleanSwitch']);
    expect(descriptors().some((d) => d.path.startsWith('components[0].overrides.'))).toBe(false);
  });

  test('a field added to the schema gets a descriptor with no other change', () => {
    const extended: JSONSchema = { ...specSchema, properties: { ...specSchema.properties, newField: { type: 'boolean', description: 'A new switch.' } } };
    expect(specDescriptors(extended)).toContainEqual({ path: 'newField', displayName: 'New Field', description: 'A new switch.', 'x-descriptors': ['urn:alm:descriptor:com.tectonic.ui:booleanSwitch'] });
  });
});
