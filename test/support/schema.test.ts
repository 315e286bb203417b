import Ajv from 'ajv';
import { knownCustomResources, validateAll, validateObject } from './schema';
import { quayRegistryCrd } from '../../lib/api/crd';

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));

/** Applies `edit` to a copy of `base` and returns the copy. */
function mutate<T>(base: T, edit: (o: any) => void): T {
  const copy = clone(base);
  edit(copy);
  return copy;
}

/** Asserts `obj` is invalid with a problem matching every one of `patterns`. */
function expectProblems(obj: unknown, ...patterns: RegExp[]): string[] {
  const problems = validateObject(obj);
  expect(problems.length).toBeGreaterThan(0);
  for (const p of patterns) expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(p)]));
  return problems;
}

const labels = { app: 'quay', 'quay-component': 'quay-app', 'quay-operator/quayregistry': 'registry' };

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'registry-quay-app', namespace: 'quay', labels },
  spec: {
    replicas: 2,
    selector: { matchLabels: { 'quay-component': 'quay-app' } },
    template: {
      metadata: { labels },
      spec: {
        serviceAccountName: 'registry-quay-app',
        volumes: [{ name: 'config', secret: { secretName: 'registry-quay-config' } }],
        containers: [
          {
            name: 'quay-app',
            image: 'quay.io/projectquay/quay:3.12.0',
            ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
            env: [{ name: 'QE_K8S_NAMESPACE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } }],
            resources: { requests: { cpu: '2000m', memory: '8Gi' } },
            volumeMounts: [{ name: 'config', mountPath: '/conf/stack', readOnly: true }],
            readinessProbe: { httpGet: { path: '/health/instance', port: 8080, scheme: 'HTTP' } },
          },
        ],
      },
    },
  },
};

const service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'registry-quay-app', namespace: 'quay', labels },
  spec: {
    type: 'ClusterIP',
    selector: { 'quay-component': 'quay-app' },
    ports: [
      { name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 },
      { name: 'https', protocol: 'TCP', port: 443, targetPort: 'https' },
    ],
  },
};

const hpa = {
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name: 'registry-quay-app', namespace: 'quay', labels },
  spec: {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'registry-quay-app' },
    minReplicas: 2,
    maxReplicas: 20,
    metrics: [
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 90 } } },
      { type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 90 } } },
    ],
  },
};

const route = {
  apiVersion: 'route.openshift.io/v1',
  kind: 'Route',
  metadata: { name: 'registry-quay', namespace: 'quay', labels },
  spec: {
    host: 'registry-quay-quay.apps.example.com',
    to: { kind: 'Service', name: 'registry-quay-app', weight: 100 },
    port: { targetPort: 'http' },
    tls: { termination: 'edge', insecureEdgeTerminationPolicy: 'Redirect' },
  },
};

const obc = {
  apiVersion: 'objectbucket.io/v1alpha1',
  kind: 'ObjectBucketClaim',
  metadata: { name: 'registry-quay-datastore', namespace: 'quay', labels },
  spec: { storageClassName: 'openshift-storage.noobaa.io', generateBucketName: 'registry-quay-datastore' },
};

const serviceMonitor = {
  apiVersion: 'monitoring.coreos.com/v1',
  kind: 'ServiceMonitor',
  metadata: { name: 'registry-quay-metrics-monitor', namespace: 'quay', labels },
  spec: {
    selector: { matchLabels: { 'quay-component': 'monitoring' } },
    namespaceSelector: { matchNames: ['quay'] },
    endpoints: [{ port: 'quay-metrics', path: '/metrics', interval: '30s', scheme: 'http' }],
  },
};

const prometheusRule = {
  apiVersion: 'monitoring.coreos.com/v1',
  kind: 'PrometheusRule',
  metadata: { name: 'registry-quay-prometheus-rules', namespace: 'quay', labels },
  spec: {
    groups: [
      {
        name: 'quay',
        rules: [
          {
            alert: 'QuayPodFrequentlyRestarting',
            expr: 'increase(kube_pod_container_status_restarts_total{pod=~"registry-quay-.*"}[1h]) > 5',
            for: '10m',
            labels: { severity: 'warning' },
            annotations: { summary: 'Quay pod restarts frequently' },
          },
          { record: 'quay:request_rate:5m', expr: 'sum(rate(quay_request_total[5m]))' },
        ],
      },
    ],
  },
};

const quayRegistry = {
  apiVersion: 'quay.redhat.com/v1',
  kind: 'QuayRegistry',
  metadata: { name: 'registry', namespace: 'quay' },
  spec: {
    configBundleSecret: 'config-bundle',
    components: [
      { kind: 'quay', managed: true, overrides: { replicas: null, env: [{ name: 'DEBUGLOG', value: 'true' }] } },
      { kind: 'postgres', managed: true, overrides: { volumeSize: '70Gi', resources: { requests: { cpu: 2, memory: '4Gi' } } } },
      { kind: 'clair', managed: false },
      { kind: 'horizontalpodautoscaler', managed: false },
    ],
  },
  status: {
    currentVersion: '3.12.0',
    conditions: [{ type: 'Available', status: 'True', reason: 'HealthChecksPassing', message: 'all good', lastTransitionTime: '2024-01-01T00:00:00Z' }],
  },
};

describe('validateObject: Deployment (kubernetes-models)', () => {
  test('a valid Deployment passes', () => {
    expect(validateObject(deployment)).toEqual([]);
  });

  test('a container without a name fails, naming kind/name and the JSON path', () => {
    const bad = mutate(deployment, (d) => delete d.spec.template.spec.containers[0].name);
    const problems = expectProblems(bad, /^Deployment\/registry-quay-app .*spec\.template\.spec\.containers\[0\]\.name: is required/);
    expect(problems.length).toBe(1); // the schema's and our own check agree, reported once
  });

  test('a container without an image fails', () => {
    expectProblems(
      mutate(deployment, (d) => delete d.spec.template.spec.containers[0].image),
      /spec\.template\.spec\.containers\[0\]\.image: is required/,
    );
    expectProblems(
      mutate(deployment, (d) => (d.spec.template.spec.containers[0].image = '')),
      /containers\[0\]\.image: is required/,
    );
  });

  test('wrong types, missing required fields and bad enums fail', () => {
    expectProblems(mutate(deployment, (d) => (d.spec.replicas = '2')), /spec\.replicas: must be integer/);
    expectProblems(mutate(deployment, (d) => delete d.spec.selector), /spec\.selector: is required/);
    expectProblems(
      mutate(deployment, (d) => (d.spec.template.spec.containers[0].env[0].name = 7)),
      /containers\[0\]\.env\[0\]\.name: must be string/,
    );
  });

  test('checks the API server makes outside the schema', () => {
    expectProblems(
      mutate(deployment, (d) => (d.spec.selector.matchLabels['quay-component'] = 'other')),
      /selector matchLabels quay-component=other does not match the template labels/,
    );
    expectProblems(
      mutate(deployment, (d) => (d.spec.template.spec.containers[0].volumeMounts[0].name = 'nope')),
      /volumeMounts\[0\]\.name: volume "nope" is not in spec\.template\.spec\.volumes/,
    );
    expectProblems(
      mutate(deployment, (d) => d.spec.template.spec.containers.push(clone(d.spec.template.spec.containers[0]))),
      /containers\[1\]\.name: duplicate container name "quay-app"/,
    );
    expectProblems(
      mutate(deployment, (d) => (d.spec.template.spec.containers[0].ports[0].name = 'much-too-long-port-name')),
      /ports\[0\]\.name: .*no more than 15 characters/,
    );
    expectProblems(mutate(deployment, (d) => (d.spec.template.spec.containers = [])), /containers: must have at least one container/);
  });
});

describe('validateObject: names and labels (every kind)', () => {
  test('metadata.name is required and must be a DNS-1123 subdomain', () => {
    expectProblems(mutate(deployment, (d) => delete d.metadata.name), /^Deployment\/<no name> .*metadata\.name: is required/);
    expectProblems(mutate(deployment, (d) => (d.metadata.name = 'Registry_Quay')), /metadata\.name: "Registry_Quay" must be a lowercase RFC 1123 subdomain/);
    expectProblems(mutate(deployment, (d) => (d.metadata.name = 'a'.repeat(254))), /metadata\.name: .*no more than 253 characters/);
    expect(validateObject(mutate(deployment, (d) => (d.metadata.name = 'a.b-c.' + 'd'.repeat(200))))).toEqual([]);
  });

  test('label keys and values follow the Kubernetes rules', () => {
    const withLabels = (l: Record<string, string>) => mutate(deployment, (d) => (d.metadata.labels = l));
    expect(validateObject(withLabels({ 'app.kubernetes.io/name': 'quay', empty: '', 'a_b.c-d': 'A.b_c-9' }))).toEqual([]);
    expectProblems(withLabels({ app: 'x'.repeat(64) }), /metadata\.labels\.app: value "x+" must be no more than 63 characters/);
    expectProblems(withLabels({ app: '-quay' }), /metadata\.labels\.app: value "-quay" must be empty or consist of alphanumerics/);
    expectProblems(withLabels({ 'Example.COM/app': 'x' }), /metadata\.labels\["Example\.COM\/app"\]: key .*prefix part must be a lowercase RFC 1123 subdomain/);
    expectProblems(withLabels({ 'a/b/c': 'x' }), /key "a\/b\/c": must be a qualified name/);
    expectProblems(withLabels({ ['k'.repeat(64)]: 'x' }), /name part must be no more than 63 characters/);
    // Pod template labels are checked too.
    expectProblems(
      mutate(deployment, (d) => (d.spec.template.metadata.labels.extra = 'no spaces allowed')),
      /spec\.template\.metadata\.labels\.extra: value "no spaces allowed"/,
    );
  });

  test('annotation keys are checked; values may be anything', () => {
    expect(validateObject(mutate(deployment, (d) => (d.metadata.annotations = { 'quay.redhat.com/note': 'any text: ok!' })))).toEqual([]);
    expectProblems(mutate(deployment, (d) => (d.metadata.annotations = { 'bad key': 'x' })), /metadata\.annotations\["bad key"\]: key/);
  });

  test('RBAC objects may use path-segment names such as system:x', () => {
    const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'quay-operator:metrics-reader' }, rules: [] };
    expect(validateObject(role)).toEqual([]);
    expectProblems(mutate(role, (r) => (r.metadata.name = 'a/b')), /metadata\.name: "a\/b" may not contain/);
  });
});

describe('validateObject: Service', () => {
  test('a valid Service passes', () => {
    expect(validateObject(service)).toEqual([]);
  });

  test('the name must be a DNS-1035 label of at most 63 characters', () => {
    expectProblems(mutate(service, (s) => (s.metadata.name = '1registry')), /^Service\/1registry .*metadata\.name: "1registry" must be a lowercase RFC 1035 label/);
    expectProblems(mutate(service, (s) => (s.metadata.name = 'registry.quay')), /RFC 1035 label/);
    expectProblems(mutate(service, (s) => (s.metadata.name = 'r'.repeat(64))), /metadata\.name: .*no more than 63 characters/);
    // ...which a Deployment name need not be.
    expect(validateObject(mutate(deployment, (d) => (d.metadata.name = '1registry.quay')))).toEqual([]);
  });

  test('bad ports fail', () => {
    expectProblems(mutate(service, (s) => (s.spec.ports[0].port = 70000)), /spec\.ports\[0\]\.port: must be between 1 and 65535/);
    expectProblems(mutate(service, (s) => delete s.spec.ports[1].name), /spec\.ports\[1\]\.name: is required when a Service has more than one port/);
    expectProblems(mutate(service, (s) => (s.spec.ports[1].name = 'http')), /spec\.ports\[1\]\.name: duplicate port name "http"/);
    expectProblems(mutate(service, (s) => delete s.spec.ports[0].port), /spec\.ports\[0\]\.port: is required/);
    expectProblems(mutate(service, (s) => (s.spec.type = 'Internal')), /spec\.type: must be one of/);
  });
});

describe('validateObject: HorizontalPodAutoscaler autoscaling/v2', () => {
  test('a valid HPA passes', () => {
    expect(validateObject(hpa)).toEqual([]);
  });

  test('invalid HPAs fail', () => {
    expectProblems(mutate(hpa, (h) => delete h.spec.scaleTargetRef), /^HorizontalPodAutoscaler\/registry-quay-app .*spec\.scaleTargetRef: is required/);
    expectProblems(mutate(hpa, (h) => delete h.spec.maxReplicas), /spec\.maxReplicas: is required/);
    expectProblems(mutate(hpa, (h) => delete h.spec.metrics[0].resource.target.type), /spec\.metrics\[0\]\.resource\.target\.type: is required/);
    // autoscaling/v1's field does not exist in v2's target; v2's required `target` is missing.
    expectProblems(
      mutate(hpa, (h) => (h.spec.metrics[1].resource = { name: 'memory', targetAverageUtilization: 90 })),
      /spec\.metrics\[1\]\.resource\.target: is required/,
    );
    expectProblems(mutate(hpa, (h) => (h.spec.maxReplicas = 1)), /spec\.maxReplicas: must be at least 1 and at least minReplicas/);
  });

  test('API versions a 1.26+ server no longer serves are rejected', () => {
    expectProblems({ ...hpa, apiVersion: 'autoscaling/v2beta2' }, /apiVersion autoscaling\/v2beta2 was removed in Kubernetes 1\.26/);
  });
});

describe('validateObject: custom resources from /work/shared/crds', () => {
  test('the shared CRDs and our own are all loaded', () => {
    expect(knownCustomResources()).toEqual(
      expect.arrayContaining([
        'route.openshift.io/v1|Route',
        'objectbucket.io/v1alpha1|ObjectBucketClaim',
        'monitoring.coreos.com/v1|ServiceMonitor',
        'monitoring.coreos.com/v1|PrometheusRule',
        'quay.redhat.com/v1|QuayRegistry',
      ]),
    );
  });

  test('Route', () => {
    expect(validateObject(route)).toEqual([]);
    // Defaults are applied before validation, as on the server: to.kind and wildcardPolicy.
    expect(validateObject(mutate(route, (r) => delete r.spec.to.kind))).toEqual([]);
    expect(validateObject(mutate(route, (r) => delete r.spec.host))).toEqual([]);
    expectProblems(mutate(route, (r) => (r.spec.host = '')), /^Route\/registry-quay .*spec\.host: must match pattern/);
    expectProblems(mutate(route, (r) => delete r.spec.to), /spec\.to: is required/);
    expectProblems(mutate(route, (r) => delete r.spec.to.name), /spec\.to\.name: is required/);
    expectProblems(mutate(route, (r) => (r.spec.to.weight = 300)), /spec\.to\.weight: must be <= 256/);
    expectProblems(mutate(route, (r) => (r.spec.tls.termination = 'none')), /spec\.tls\.termination: must be one of/);
    expectProblems(mutate(route, (r) => (r.spec.port.targetPort = 0)), /spec\.port\.targetPort/);
    expectProblems(mutate(route, (r) => (r.spec.port.targetPort = true)), /spec\.port\.targetPort: must be integer/);
    expect(validateObject(mutate(route, (r) => (r.spec.port.targetPort = 8443)))).toEqual([]);
    // Unknown fields would be pruned silently by the server: report them.
    expectProblems(mutate(route, (r) => (r.spec.tls.termiantion = 'edge')), /spec\.tls\.termiantion: unknown field/);
  });

  test('ObjectBucketClaim', () => {
    expect(validateObject(obc)).toEqual([]);
    expectProblems(mutate(obc, (o) => delete o.spec.storageClassName), /^ObjectBucketClaim\/registry-quay-datastore .*spec\.storageClassName: is required/);
    expectProblems(mutate(obc, (o) => (o.spec.storageClassName = '')), /spec\.storageClassName: must NOT have fewer than 1 characters/);
    expectProblems(mutate(obc, (o) => (o.spec.additionalConfig = { bucketclass: 1 })), /spec\.additionalConfig\.bucketclass: must be string/);
  });

  test('ServiceMonitor', () => {
    expect(validateObject(serviceMonitor)).toEqual([]);
    expectProblems(mutate(serviceMonitor, (s) => delete s.spec.selector), /^ServiceMonitor\/registry-quay-metrics-monitor .*spec\.selector: is required/);
    expectProblems(mutate(serviceMonitor, (s) => (s.spec.endpoints[0].scheme = 'ftp')), /spec\.endpoints\[0\]\.scheme: must be one of "http", "https"/);
    expectProblems(mutate(serviceMonitor, (s) => (s.spec.endpoints[0].interval = '30 seconds')), /spec\.endpoints\[0\]\.interval: must match pattern/);
    expectProblems(mutate(serviceMonitor, (s) => (s.spec.endpoints[0].targetPort = { port: 1 })), /spec\.endpoints\[0\]\.targetPort: must be (integer|string)/);
  });

  test('PrometheusRule', () => {
    expect(validateObject(prometheusRule)).toEqual([]);
    expectProblems(mutate(prometheusRule, (p) => delete p.spec.groups[0].rules[0].expr), /^PrometheusRule\/registry-quay-prometheus-rules .*spec\.groups\[0\]\.rules\[0\]\.expr: is required/);
    expectProblems(mutate(prometheusRule, (p) => delete p.spec.groups[0].name), /spec\.groups\[0\]\.name: is required/);
    expectProblems(mutate(prometheusRule, (p) => (p.spec.groups[0].rules[0].for = 'ten minutes')), /spec\.groups\[0\]\.rules\[0\]\.for: must match pattern/);
    // Go's inline flags in CRD patterns: ^(?i)(abort|warn)?$
    expect(validateObject(mutate(prometheusRule, (p) => (p.spec.groups[0].partial_response_strategy = 'Warn')))).toEqual([]);
    expectProblems(mutate(prometheusRule, (p) => (p.spec.groups[0].partial_response_strategy = 'ignore')), /spec\.groups\[0\]\.partial_response_strategy: must match pattern/);
  });

  test('QuayRegistry (our own CRD, from quayRegistryCrd())', () => {
    expect(validateObject(quayRegistry)).toEqual([]);
    expect(validateObject({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: 'minimal' }, spec: {} })).toEqual([]);
    expectProblems(mutate(quayRegistry, (q) => (q.spec.components[0].kind = 'mirroring')), /^QuayRegistry\/registry .*spec\.components\[0\]\.kind: must be one of "quay"/);
    expectProblems(mutate(quayRegistry, (q) => delete q.spec.components[2].managed), /spec\.components\[2\]\.managed: is required/);
    expectProblems(mutate(quayRegistry, (q) => (q.spec.components[1].overrides.volumeSize = '70 GB')), /spec\.components\[1\]\.overrides\.volumeSize: must match pattern/);
    expectProblems(mutate(quayRegistry, (q) => (q.spec.components[0].overrides.replicas = -1)), /overrides\.replicas: must be >= 0/);
    expectProblems(mutate(quayRegistry, (q) => (q.spec.components[0].overrides.replica = 1)), /overrides\.replica: unknown field/);
    expectProblems(mutate(quayRegistry, (q) => (q.spec.configBundleSecret = 'x'.repeat(254))), /spec\.configBundleSecret: must NOT have more than 253 characters/);
    expectProblems(mutate(quayRegistry, (q) => (q.status.conditions[0].status = 'Yes')), /status\.conditions\[0\]\.status: must be one of "True", "False", "Unknown"/);
    // metadata is checked loosely, by our own rules: the CRD schema leaves it open.
    expectProblems(mutate(quayRegistry, (q) => delete q.metadata.name), /^QuayRegistry\/<no name> .*metadata\.name: is required/);
    expectProblems(mutate(quayRegistry, (q) => (q.metadata.name = 'My Registry')), /metadata\.name: "My Registry" must be a lowercase RFC 1123 subdomain/);
    expect(validateObject(mutate(quayRegistry, (q) => (q.metadata.annotations = { anything: 'goes' })))).toEqual([]);
  });
});

describe('validateObject: every built-in kind the operator renders', () => {
  const md = (name: string) => ({ name, namespace: 'quay', labels });
  const objects: any[] = [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: md('registry-quay-app') },
    { apiVersion: 'v1', kind: 'Secret', metadata: md('registry-quay-config'), type: 'Opaque', data: { 'config.yaml': Buffer.from('a: 1').toString('base64') }, stringData: { x: 'y' } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: md('registry-cluster-service-ca'), data: { 'service-ca.crt': '' } },
    {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: md('registry-quay-postgres-13'),
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '50Gi' } } },
    },
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: md('registry-quay-app-upgrade'),
      spec: { backoffLimit: 50, template: { metadata: { labels }, spec: { restartPolicy: 'Never', containers: [{ name: 'quay-app-upgrade', image: 'quay.io/projectquay/quay:3.12.0' }] } } },
    },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: md('registry-quay-app'), rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'put', 'patch', 'update'] }] },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: md('registry-quay-app'),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'registry-quay-app' },
      subjects: [{ kind: 'ServiceAccount', name: 'registry-quay-app', namespace: 'quay' }],
    },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'quay-operator' }, rules: [{ apiGroups: ['quay.redhat.com'], resources: ['*'], verbs: ['*'] }] },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'quay-operator' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'quay-operator' },
      subjects: [{ kind: 'ServiceAccount', name: 'quay-operator', namespace: 'quay-operator' }],
    },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'quay-operator' } },
    { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: md('quay-operator-lock'), spec: { holderIdentity: 'pod-1', leaseDurationSeconds: 15 } },
    quayRegistryCrd(),
    { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: md('registry-quay-app'), spec: { minAvailable: 1, selector: { matchLabels: { 'quay-component': 'quay-app' } } } },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: md('registry-quay-database'),
      spec: { podSelector: { matchLabels: { 'quay-component': 'postgres' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { app: 'quay' } } }], ports: [{ port: 5432 }] }] },
    },
  ];

  test.each(objects.map((o) => [`${o.apiVersion} ${o.kind}`, o]))('%s passes', (_label, obj) => {
    expect(validateObject(obj)).toEqual([]);
  });

  test('invalid built-in objects fail', () => {
    const [, secret, , pvc, job, , roleBinding, , , namespace, lease, crd, pdb, netpol] = objects;
    expectProblems(mutate(secret, (s) => (s.data['config.yaml'] = 'not base64!')), /^Secret\/registry-quay-config .*data\["config\.yaml"\]: must match format "byte"/);
    expectProblems(mutate(pvc, (p) => (p.spec.resources.requests.storage = '50 gigs')), /spec\.resources\.requests\.storage: must match format "quantity"/);
    expectProblems(mutate(job, (j) => (j.spec.template.spec.restartPolicy = 'Sometimes')), /spec\.template\.spec\.restartPolicy: must be one of/);
    expectProblems(mutate(job, (j) => delete j.spec.template.spec.containers[0].image), /spec\.template\.spec\.containers\[0\]\.image: is required/);
    expectProblems(mutate(roleBinding, (r) => delete r.roleRef), /roleRef: is required/);
    expectProblems(mutate(namespace, (n) => (n.metadata.name = 'quay.operator')), /^Namespace\/quay\.operator: metadata\.name: .*RFC 1123 label/);
    expectProblems(mutate(lease, (l) => (l.spec.leaseDurationSeconds = 'fifteen')), /spec\.leaseDurationSeconds: must be integer/);
    expectProblems(mutate(crd, (c) => delete c.spec.names.plural), /spec\.names\.plural: is required/);
    expectProblems(mutate(crd, (c) => (c.metadata.name = 'quays.quay.redhat.com')), /metadata\.name: must be spec\.names\.plural \+ "\." \+ spec\.group \(quayregistries\.quay\.redhat\.com\)/);
    expectProblems(mutate(pdb, (p) => (p.spec.maxUnavailable = 1)), /minAvailable and maxUnavailable cannot both be set/);
    expectProblems(mutate(netpol, (n) => (n.spec.policyTypes = ['Sideways'])), /^NetworkPolicy\/registry-quay-database .*spec\.policyTypes\[0\]: must be one of/);
  });
});

describe('validateObject: what it cannot validate is reported, never passed', () => {
  test('an unknown kind', () => {
    expectProblems({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }, /^Widget\/w: \(root\): unknown kind Widget in apiVersion example\.com\/v1/);
    expectProblems({ apiVersion: 'v1', kind: 'Deployment', metadata: { name: 'd' } }, /unknown kind Deployment in apiVersion v1/);
    expectProblems({ apiVersion: 'apps/v1', kind: 'Frobnicator', metadata: { name: 'd' } }, /unknown kind Frobnicator/);
    // A sub-schema of kubernetes-models is not an API resource.
    expectProblems({ apiVersion: 'v1', kind: 'Container', metadata: { name: 'c' } }, /unknown kind Container in apiVersion v1/);
    expectProblems({ apiVersion: '../../etc', kind: 'passwd', metadata: { name: 'c' } }, /unknown kind passwd/);
  });

  test('missing apiVersion or kind, or not an object', () => {
    expectProblems({ kind: 'Deployment', metadata: { name: 'd' } }, /^Deployment\/d: apiVersion: is required/);
    expectProblems({ apiVersion: 'v1', metadata: { name: 'd' } }, /^<no kind>\/d: kind: is required/);
    expectProblems(null, /must be an object, got null/);
    expectProblems([deployment], /must be an object, got an array/);
  });
});

describe('validateAll', () => {
  test('passes valid objects', () => {
    expect(() => validateAll([deployment, service, hpa, route, obc, serviceMonitor, prometheusRule, quayRegistry])).not.toThrow();
    expect(() => validateAll([])).not.toThrow();
  });

  test('throws one Error listing every problem of every object', () => {
    const badDeployment = mutate(deployment, (d) => delete d.spec.template.spec.containers[0].image);
    const badRoute = mutate(route, (r) => (r.spec.host = ''));
    let message = '';
    try {
      validateAll([service, badDeployment, badRoute, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }]);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^3 schema problem\(s\) in 4 object\(s\):/);
    expect(message).toContain('Deployment/registry-quay-app (namespace quay): spec.template.spec.containers[0].image: is required');
    expect(message).toContain('Route/registry-quay (namespace quay): spec.host: must match pattern');
    expect(message).toContain('Widget/w: (root): unknown kind Widget');
  });

  test('validates hundreds of objects with each schema compiled once (the validators are cached)', () => {
    const many: any[] = [];
    for (let i = 0; i < 100; i++) {
      const name = (o: any) => mutate(o, (x) => (x.metadata.name = `${x.metadata.name}-${i}`));
      many.push(name(deployment), name(service), name(route), name(quayRegistry), name(serviceMonitor));
    }
    // Counted, not timed (timings belong to the benchmark): a schema is compiled once, not per object.
    const compile = jest.spyOn(Ajv.prototype, 'compile');
    try {
      validateAll(many);
      expect(compile.mock.calls.length).toBeLessThanOrEqual(6);
    } finally {
      compile.mockRestore();
    }
  });
});
