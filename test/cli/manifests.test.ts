// `quay-operator manifests`, the real binary (built by `npm test` before Jest starts): the operator's
// install manifests are valid, complete, least-privilege, and grant everything the controller does.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { OPERATOR_MALLOC_ARENAS, OPERATOR_MEMORY_LIMIT, OPERATOR_NODE_FLAGS } from '../../constructs/operator-install';
import { OWNED_KINDS, typeOf } from '../../lib/controller/resources';
import { validateAll } from '../support/schema';

type Obj = Record<string, any>;

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'build/lib/cli/bin.js');
const SA = 'quay-operator';

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function manifests(args: string[] = []): Obj[] {
  const r = run(['manifests', ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const objects = (yaml.loadAll(r.stdout) as Obj[]).filter((o) => o != null);
  expect(objects.length).toBeGreaterThan(0);
  return objects;
}

const find = (objects: Obj[], kind: string, name: string, namespace?: string) => objects.filter((o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === namespace);
const one = (objects: Obj[], kind: string, name: string, namespace?: string): Obj => {
  const found = find(objects, kind, name, namespace);
  expect(found.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`)).toEqual([`${kind}/${namespace ?? ''}/${name}`]);
  return found[0];
};

// ------------------------------------------------------------------ what the controller needs
//
// Derived from lib/controller/kube-client.ts and its callers:
// - informers: list + watch on QuayRegistries and on every OWNED_KINDS kind (lib/controller/controller.ts);
// - reads: get (the config bundle, the bucket Secret/ConfigMap, the managed-keys Secret, the apps domain);
// - applier: server-side apply = PATCH, which creates the object when absent, so create + patch;
// - managed keys Secret: create (POST); prune: delete; a kept PVC: merge patch;
// - QuayRegistry: merge patch (finalizer), /status server-side apply (PATCH);
// - Events: create (POST);
// - leader election: get, create, update (PUT) on the Lease, in the operator's namespace.
// The owned kinds get exactly list/watch/create/patch/delete (PVCs no delete: they are never deleted);
// get and update only where the code calls them. test/controller/least-privilege.test.ts derives
// all of this from the requests the operator makes in its scenarios; this table is the spelled-out copy.
// Beyond the API calls: ownerReferences with blockOwnerDeletion need update on quayregistries/finalizers
// (OpenShift's OwnerReferencesPermissionEnforcement), a Route with a host needs create on
// routes/custom-host (OpenShift), and the monitoring Roles the operator renders can only be created by
// someone holding what they grant (RBAC escalation prevention): get/list/watch on services, endpoints,
// pods and prometheusrules.

type Grant = readonly [apiGroup: string, resource: string, verbs: readonly string[]];

const OWN_VERBS = ['list', 'watch', 'create', 'patch', 'delete'] as const;
const OWNED: Record<(typeof OWNED_KINDS)[number], readonly [apiGroup: string, resource: string]> = {
  Secret: ['', 'secrets'],
  ConfigMap: ['', 'configmaps'],
  Service: ['', 'services'],
  ServiceAccount: ['', 'serviceaccounts'],
  PersistentVolumeClaim: ['', 'persistentvolumeclaims'],
  Deployment: ['apps', 'deployments'],
  Job: ['batch', 'jobs'],
  CronJob: ['batch', 'cronjobs'],
  HorizontalPodAutoscaler: ['autoscaling', 'horizontalpodautoscalers'],
  Role: ['rbac.authorization.k8s.io', 'roles'],
  RoleBinding: ['rbac.authorization.k8s.io', 'rolebindings'],
  Route: ['route.openshift.io', 'routes'],
  Ingress: ['networking.k8s.io', 'ingresses'],
  NetworkPolicy: ['networking.k8s.io', 'networkpolicies'],
  HTTPRoute: ['gateway.networking.k8s.io', 'httproutes'],
  TLSRoute: ['gateway.networking.k8s.io', 'tlsroutes'],
  Certificate: ['cert-manager.io', 'certificates'],
  ObjectBucketClaim: ['objectbucket.io', 'objectbucketclaims'],
  ServiceMonitor: ['monitoring.coreos.com', 'servicemonitors'],
  PrometheusRule: ['monitoring.coreos.com', 'prometheusrules'],
};

/** Needed in every namespace the operator manages (ClusterRole) or in the watched one (Role). */
const NAMESPACED_NEEDS: readonly Grant[] = [
  ['quay.redhat.com', 'quayregistries', ['get', 'list', 'watch', 'patch']],
  ['quay.redhat.com', 'quayregistries/status', ['patch']],
  ['quay.redhat.com', 'quayregistries/finalizers', ['update']],
  ['', 'events', ['create']],
  ...Object.values(OWNED).map(([g, r]) => [g, r, r === 'persistentvolumeclaims' ? OWN_VERBS.filter((v) => v !== 'delete') : OWN_VERBS] as const),
  // Reads by name: inputs (Secrets, the bucket's ConfigMap), the live quay-app during an upgrade.
  ['', 'secrets', ['get', 'update']],
  ['', 'configmaps', ['get']],
  ['apps', 'deployments', ['get']],
  ['route.openshift.io', 'routes/custom-host', ['create', 'update']],
  // Granted onward by the monitoring Roles.
  ['', 'services', ['get']],
  ['', 'pods', ['get', 'list', 'watch']],
  ['', 'endpoints', ['get', 'list', 'watch']],
  ['monitoring.coreos.com', 'prometheusrules', ['get']],
];

/** Nothing is granted on top of the needs. */
const NAMESPACED_TOLERATED: readonly Grant[] = [];

/** Cluster-scoped reads: the OpenShift apps domain (discovery). */
const CLUSTER_NEEDS: readonly Grant[] = [
  ['config.openshift.io', 'ingresses', ['get']],
  // The openshift.io/cluster-monitoring label on registries' namespaces (a server-side apply of that label).
  ['', 'namespaces', ['get', 'patch']],
];

const LEASE_NEEDS: readonly Grant[] = [['coordination.k8s.io', 'leases', ['get', 'create', 'update']]];

/** Every (apiGroup, resource, verb) a list of rules grants, as "group|resource|verb". */
function grants(rules: Obj[]): Set<string> {
  const out = new Set<string>();
  for (const r of rules) {
    expect(r.nonResourceURLs).toBeUndefined();
    expect(r.resourceNames).toBeUndefined();
    for (const g of r.apiGroups ?? []) for (const res of r.resources ?? []) for (const v of r.verbs ?? []) out.add(`${g}|${res}|${v}`);
  }
  return out;
}

function expand(table: readonly Grant[]): string[] {
  return table.flatMap(([g, r, verbs]) => verbs.map((v) => `${g}|${r}|${v}`));
}

function expectNoWildcards(objects: Obj[]): void {
  for (const o of objects.filter((x) => x.kind === 'Role' || x.kind === 'ClusterRole')) {
    for (const rule of o.rules ?? []) {
      for (const field of ['apiGroups', 'resources', 'verbs', 'resourceNames', 'nonResourceURLs']) {
        for (const v of rule[field] ?? []) expect({ role: o.metadata.name, field, value: v }).toEqual({ role: o.metadata.name, field, value: expect.not.stringContaining('*') });
      }
      // No privilege escalation verbs either.
      for (const v of rule.verbs ?? []) expect(['escalate', 'bind', 'impersonate', 'approve', 'sign']).not.toContain(v);
    }
  }
}

// ------------------------------------------------------------------ tests

describe('quay-operator manifests (all namespaces)', () => {
  let rendered: Obj[];
  beforeAll(() => {
    rendered = manifests();
  });
  const objects = () => rendered;

  test('parses as YAML and every object passes schema validation', () => {
    const o = objects();
    validateAll(o);
    // Labelled, so `kubectl get -l app.kubernetes.io/name=quay-operator` finds them (the CRD is as in deploy/crd.yaml).
    for (const x of o.filter((y) => y.kind !== 'CustomResourceDefinition')) expect(x.metadata.labels?.['app.kubernetes.io/name']).toBe('quay-operator');
  });

  test('contains exactly the CRD in deploy/crd.yaml', () => {
    const crds = objects().filter((o) => o.kind === 'CustomResourceDefinition');
    const expected = yaml.load(fs.readFileSync(path.join(ROOT, 'deploy/crd.yaml'), 'utf8'));
    expect(crds).toEqual([expected]);
  });

  test('Namespace, ServiceAccount, ClusterRole + ClusterRoleBinding, the leader-election Role + RoleBinding, the Deployment', () => {
    const o = objects();
    expect(o.map((x) => `${x.kind}/${x.metadata.namespace ?? ''}/${x.metadata.name}`).sort()).toEqual(
      [
        'CustomResourceDefinition//quayregistries.quay.redhat.com',
        'Namespace//quay-operator',
        'ServiceAccount/quay-operator/quay-operator',
        'ClusterRole//quay-operator',
        'ClusterRoleBinding//quay-operator',
        'Role/quay-operator/quay-operator-leader-election',
        'RoleBinding/quay-operator/quay-operator-leader-election',
        'Deployment/quay-operator/quay-operator',
        'Service/quay-operator/quay-operator',
      ].sort(),
    );
    const subject = { kind: 'ServiceAccount', name: SA, namespace: 'quay-operator' };
    expect(one(o, 'ClusterRoleBinding', 'quay-operator')).toMatchObject({ roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'quay-operator' }, subjects: [subject] });
    expect(one(o, 'RoleBinding', 'quay-operator-leader-election', 'quay-operator')).toMatchObject({
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'quay-operator-leader-election' },
      subjects: [subject],
    });
  });

  test('the expected-permissions table covers every kind the controller owns', () => {
    expect(Object.keys(OWNED).sort()).toEqual([...OWNED_KINDS].sort());
    for (const kind of OWNED_KINDS) {
      const t = typeOf(kind);
      const group = t.apiVersion.includes('/') ? t.apiVersion.split('/')[0] : '';
      expect([kind, ...OWNED[kind]]).toEqual([kind, group, t.plural]);
    }
  });

  test('RBAC grants every verb the controller uses, cluster-wide, and nothing beyond the table', () => {
    const o = objects();
    expectNoWildcards(o);
    const cluster = grants(one(o, 'ClusterRole', 'quay-operator').rules);
    const missing = [...expand(NAMESPACED_NEEDS), ...expand(CLUSTER_NEEDS)].filter((g) => !cluster.has(g));
    expect(missing).toEqual([]);
    const allowed = new Set([...expand(NAMESPACED_NEEDS), ...expand(NAMESPACED_TOLERATED), ...expand(CLUSTER_NEEDS)]);
    expect([...cluster].filter((g) => !allowed.has(g))).toEqual([]);
    // Never cluster-wide write access to what the operator does not manage; on namespaces, only the
    // patch that applies the monitoring label (no create, update or delete).
    for (const g of cluster) expect(g).not.toMatch(/^\|(nodes|persistentvolumes)\||^\|namespaces\|(create|update|delete|deletecollection)$|^apiextensions\.k8s\.io\||^rbac\.authorization\.k8s\.io\|cluster/);
  });

  test('the leader-election Role grants exactly get, create and update on leases, in the operator namespace', () => {
    const role = one(objects(), 'Role', 'quay-operator-leader-election', 'quay-operator');
    expect([...grants(role.rules)].sort()).toEqual(expand(LEASE_NEEDS).sort());
  });

  test('the Deployment: restricted security context, probes on /healthz and /readyz, leader election, one replica', () => {
    const d = one(objects(), 'Deployment', 'quay-operator', 'quay-operator');
    expect(d.spec.replicas).toBe(1);
    const pod = d.spec.template.spec;
    expect(pod.serviceAccountName).toBe(SA);
    expect(pod.containers).toHaveLength(1);
    const c = pod.containers[0];
    // Pod Security "restricted": no escalation, all capabilities dropped, non-root, RuntimeDefault seccomp.
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true });
    expect(c.securityContext.capabilities.add ?? []).toEqual([]);
    expect(c.securityContext.privileged ?? false).toBe(false);
    expect(c.securityContext.runAsNonRoot ?? pod.securityContext?.runAsNonRoot).toBe(true);
    expect((c.securityContext.seccompProfile ?? pod.securityContext?.seccompProfile)?.type).toBe('RuntimeDefault');
    expect(pod.hostNetwork ?? false).toBe(false);
    expect(pod.hostPID ?? false).toBe(false);
    // Probes hit the port `run` serves them on.
    expect(c.args[0]).toBe('run');
    expect(c.args).toContain('--leader-elect');
    expect(c.args).not.toContain('--namespace');
    const flag = (name: string) => c.args[c.args.indexOf(name) + 1];
    const healthPort = Number(flag('--health-port'));
    const metricsPort = Number(flag('--metrics-port'));
    const portNumber = (p: string | number) => (typeof p === 'number' ? p : c.ports.find((x: Obj) => x.name === p)?.containerPort);
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(portNumber(c.livenessProbe.httpGet.port)).toBe(healthPort);
    expect(portNumber(c.readinessProbe.httpGet.port)).toBe(healthPort);
    expect(c.ports).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'metrics', containerPort: metricsPort })]));
    // Config editors commit to the quay-operator Service, which reaches the port `run` serves /reconfigure on.
    const reconfigurePort = Number(flag('--reconfigure-port'));
    expect(reconfigurePort).toBe(7071);
    const service = one(objects(), 'Service', 'quay-operator', 'quay-operator');
    expect(service.spec.selector).toEqual(d.spec.template.metadata.labels);
    expect(service.spec.ports).toEqual([{ name: 'reconfigure', protocol: 'TCP', port: 7071, targetPort: 'reconfigure' }]);
    expect(portNumber(service.spec.ports[0].targetPort)).toBe(reconfigurePort);
    // Leader election needs the pod's name and namespace.
    expect(c.env).toEqual(
      expect.arrayContaining([
        { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
        { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } },
      ]),
    );
    // V8's heap and the memory limit, from the benchmark's figures (README "Benchmark").
    expect(c.env).toContainEqual({ name: 'NODE_OPTIONS', value: OPERATOR_NODE_FLAGS.join(' ') });
    expect(c.env).toContainEqual({ name: 'MALLOC_ARENA_MAX', value: OPERATOR_MALLOC_ARENAS });
    expect(OPERATOR_NODE_FLAGS).toContainEqual(expect.stringMatching(/^--max-old-space-size=\d+$/));
    expect(c.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: OPERATOR_MEMORY_LIMIT } });
  });
});

describe('quay-operator manifests --watch-namespace', () => {
  test('a Role and RoleBinding in the watched namespace, no ClusterRole, --namespace on the Deployment', () => {
    const o = manifests(['--watch-namespace', 'quay-enterprise']);
    validateAll(o);
    expectNoWildcards(o);
    const role = one(o, 'Role', 'quay-operator', 'quay-enterprise');
    const g = grants(role.rules);
    expect(expand(NAMESPACED_NEEDS).filter((x) => !g.has(x))).toEqual([]);
    const allowed = new Set([...expand(NAMESPACED_NEEDS), ...expand(NAMESPACED_TOLERATED)]);
    expect([...g].filter((x) => !allowed.has(x))).toEqual([]);
    expect(one(o, 'RoleBinding', 'quay-operator', 'quay-enterprise')).toMatchObject({
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'quay-operator' },
      subjects: [{ kind: 'ServiceAccount', name: SA, namespace: 'quay-operator' }],
    });
    // Nothing cluster-wide: no access to Secrets elsewhere, no namespace label (monitoring is managed
    // only when watching all namespaces), no apps domain (QUAY_APPS_DOMAIN or SERVER_HOSTNAME instead).
    expect(o.filter((x) => x.kind === 'ClusterRole' || x.kind === 'ClusterRoleBinding')).toEqual([]);
    // Leader election stays in the operator's own namespace.
    expect([...grants(one(o, 'Role', 'quay-operator-leader-election', 'quay-operator').rules)].sort()).toEqual(expand(LEASE_NEEDS).sort());
    const args: string[] = one(o, 'Deployment', 'quay-operator', 'quay-operator').spec.template.spec.containers[0].args;
    expect(args).toContain('--leader-elect');
    expect(args[args.indexOf('--namespace') + 1]).toBe('quay-enterprise');
  });

  test('--namespace x puts every namespaced object in x (and the bindings name the ServiceAccount there)', () => {
    const o = manifests(['--namespace', 'x', '--watch-namespace', 'w']);
    validateAll(o);
    const namespaced = o.filter((x) => x.metadata.namespace !== undefined);
    expect(namespaced.map((x) => `${x.kind}/${x.metadata.namespace}/${x.metadata.name}`).sort()).toEqual(
      ['ServiceAccount/x/quay-operator', 'Role/x/quay-operator-leader-election', 'RoleBinding/x/quay-operator-leader-election', 'Deployment/x/quay-operator', 'Service/x/quay-operator', 'Role/w/quay-operator', 'RoleBinding/w/quay-operator'].sort(),
    );
    expect(one(o, 'Namespace', 'x').metadata.name).toBe('x');
    for (const b of o.filter((x) => x.kind === 'RoleBinding' || x.kind === 'ClusterRoleBinding')) expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: SA, namespace: 'x' }]);
  });

  test('--namespace x without --watch-namespace: everything namespaced in x, a ClusterRole for all namespaces', () => {
    const o = manifests(['--namespace', 'x']);
    validateAll(o);
    for (const x of o) if (!['CustomResourceDefinition', 'Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(x.kind)) expect(`${x.kind}:${x.metadata.namespace}`).toBe(`${x.kind}:x`);
    expect(o.filter((x) => x.kind === 'Role').map((r) => r.metadata.name)).toEqual(['quay-operator-leader-election']);
  });

  test('--apps-domain reaches the Deployment as QUAY_APPS_DOMAIN (one namespace cannot read OpenShift\'s); a bad one exits 2', () => {
    const o = manifests(['--watch-namespace', 'quay-enterprise', '--apps-domain', 'apps.example.com']);
    expect(one(o, 'Deployment', 'quay-operator', 'quay-operator').spec.template.spec.containers[0].env).toContainEqual({ name: 'QUAY_APPS_DOMAIN', value: 'apps.example.com' });
    expect(manifests().find((x) => x.kind === 'Deployment')!.spec.template.spec.containers[0].env.map((e: Obj) => e.name)).not.toContain('QUAY_APPS_DOMAIN');
    const r = run(['manifests', '--apps-domain', 'not a domain']);
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toMatch(/^error: --apps-domain "not a domain" is not a DNS domain\n/);
  });

  test('--image and --replicas reach the Deployment', () => {
    const o = manifests(['--image', 'registry.example.com/quay-operator@sha256:' + 'a'.repeat(64), '--replicas', '3']);
    const d = one(o, 'Deployment', 'quay-operator', 'quay-operator');
    expect(d.spec.replicas).toBe(3);
    expect(d.spec.template.spec.containers[0].image).toBe('registry.example.com/quay-operator@sha256:' + 'a'.repeat(64));
  });
});

describe('quay-operator manifests: invalid input and help', () => {
  test.each([
    [['--replicas', '0']],
    [['--replicas', '-1']],
    [['--replicas', '1.5']],
    [['--replicas', 'two']],
    [['--namespace', 'Bad_NS']],
    [['--namespace', 'UPPER']],
    [['--namespace', 'ends-with-dash-']],
    [['--watch-namespace', 'has.dot']],
    [['--watch-namespace', 'has_underscore']],
    [['--no-such-flag']],
    [['positional']],
  ])('manifests %j exits 2 with an error and prints nothing', (args) => {
    const r = run(['manifests', ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: /);
  });

  // A namespace name is a DNS-1123 label: at most 63 characters. A 64-character one passes the
  // CLI's pattern check today and yields manifests the API server rejects.
  test.each([['--namespace'], ['--watch-namespace']])('%s with a 64-character name exits 2', (flag) => {
    const r = run(['manifests', flag, 'a'.repeat(64)]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: /);
  });

  test('--help describes the options and shows examples', () => {
    const r = run(['manifests', '--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^quay-operator manifests: /);
    for (const flag of ['--namespace', '--watch-namespace', '--image', '--replicas']) expect(r.stdout).toContain(flag);
    expect(r.stdout).toMatch(/\nExamples:\n {2}quay-operator manifests( .*)?\n/);
    expect(run(['help', 'manifests']).stdout).toBe(r.stdout);
  });
});
