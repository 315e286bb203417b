// The checks `operator-sdk bundle validate` (operator-framework/api's default validators, plus the
// good-practice and OperatorHub ones that apply) makes, one named test each, on the bundle the CLI
// writes. operator-sdk itself needs the network here; these are the rules it applies.
import * as yaml from 'js-yaml';
import { GROUP, KIND, PLURAL } from '../../lib/api/types';
import { bundleVersion, PACKAGE_NAME } from '../../lib/olm/package';
import { DEFAULT_QUAY_VERSION } from '../../lib/images';
import { satisfies } from '../../lib/olm/upgrade-graph';
import { validateObject } from '../support/schema';
import { csvOf, defaultBundleFiles, manifestsOf } from './olm-support';

type Obj = Record<string, any>;

const files = defaultBundleFiles();
const objects = manifestsOf(files);
const csv = csvOf(objects);
const spec = csv.spec;
const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition');
const annotations = (yaml.load(files['metadata/annotations.yaml']) as Obj).annotations as Record<string, string>;

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const CSV_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.v(.+)$/;

describe('bundle layout (operator-registry)', () => {
  test('manifests/ and metadata/annotations.yaml, and nothing else but bundle.Dockerfile', () => {
    expect(Object.keys(files).sort()).toEqual(
      ['bundle.Dockerfile', 'manifests/quay-operator-ts.clusterserviceversion.yaml', 'manifests/quay-operator_v1_service.yaml', 'manifests/quay.redhat.com_quayregistries.yaml', 'metadata/annotations.yaml'].sort(),
    );
  });

  test('exactly one ClusterServiceVersion', () => {
    expect(objects.filter((o) => o.kind === 'ClusterServiceVersion')).toHaveLength(1);
  });

  test('manifests/ holds only kinds a registry+v1 bundle may hold', () => {
    const supported = ['ClusterServiceVersion', 'CustomResourceDefinition', 'Secret', 'ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'ServiceAccount', 'Service', 'Role', 'RoleBinding', 'PrometheusRule', 'ServiceMonitor', 'PodDisruptionBudget', 'PriorityClass', 'VerticalPodAutoscaler', 'ConsoleYAMLSample', 'ConsoleQuickStart', 'ConsoleCLIDownload', 'ConsoleLink', 'NetworkPolicy'];
    for (const o of objects) expect(supported).toContain(o.kind);
  });

  test('no API version removed from Kubernetes (the deprecated-API check): CRDs are apiextensions.k8s.io/v1', () => {
    for (const o of objects) expect(['operators.coreos.com/v1alpha1', 'apiextensions.k8s.io/v1', 'v1']).toContain(o.apiVersion);
  });
});

describe('metadata/annotations.yaml', () => {
  test('mediatype registry+v1, manifests.v1 manifests/, metadata.v1 metadata/', () => {
    expect(annotations['operators.operatorframework.io.bundle.mediatype.v1']).toBe('registry+v1');
    expect(annotations['operators.operatorframework.io.bundle.manifests.v1']).toBe('manifests/');
    expect(annotations['operators.operatorframework.io.bundle.metadata.v1']).toBe('metadata/');
  });

  test('package.v1 is the package, channels.v1 lists channels, channel.default.v1 is one of them', () => {
    expect(annotations['operators.operatorframework.io.bundle.package.v1']).toBe(PACKAGE_NAME);
    const channels = annotations['operators.operatorframework.io.bundle.channels.v1'].split(',');
    expect(channels).toEqual(['stable-3.17', 'stable']);
    expect(channels).toContain(annotations['operators.operatorframework.io.bundle.channel.default.v1']);
  });

  test('bundle.Dockerfile labels equal annotations.yaml, and it copies manifests/ and metadata/', () => {
    const lines = files['bundle.Dockerfile'].split('\n');
    const labels = Object.fromEntries(lines.filter((l) => l.startsWith('LABEL ')).map((l) => l.slice(6).split(/=(.*)/s).slice(0, 2)));
    expect(labels).toEqual(annotations);
    expect(lines).toEqual(expect.arrayContaining(['FROM scratch', 'COPY manifests /manifests/', 'COPY metadata /metadata/']));
  });
});

describe('ClusterServiceVersion', () => {
  test('validates against the ClusterServiceVersion CRD schema', () => {
    expect(validateObject(csv)).toEqual([]);
  });

  test('name is <package>.v<semver>, a DNS-1123 subdomain', () => {
    const m = CSV_NAME.exec(csv.metadata.name)!;
    expect(m).not.toBeNull();
    expect(m[1]).toBe(PACKAGE_NAME);
    expect(m[3]).toMatch(SEMVER);
    expect(csv.metadata.name).toMatch(DNS1123_SUBDOMAIN);
    expect(csv.metadata.name.length).toBeLessThanOrEqual(253);
  });

  test('spec.version is semver, the name\'s version, and the Quay version the operator deploys', () => {
    expect(spec.version).toMatch(SEMVER);
    expect(csv.metadata.name).toBe(`${PACKAGE_NAME}.v${spec.version}`);
    expect(spec.version).toBe(bundleVersion(DEFAULT_QUAY_VERSION));
  });

  test('spec.replaces, when set, names an older CSV of the package; olm.skipRange is a range below this version', () => {
    if (spec.replaces !== undefined) expect(spec.replaces).toMatch(new RegExp(`^${PACKAGE_NAME}\\.v`));
    const range = csv.metadata.annotations['olm.skipRange'];
    expect(range).toMatch(/^>=\S+ <\S+( \|\| >=\S+ <\S+)*$/);
    expect(satisfies(range, spec.version)).toBe(false);
  });

  test('installModes: the four types once each, at least one supported', () => {
    const modes = spec.installModes as Obj[];
    expect(modes.map((m) => m.type).sort()).toEqual(['AllNamespaces', 'MultiNamespace', 'OwnNamespace', 'SingleNamespace']);
    for (const m of modes) expect(typeof m.supported).toBe('boolean');
    expect(modes.some((m) => m.supported)).toBe(true);
  });

  test('minKubeVersion is semver (1.26.0: the CRD has CEL rules)', () => {
    expect(spec.minKubeVersion).toMatch(SEMVER);
    expect(spec.minKubeVersion).toBe('1.26.0');
  });

  test('icon: base64 data of an allowed media type', () => {
    expect(spec.icon).toHaveLength(1);
    const [icon] = spec.icon;
    expect(['image/svg+xml', 'image/png', 'image/jpeg', 'image/gif']).toContain(icon.mediatype);
    expect(icon.base64data).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    expect(Buffer.from(icon.base64data, 'base64').toString('utf8')).toMatch(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg".*<\/svg>$/s);
  });

  test('display name, description, provider, maturity, keywords and links (good practices, OperatorHub)', () => {
    expect(spec.displayName).toBeTruthy();
    expect(spec.description.length).toBeGreaterThan(100);
    expect(spec.provider.name).toBeTruthy();
    expect(['planning', 'pre-alpha', 'alpha', 'beta', 'stable', 'mature', 'inactive', 'deprecated']).toContain(spec.maturity);
    expect(spec.keywords.length).toBeGreaterThan(0);
    for (const l of spec.links) expect(l.url).toMatch(/^https:\/\//);
  });

  test('capabilities and categories take values OperatorHub knows', () => {
    expect(['Basic Install', 'Seamless Upgrades', 'Full Lifecycle', 'Deep Insights', 'Auto Pilot']).toContain(csv.metadata.annotations.capabilities);
    const known = ['AI/Machine Learning', 'Application Runtime', 'Big Data', 'Cloud Provider', 'Database', 'Developer Tools', 'Drivers and plugins', 'Integration & Delivery', 'Logging & Tracing', 'Modernization & Migration', 'Monitoring', 'Networking', 'OpenShift Optional', 'Security', 'Storage', 'Streaming & Messaging'];
    for (const c of csv.metadata.annotations.categories.split(',')) expect(known).toContain(c.trim());
  });

  test('no webhooks and no API services (nothing OLM v1 cannot install)', () => {
    expect(spec.webhookdefinitions ?? []).toEqual([]);
    expect(spec.apiservicedefinitions?.owned ?? []).toEqual([]);
  });
});

describe('owned CRDs', () => {
  const owned = () => spec.customresourcedefinitions.owned as Obj[];

  test('each owned CRD is in the bundle, with the same name, a served version and the kind', () => {
    for (const o of owned()) {
      const crd = crds.find((c) => c.metadata.name === o.name);
      expect(crd).toBeDefined();
      expect(crd!.spec.names.kind).toBe(o.kind);
      expect(crd!.spec.versions.filter((v: Obj) => v.served).map((v: Obj) => v.name)).toContain(o.version);
    }
  });

  test('each CRD in the bundle is owned by the CSV (else: "present in bundle but not defined in CSV")', () => {
    expect(crds.map((c) => c.metadata.name)).toEqual(owned().map((o) => o.name));
    expect(owned().map((o) => o.name)).toEqual([`${PLURAL}.${GROUP}`]);
  });

  test('exactly one storage version per CRD', () => {
    for (const c of crds) expect(c.spec.versions.filter((v: Obj) => v.storage)).toHaveLength(1);
  });

  test('descriptors have a path, a display name and alm descriptor URNs', () => {
    for (const d of [...owned()[0].specDescriptors, ...owned()[0].statusDescriptors] as Obj[]) {
      expect(d.path).toMatch(/^[A-Za-z0-9[\].]+$/);
      expect(d.displayName).toBeTruthy();
      for (const x of d['x-descriptors'] ?? []) expect(x).toMatch(/^urn:alm:descriptor:/);
    }
  });
});

describe('alm-examples', () => {
  const examples = () => JSON.parse(csv.metadata.annotations['alm-examples']) as Obj[];

  test('parse as a JSON array of objects', () => {
    expect(Array.isArray(examples())).toBe(true);
    expect(examples().length).toBeGreaterThan(0);
  });

  test('each is a kind an owned CRD serves, and every owned CRD has one', () => {
    const owned = (spec.customresourcedefinitions.owned as Obj[]).map((o) => `${o.name.split('.').slice(1).join('.')}/${o.version}|${o.kind}`);
    for (const e of examples()) expect(owned).toContain(`${e.apiVersion}|${e.kind}`);
    for (const o of owned) expect(examples().map((e) => `${e.apiVersion}|${e.kind}`)).toContain(o);
  });

  test('each validates against our CRD, has a name and no namespace (the console chooses it)', () => {
    for (const e of examples()) {
      expect(validateObject({ ...e, metadata: { ...e.metadata, namespace: 'quay-enterprise' } })).toEqual([]);
      expect(e.metadata.name).toBeTruthy();
      expect(e.metadata.namespace).toBeUndefined();
      expect(e.kind).toBe(KIND);
    }
  });
});

describe('install strategy', () => {
  const strategy = () => spec.install.spec;

  test('strategy deployment, deployment names unique DNS-1123 subdomains', () => {
    expect(spec.install.strategy).toBe('deployment');
    const names = strategy().deployments.map((d: Obj) => d.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(DNS1123_SUBDOMAIN);
  });

  test('each deployment spec is a valid Deployment spec, its selector matching its pod labels', () => {
    for (const d of strategy().deployments as Obj[]) {
      expect(validateObject({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: d.name, namespace: 'quay-operator' }, spec: d.spec })).toEqual([]);
      expect(d.spec.template.metadata.labels).toMatchObject(d.spec.selector.matchLabels);
    }
  });

  test('permissions and clusterPermissions name the deployments\' ServiceAccount; rules have no wildcard and no escalation verb', () => {
    const accounts = new Set(strategy().deployments.map((d: Obj) => d.spec.template.spec.serviceAccountName));
    for (const p of [...strategy().permissions, ...strategy().clusterPermissions] as Obj[]) {
      expect(accounts.has(p.serviceAccountName)).toBe(true);
      expect(p.rules.length).toBeGreaterThan(0);
      for (const r of p.rules as Obj[]) {
        for (const v of [...r.apiGroups, ...r.resources, ...r.verbs]) expect(v).not.toContain('*');
        for (const v of r.verbs) expect(['escalate', 'bind', 'impersonate']).not.toContain(v);
      }
    }
  });

  test('relatedImages include every image the deployments name (containers and RELATED_IMAGE_* env), names unique', () => {
    const related = (spec.relatedImages as Obj[]).map((r) => r.image);
    const names = (spec.relatedImages as Obj[]).map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    for (const d of strategy().deployments as Obj[]) {
      for (const c of d.spec.template.spec.containers as Obj[]) {
        expect(related).toContain(c.image);
        for (const e of (c.env ?? []) as Obj[]) if (e.name.startsWith('RELATED_IMAGE_') && e.value) expect([e.name, related.includes(e.value)]).toEqual([e.name, true]);
      }
    }
  });
});
