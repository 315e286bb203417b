// What the API server adds to built-in objects on every write (its Go defaulting functions), and the
// Go struct round trip every built-in object goes through: empty maps and lists and nulls are
// dropped (`omitempty`), a null in a string map becomes "". The values follow the recorded answers
// of ../shared/apiserver-fixtures (README, rule 22) and Kubernetes 1.26's defaults.
import { isObject } from './typed';

type Obj = Record<string, any>;

const has = (o: Obj, k: string) => o[k] !== undefined && o[k] !== null;
const setDefault = (o: Obj, k: string, v: unknown) => {
  if (!has(o, k)) o[k] = v;
};

/** Go omitempty: nulls, empty maps and empty lists disappear; a null in a string map is "". */
export function goRoundTrip(v: unknown, keepEmpty: (path: string) => boolean = () => false, path = ''): unknown {
  if (Array.isArray(v)) return v.map((x, i) => goRoundTrip(x, keepEmpty, `${path}[${i}]`));
  if (!isObject(v)) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) {
    const p = path ? `${path}.${k}` : k;
    if (x === null || x === undefined) {
      if (keepEmpty(p)) out[k] = null;
      continue;
    }
    // An env var's value is an omitempty string: "" (say, beside valueFrom) is not kept.
    if (k === 'value' && x === '' && /\.env\[\d+\]$/.test(path)) continue;
    const y = goRoundTrip(x, keepEmpty, p);
    const empty = Array.isArray(y) ? y.length === 0 : isObject(y) && Object.keys(y).length === 0;
    if (empty && !keepEmpty(p) && (Array.isArray(y) || MAP_FIELDS.has(k))) continue;
    out[k] = y;
  }
  return out;
}

/** Fields that are Go maps (`map[string]...` with omitempty): empty ones are dropped; empty structs stay. */
const MAP_FIELDS = new Set([
  'labels',
  'annotations',
  'data',
  'binaryData',
  'stringData',
  'selector',
  'matchLabels',
  'nodeSelector',
  'limits',
  'requests',
  'capacity',
  'allocatedResources',
  'parameters',
  'overhead',
]);

/** In string maps (labels, annotations, data) a null value is an empty string. */
export function nullsToEmptyStrings(obj: Obj): void {
  const fix = (m: unknown) => {
    if (isObject(m)) for (const k of Object.keys(m)) if (m[k] === null) m[k] = '';
  };
  fix(obj.metadata?.labels);
  fix(obj.metadata?.annotations);
  if (obj.kind === 'ConfigMap' || obj.kind === 'Secret') {
    fix(obj.data);
    fix(obj.stringData);
  }
}

function isLatest(image: string | undefined): boolean {
  if (!image) return false;
  if (image.includes('@')) return false;
  const lastSlash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  return colon <= lastSlash || image.slice(colon + 1) === 'latest';
}

function probeDefaults(p: Obj | undefined): void {
  if (!isObject(p)) return;
  setDefault(p, 'timeoutSeconds', 1);
  setDefault(p, 'periodSeconds', 10);
  setDefault(p, 'successThreshold', 1);
  setDefault(p, 'failureThreshold', 3);
  if (isObject(p.httpGet)) setDefault(p.httpGet, 'scheme', 'HTTP');
}

function containerDefaults(c: Obj): void {
  setDefault(c, 'resources', {});
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  setDefault(c, 'imagePullPolicy', isLatest(c.image) ? 'Always' : 'IfNotPresent');
  for (const port of (c.ports ?? []) as Obj[]) setDefault(port, 'protocol', 'TCP');
  for (const e of (c.env ?? []) as Obj[]) if (isObject(e.valueFrom?.fieldRef)) setDefault(e.valueFrom.fieldRef, 'apiVersion', 'v1');
  probeDefaults(c.livenessProbe);
  probeDefaults(c.readinessProbe);
  probeDefaults(c.startupProbe);
}

function volumeDefaults(v: Obj): void {
  if (isObject(v.secret)) setDefault(v.secret, 'defaultMode', 420);
  if (isObject(v.configMap)) setDefault(v.configMap, 'defaultMode', 420);
  if (isObject(v.projected)) setDefault(v.projected, 'defaultMode', 420);
  if (isObject(v.downwardAPI)) setDefault(v.downwardAPI, 'defaultMode', 420);
}

export function podSpecDefaults(spec: Obj, restartPolicy = 'Always'): void {
  setDefault(spec, 'restartPolicy', restartPolicy);
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'schedulerName', 'default-scheduler');
  if (spec.serviceAccountName && !spec.serviceAccount) spec.serviceAccount = spec.serviceAccountName;
  for (const c of [...((spec.initContainers ?? []) as Obj[]), ...((spec.containers ?? []) as Obj[])]) containerDefaults(c);
  for (const v of (spec.volumes ?? []) as Obj[]) volumeDefaults(v);
}

function templateDefaults(t: Obj | undefined, restartPolicy?: string): void {
  if (!isObject(t)) return;
  t.metadata = isObject(t.metadata) ? t.metadata : {};
  t.metadata.creationTimestamp = null;
  if (isObject(t.spec)) podSpecDefaults(t.spec, restartPolicy);
}

/**
 * Kubernetes' defaulting functions, run as a request body is decoded: what they set is owned by the
 * writer of an update (a POST owns `type: Opaque` of its Secret), unlike what the REST strategy
 * adds later (prepareForCreate).
 */
export function decodeDefaults(obj: Obj): void {
  const spec = obj.spec as Obj | undefined;
  switch (`${obj.apiVersion}/${obj.kind}`) {
    case 'apps/v1/Deployment':
      if (!isObject(spec)) break;
      setDefault(spec, 'replicas', 1);
      setDefault(spec, 'strategy', { type: 'RollingUpdate' });
      if (spec.strategy.type === undefined) spec.strategy.type = 'RollingUpdate';
      if (spec.strategy.type === 'RollingUpdate') {
        spec.strategy.rollingUpdate = { maxUnavailable: '25%', maxSurge: '25%', ...(spec.strategy.rollingUpdate ?? {}) };
      }
      setDefault(spec, 'revisionHistoryLimit', 10);
      setDefault(spec, 'progressDeadlineSeconds', 600);
      templateDefaults(spec.template);
      break;
    case 'batch/v1/Job':
      if (!isObject(spec)) break;
      setDefault(spec, 'parallelism', 1);
      setDefault(spec, 'completions', 1);
      setDefault(spec, 'backoffLimit', 6);
      setDefault(spec, 'completionMode', 'NonIndexed');
      setDefault(spec, 'suspend', false);
      templateDefaults(spec.template);
      break;
    case 'batch/v1/CronJob':
      if (!isObject(spec)) break;
      setDefault(spec, 'concurrencyPolicy', 'Allow');
      setDefault(spec, 'suspend', false);
      setDefault(spec, 'successfulJobsHistoryLimit', 3);
      setDefault(spec, 'failedJobsHistoryLimit', 1);
      if (isObject(spec.jobTemplate?.spec)) {
        const js = spec.jobTemplate.spec;
        setDefault(js, 'backoffLimit', 6);
        setDefault(js, 'completionMode', 'NonIndexed');
        setDefault(js, 'parallelism', 1);
        setDefault(js, 'completions', 1);
        setDefault(js, 'suspend', false);
        templateDefaults(js.template);
      }
      break;
    case 'v1/Pod':
      if (isObject(spec)) podSpecDefaults(spec);
      break;
    case 'v1/Service':
      if (!isObject(spec)) break;
      setDefault(spec, 'type', 'ClusterIP');
      setDefault(spec, 'sessionAffinity', 'None');
      if (spec.type !== 'ExternalName') setDefault(spec, 'internalTrafficPolicy', 'Cluster');
      for (const p of (spec.ports ?? []) as Obj[]) {
        setDefault(p, 'protocol', 'TCP');
        setDefault(p, 'targetPort', p.port);
      }
      break;
    case 'v1/PersistentVolumeClaim':
      if (isObject(spec)) setDefault(spec, 'volumeMode', 'Filesystem');
      break;
    case 'autoscaling/v2/HorizontalPodAutoscaler':
      if (!isObject(spec)) break;
      setDefault(spec, 'minReplicas', 1);
      if (!Array.isArray(spec.metrics) || spec.metrics.length === 0) {
        spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }];
      }
      break;
    case 'v1/Secret':
      setDefault(obj, 'type', 'Opaque');
      break;
    case 'v1/Namespace':
      obj.metadata.labels = { ...(obj.metadata.labels ?? {}), 'kubernetes.io/metadata.name': obj.metadata.name };
      break;
    case 'storage.k8s.io/v1/StorageClass':
      setDefault(obj, 'reclaimPolicy', 'Delete');
      setDefault(obj, 'volumeBindingMode', 'Immediate');
      break;
  }
}

/** What a kind's REST strategy, IP allocation or admission adds on create (owned by nobody). */
export function prepareForCreate(obj: Obj, allocateClusterIP: () => string, keepStatus: boolean): void {
  const spec = obj.spec as Obj | undefined;
  const status = (initial: unknown) => {
    if (!keepStatus || obj.status === undefined) obj.status = initial;
  };
  switch (`${obj.apiVersion}/${obj.kind}`) {
    case 'apps/v1/Deployment':
    case 'batch/v1/CronJob':
      status({});
      break;
    case 'batch/v1/Job': {
      // The Job controller's identity: a selector on the Job's own uid, stamped on its pods.
      const labels = { 'controller-uid': obj.metadata.uid, 'job-name': obj.metadata.name };
      if (isObject(spec)) {
        if (!has(spec, 'selector') && spec.manualSelector !== true) spec.selector = { matchLabels: { 'controller-uid': obj.metadata.uid } };
        if (isObject(spec.template)) spec.template.metadata = { ...(spec.template.metadata ?? {}), labels: { ...labels, ...(spec.template.metadata?.labels ?? {}) } };
      }
      obj.metadata.labels = { ...labels, ...(obj.metadata.labels ?? {}) };
      obj.metadata.annotations = { 'batch.kubernetes.io/job-tracking': '', ...(obj.metadata.annotations ?? {}) };
      status({});
      break;
    }
    case 'v1/Pod':
      status({ phase: 'Pending' });
      break;
    case 'v1/Service':
      if (!isObject(spec) || spec.type === 'ExternalName') break;
      if (!has(spec, 'clusterIP')) spec.clusterIP = spec.clusterIPs?.[0] ?? allocateClusterIP();
      setDefault(spec, 'clusterIPs', [spec.clusterIP]);
      setDefault(spec, 'ipFamilies', ['IPv4']);
      setDefault(spec, 'ipFamilyPolicy', 'SingleStack');
      status({ loadBalancer: {} });
      break;
    case 'v1/PersistentVolumeClaim':
      obj.metadata.finalizers = [...new Set([...((obj.metadata.finalizers ?? []) as string[]), 'kubernetes.io/pvc-protection'])];
      status({ phase: 'Pending' });
      break;
    case 'autoscaling/v2/HorizontalPodAutoscaler':
      status({ desiredReplicas: 0, currentMetrics: null });
      break;
    case 'v1/Namespace':
      obj.spec = { finalizers: ['kubernetes'], ...(obj.spec ?? {}) };
      status({ phase: 'Active' });
      break;
  }
}

/** Fields a Go struct always serializes, even empty or null (no omitempty). */
export function keepEmptyFor(kind: string): (path: string) => boolean {
  return (p) =>
    /(^|\.)template\.metadata\.creationTimestamp$/.test(p) ||
    p === 'status' ||
    (kind === 'HorizontalPodAutoscaler' && p === 'status.currentMetrics') ||
    (kind === 'Service' && p === 'status.loadBalancer');
}
