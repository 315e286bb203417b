// The operator's install chart (`quay-operator manifests`), rendered in process: test/cli/manifests
// checks the built binary's options and the RBAC against what the controller needs; this checks the
// chart itself, object by object, so a changed rule, binding or Deployment field fails without a build.
import { quayRegistryCrd } from '../../lib/api/crd';
import { DEFAULT_IMAGES, Images } from '../../lib/images';
import { toYamlStream } from '../../lib/yaml';
import { InstallOptions, installManifests } from '../support/operator-install';
import { validateAll } from '../support/schema';

type Obj = Record<string, any>;

function render(options: InstallOptions = {}): Obj[] {
  const objects = installManifests(options);
  validateAll(objects);
  return objects;
}
const ids = (objects: Obj[]) => objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
const one = (objects: Obj[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;
const withoutCrd = (objects: Obj[]) => objects.filter((o) => o.kind !== 'CustomResourceDefinition');
const LABELS = { 'app.kubernetes.io/name': 'quay-operator' };

describe('OperatorInstall, watching all namespaces', () => {
  const objects = render();

  test('as rendered, but for the CRD (deploy/crd.yaml) (snapshot)', () => {
    expect(toYamlStream(withoutCrd(objects))).toMatchSnapshot();
  });

  test('the CRD, then the namespace, its ServiceAccount, a ClusterRole and its binding, leader election, the Service and the Deployment', () => {
    expect(ids(objects).sort()).toEqual(
      [
        'CustomResourceDefinition//quayregistries.quay.redhat.com',
        'Namespace//quay-operator',
        'ServiceAccount/quay-operator/quay-operator',
        'ClusterRole//quay-operator',
        'ClusterRoleBinding//quay-operator',
        'Role/quay-operator/quay-operator-leader-election',
        'RoleBinding/quay-operator/quay-operator-leader-election',
        'Service/quay-operator/quay-operator',
        'Deployment/quay-operator/quay-operator',
      ].sort(),
    );
    expect(objects[0]).toEqual(quayRegistryCrd());
    for (const o of objects.slice(1)) expect([o.kind, o.metadata.labels]).toEqual([o.kind, LABELS]);
  });

  test('the ClusterRole starts with the cluster-scoped rules (apps domain, namespace label); the bindings name the ServiceAccount', () => {
    expect(one(objects, 'ClusterRole', 'quay-operator').rules.slice(0, 2)).toEqual([
      { apiGroups: ['config.openshift.io'], resources: ['ingresses'], verbs: ['get'] },
      { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'patch'] },
    ]);
    const subjects = [{ kind: 'ServiceAccount', name: 'quay-operator', namespace: 'quay-operator' }];
    expect(one(objects, 'ClusterRoleBinding', 'quay-operator')).toMatchObject({ roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'quay-operator' }, subjects });
    expect(one(objects, 'RoleBinding', 'quay-operator-leader-election')).toMatchObject({
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'quay-operator-leader-election' },
      subjects,
    });
    expect(one(objects, 'Role', 'quay-operator-leader-election').rules).toEqual([{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] }]);
  });

  test('the Deployment: one replica, the default images and Quay version, no watched namespace or apps domain', () => {
    const spec = one(objects, 'Deployment', 'quay-operator').spec;
    expect(spec.replicas).toBe(1);
    const c = spec.template.spec.containers[0];
    expect(c.image).toBe('quay.io/example/quay-operator:test');
    expect(c.args).toEqual(['run', '--leader-elect', '--metrics-port', '8080', '--health-port', '8081', '--reconfigure-port', '7071']);
    expect(c.env.map((e: Obj) => e.name)).not.toContain('QUAY_APPS_DOMAIN');
    expect(c.env.map((e: Obj) => e.name)).not.toContain('WATCH_NAMESPACE');
    expect(c.env).toContainEqual({ name: 'RELATED_IMAGE_COMPONENT_QUAY', value: DEFAULT_IMAGES.quay });
  });
});

describe('OperatorInstall with every option', () => {
  const images: Images = Object.fromEntries(Object.keys(DEFAULT_IMAGES).map((k) => [k, `registry.example.com/${k}@sha256:${'a'.repeat(64)}`])) as never;
  const objects = render({ namespace: 'operators', watchNamespace: 'quay-enterprise', appsDomain: 'apps.example.com', replicas: 3, images, quayVersion: 'v3.99.0' });

  test('as rendered, but for the CRD (deploy/crd.yaml) (snapshot)', () => {
    expect(toYamlStream(withoutCrd(objects))).toMatchSnapshot();
  });

  test('a Role and its binding in the watched namespace, no ClusterRole; leader election stays in the operator namespace', () => {
    expect(ids(objects).sort()).toEqual(
      [
        'CustomResourceDefinition//quayregistries.quay.redhat.com',
        'Namespace//operators',
        'ServiceAccount/operators/quay-operator',
        'Role/quay-enterprise/quay-operator',
        'RoleBinding/quay-enterprise/quay-operator',
        'Role/operators/quay-operator-leader-election',
        'RoleBinding/operators/quay-operator-leader-election',
        'Service/operators/quay-operator',
        'Deployment/operators/quay-operator',
      ].sort(),
    );
    expect(one(objects, 'RoleBinding', 'quay-operator')).toMatchObject({
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'quay-operator' },
      subjects: [{ kind: 'ServiceAccount', name: 'quay-operator', namespace: 'operators' }],
    });
    // The cluster-scoped rules are not in the Role: one namespace needs none of them.
    expect(one(objects, 'Role', 'quay-operator').rules.map((r: Obj) => r.resources).flat()).not.toContain('namespaces');
  });

  test('the Deployment: --namespace, QUAY_APPS_DOMAIN, the replicas, images and Quay version given', () => {
    const spec = one(objects, 'Deployment', 'quay-operator').spec;
    expect(spec.replicas).toBe(3);
    const c = spec.template.spec.containers[0];
    expect(c.args.slice(-2)).toEqual(['--namespace', 'quay-enterprise']);
    expect(c.env).toContainEqual({ name: 'QUAY_APPS_DOMAIN', value: 'apps.example.com' });
    expect(c.env).toContainEqual({ name: 'QUAY_VERSION', value: 'v3.99.0' });
    expect(c.env).toContainEqual({ name: 'RELATED_IMAGE_COMPONENT_QUAY', value: images.quay });
  });
});
