// The checks the API server makes on built-in kinds outside their OpenAPI schema (its Go validation
// code), for the kinds and fields this project writes: names, labels and keys, pod templates,
// selectors, immutable fields, sizes. Messages, reasons and field paths are the server's own
// (../shared/apiserver-fixtures records many of them); a Go struct dump is abbreviated.
import type { Cause } from './errors';
import { parseQuantity } from '../../../lib/quantity';
import { deepEqual, isObject } from './typed';

type Obj = Record<string, any>;

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035_MSG =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const CONFIG_KEY_MSG =
  "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";
const QUALIFIED_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const ENV_MSG =
  "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')";

const q = JSON.stringify;
const bad = (field: string, v: unknown, msg: string): Cause => ({ reason: 'FieldValueInvalid', message: `Invalid value: ${typeof v === 'string' ? q(v) : String(v)}: ${msg}`, field });
/** An invalid value shown in Go syntax (a struct or map dump), not quoted. */
const badGo = (field: string, goValue: string, msg: string): Cause => ({ reason: 'FieldValueInvalid', message: `Invalid value: ${goValue}: ${msg}`, field });
const required = (field: string, detail?: string): Cause => ({ reason: 'FieldValueRequired', message: `Required value${detail ? `: ${detail}` : ''}`, field });
const forbidden = (field: string, msg: string): Cause => ({ reason: 'FieldValueForbidden', message: `Forbidden: ${msg}`, field });
const duplicate = (field: string, v: unknown): Cause => ({ reason: 'FieldValueDuplicate', message: `Duplicate value: ${q(v)}`, field });
const notSupported = (field: string, v: unknown, values: string[]): Cause => ({
  reason: 'FieldValueNotSupported',
  message: `Unsupported value: ${q(v)}: supported values: ${values.map((x) => q(x)).join(', ')}`,
  field,
});

/** Go's %#v of a string map: map[string]string{"a":"b", "c":"d"}. */
function goMap(m: Record<string, string> | undefined): string {
  if (!m) return 'map[string]string(nil)';
  return `map[string]string{${Object.keys(m)
    .sort()
    .map((k) => `${q(k)}:${q(m[k])}`)
    .join(', ')}}`;
}

export function subdomainProblems(v: string): string[] {
  const out: string[] = [];
  if (v.length > 253) out.push('must be no more than 253 characters');
  if (!DNS1123_SUBDOMAIN.test(v)) out.push(SUBDOMAIN_MSG);
  return out;
}

function labelProblems(v: string, re: RegExp, msg: string): string[] {
  const out: string[] = [];
  if (v.length > 63) out.push('must be no more than 63 characters');
  if (!re.test(v)) out.push(msg);
  return out;
}

function qualifiedNameProblems(key: string): string[] {
  const parts = key.split('/');
  let name = key;
  const out: string[] = [];
  if (parts.length === 2) {
    name = parts[1];
    if (parts[0].length === 0) out.push('prefix part must be non-empty');
    else out.push(...subdomainProblems(parts[0]).map((m) => `prefix part ${m}`));
  } else if (parts.length > 2) {
    out.push(`${QUALIFIED_MSG.replace('name part ', '')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`);
    return out;
  }
  if (name.length === 0) out.push('name part must be non-empty');
  else if (name.length > 63) out.push('name part must be no more than 63 characters');
  if (name.length > 0 && !QUALIFIED_NAME.test(name)) out.push(QUALIFIED_MSG);
  return out;
}

/** How each kind's names are checked. */
function nameProblems(kind: string, name: string): string[] {
  switch (kind) {
    case 'Service':
      return labelProblems(name, DNS1035_LABEL, DNS1035_MSG);
    case 'Namespace':
      return labelProblems(name, DNS1123_LABEL, LABEL_MSG);
    case 'Role':
    case 'RoleBinding':
    case 'ClusterRole':
    case 'ClusterRoleBinding':
      if (name === '.' || name === '..') return [`may not be '${name}'`];
      return /[/%]/.test(name) ? ["may not contain '/'", "may not contain '%'"].filter((m) => name.includes(m.slice(-2, -1))) : [];
    default:
      return subdomainProblems(name);
  }
}

export function validateMetadata(obj: Obj, kind: string, old: Obj | undefined): Cause[] {
  const causes: Cause[] = [];
  const m = obj.metadata ?? {};
  if (!m.name) causes.push(required('metadata.name', 'name or generateName is required'));
  else for (const p of nameProblems(kind, m.name)) causes.push(bad('metadata.name', m.name, p));
  for (const [k, v] of Object.entries((m.labels ?? {}) as Record<string, string>)) {
    for (const p of qualifiedNameProblems(k)) causes.push(bad('metadata.labels', k, p));
    for (const p of labelProblems(String(v), LABEL_VALUE, LABEL_VALUE_MSG)) causes.push(bad('metadata.labels', v, p));
  }
  let annotationBytes = 0;
  for (const [k, v] of Object.entries((m.annotations ?? {}) as Record<string, string>)) {
    for (const p of qualifiedNameProblems(k.toLowerCase())) causes.push(bad('metadata.annotations', k, p));
    annotationBytes += Buffer.byteLength(k) + Buffer.byteLength(String(v));
  }
  if (annotationBytes > 256 * 1024) causes.push({ reason: 'FieldValueTooLong', message: `Too long: must have at most ${256 * 1024} bytes`, field: 'metadata.annotations' });
  for (const [i, f] of ((m.finalizers ?? []) as string[]).entries()) {
    for (const p of qualifiedNameProblems(f)) causes.push(bad(`metadata.finalizers[${i}]`, f, p));
  }
  if (old?.metadata?.deletionTimestamp) {
    const before = new Set((old.metadata.finalizers ?? []) as string[]);
    const added = ((m.finalizers ?? []) as string[]).filter((f) => !before.has(f));
    if (added.length > 0) {
      // The server reports this twice (two validation passes add it); so do we.
      const c = forbidden('metadata.finalizers', `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => q(f)).join(', ')}}`);
      causes.push(c, c);
    }
  }
  return causes;
}

/** Checks the keys of a data map; returns the bytes of its values (what the size limit counts). */
function validateKeys(field: string, data: Record<string, unknown> | undefined, causes: Cause[]): number {
  let bytes = 0;
  for (const [k, v] of Object.entries(data ?? {})) {
    if (!CONFIG_KEY.test(k)) causes.push(bad(`${field}[${k}]`, k, CONFIG_KEY_MSG));
    else if (k.length > 253) causes.push(bad(`${field}[${k}]`, k, 'must be no more than 253 characters'));
    bytes += typeof v === 'string' ? (field === 'binaryData' ? Buffer.from(v, 'base64').length : Buffer.byteLength(v)) : 0;
  }
  return bytes;
}

function validatePodSpec(spec: Obj | undefined, at: string, causes: Cause[], allowedRestartPolicies: string[]): void {
  if (!isObject(spec)) {
    causes.push(required(at));
    return;
  }
  const volumes = new Set<string>();
  for (const [i, v] of ((spec.volumes ?? []) as Obj[]).entries()) {
    if (!v.name) causes.push(required(`${at}.volumes[${i}].name`));
    else if (volumes.has(v.name)) causes.push(duplicate(`${at}.volumes[${i}].name`, v.name));
    else for (const p of labelProblems(v.name, DNS1123_LABEL, LABEL_MSG)) causes.push(bad(`${at}.volumes[${i}].name`, v.name, p));
    volumes.add(v.name);
  }
  const containers = (spec.containers ?? []) as Obj[];
  if (containers.length === 0) causes.push(required(`${at}.containers`));
  const names = new Set<string>();
  const check = (list: Obj[], field: string) =>
    list.forEach((c, i) => {
      const cp = `${at}.${field}[${i}]`;
      if (!c.name) causes.push(required(`${cp}.name`));
      else if (names.has(c.name)) causes.push(duplicate(`${cp}.name`, c.name));
      else for (const p of labelProblems(c.name, DNS1123_LABEL, LABEL_MSG)) causes.push(bad(`${cp}.name`, c.name, p));
      names.add(c.name);
      if (!c.image) causes.push(required(`${cp}.image`));
      const envNames = new Set<string>();
      for (const [j, e] of ((c.env ?? []) as Obj[]).entries()) {
        if (!e.name) causes.push(required(`${cp}.env[${j}].name`));
        else if (!ENV_NAME.test(e.name)) causes.push(bad(`${cp}.env[${j}].name`, e.name, ENV_MSG));
        envNames.add(e.name);
        if (e.valueFrom !== undefined) {
          if (e.value) causes.push(bad(`${cp}.env[${j}].valueFrom`, '', 'may not be specified when `value` is not empty'));
          const sources = ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef'].filter((s) => e.valueFrom[s] !== undefined);
          if (sources.length !== 1) causes.push(bad(`${cp}.env[${j}].valueFrom`, '', 'may not have more than one field specified at a time'));
          for (const ref of ['configMapKeyRef', 'secretKeyRef']) {
            if (isObject(e.valueFrom[ref]) && !e.valueFrom[ref].key) causes.push(required(`${cp}.env[${j}].valueFrom.${ref}.key`));
          }
        }
      }
      const mounts = new Set<string>();
      for (const [j, vm] of ((c.volumeMounts ?? []) as Obj[]).entries()) {
        if (!vm.name) causes.push(required(`${cp}.volumeMounts[${j}].name`));
        else if (!volumes.has(vm.name)) causes.push({ reason: 'FieldValueNotFound', message: `Not found: ${q(vm.name)}`, field: `${cp}.volumeMounts[${j}].name` });
        if (!vm.mountPath) causes.push(required(`${cp}.volumeMounts[${j}].mountPath`));
        else if (mounts.has(vm.mountPath)) causes.push(bad(`${cp}.volumeMounts[${j}].mountPath`, vm.mountPath, 'must be unique'));
        mounts.add(vm.mountPath);
      }
      for (const [j, port] of ((c.ports ?? []) as Obj[]).entries()) {
        if (!(port.containerPort >= 1 && port.containerPort <= 65535)) {
          causes.push(bad(`${cp}.ports[${j}].containerPort`, port.containerPort ?? 0, 'must be between 1 and 65535, inclusive'));
        }
      }
    });
  check((spec.initContainers ?? []) as Obj[], 'initContainers');
  check(containers, 'containers');
  if (spec.restartPolicy !== undefined && !allowedRestartPolicies.includes(spec.restartPolicy)) {
    causes.push(notSupported(`${at}.restartPolicy`, spec.restartPolicy, allowedRestartPolicies));
  }
}

function selectorMatches(selector: Obj | undefined, labels: Record<string, string> | undefined): boolean {
  if (!isObject(selector)) return false;
  const l = labels ?? {};
  for (const [k, v] of Object.entries((selector.matchLabels ?? {}) as Record<string, string>)) if (l[k] !== v) return false;
  for (const e of (selector.matchExpressions ?? []) as Obj[]) {
    const has = Object.prototype.hasOwnProperty.call(l, e.key);
    const vals = (e.values ?? []) as string[];
    if (e.operator === 'In' && !(has && vals.includes(l[e.key]))) return false;
    if (e.operator === 'NotIn' && has && vals.includes(l[e.key])) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return Object.keys(selector.matchLabels ?? {}).length + (selector.matchExpressions ?? []).length > 0;
}

function goLabelSelector(s: Obj | undefined): string {
  if (!s) return '(*v1.LabelSelector)(nil)';
  return `v1.LabelSelector{MatchLabels:${goMap(s.matchLabels)}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}`;
}

/** Built-in checks of a new object (`old`: the stored one on update). */
export function validateBuiltin(obj: Obj, old: Obj | undefined): Cause[] {
  const kind = obj.kind as string;
  const causes = validateMetadata(obj, kind, old);
  const spec = obj.spec as Obj | undefined;
  switch (`${obj.apiVersion}/${kind}`) {
    case 'v1/ConfigMap': {
      const bytes = validateKeys('data', obj.data, causes) + validateKeys('binaryData', obj.binaryData, causes);
      if (bytes > 1024 * 1024) causes.push({ reason: 'FieldValueTooLong', message: `Too long: must have at most ${1024 * 1024} bytes`, field: '[]' });
      if (old?.immutable === true && (!deepEqual(old.data, obj.data) || !deepEqual(old.binaryData, obj.binaryData))) causes.push(forbidden('data', 'field is immutable when `immutable` is set'));
      break;
    }
    case 'v1/Secret': {
      validateKeys('data', obj.data, causes);
      const bytes = Object.entries((obj.data ?? {}) as Record<string, string>).reduce((n, [, v]) => n + Buffer.from(v, 'base64').length, 0);
      if (bytes > 1024 * 1024) causes.push({ reason: 'FieldValueTooLong', message: `Too long: must have at most ${1024 * 1024} bytes`, field: 'data' });
      if (old && old.type !== obj.type) causes.push(bad('type', obj.type, 'field is immutable'));
      if (old?.immutable === true && !deepEqual(old.data, obj.data)) causes.push(forbidden('data', 'field is immutable when `immutable` is set'));
      break;
    }
    case 'v1/Service': {
      if (!isObject(spec)) break;
      const ports = (spec.ports ?? []) as Obj[];
      if (ports.length === 0 && spec.type !== 'ExternalName' && spec.clusterIP !== 'None') causes.push(required('spec.ports'));
      const portNames = new Set<string>();
      ports.forEach((p, i) => {
        if (ports.length > 1 && !p.name) causes.push(required(`spec.ports[${i}].name`));
        if (p.name) {
          if (portNames.has(p.name)) causes.push(duplicate(`spec.ports[${i}].name`, p.name));
          portNames.add(p.name);
        }
        if (!(p.port >= 1 && p.port <= 65535)) causes.push(bad(`spec.ports[${i}].port`, p.port ?? 0, 'must be between 1 and 65535, inclusive'));
      });
      if (old?.spec?.clusterIP && old.spec.clusterIP !== spec.clusterIP && old.spec.type !== 'ExternalName') {
        causes.push(badGo('spec.clusterIPs[0]', `[]string{${q(spec.clusterIP)}}`, 'may not change once set'));
      }
      break;
    }
    case 'v1/PersistentVolumeClaim': {
      if (!isObject(spec)) break;
      if (!((spec.accessModes ?? []) as string[]).length) causes.push(required('spec.accessModes', 'at least 1 access mode is required'));
      const storage = spec.resources?.requests?.storage;
      if (storage === undefined) causes.push(required('spec.resources[storage]'));
      if (old) {
        const bound = old.status?.phase === 'Bound';
        const { resources: _n, ...restNew } = spec;
        const { resources: _o, ...restOld } = old.spec ?? {};
        void _n;
        void _o;
        const requestsChanged = !deepEqual(spec.resources, old.spec?.resources);
        if (!deepEqual(restNew, restOld) || (requestsChanged && !bound)) {
          causes.push(forbidden('spec', 'spec is immutable after creation except resources.requests for bound claims'));
        }
        const before = old.spec?.resources?.requests?.storage;
        if (storage !== undefined && before !== undefined && parseQuantity(String(storage)) < parseQuantity(String(before))) {
          causes.push(forbidden('spec.resources.requests.storage', 'field can not be less than previous value'));
        }
      }
      break;
    }
    case 'apps/v1/Deployment': {
      if (!isObject(spec)) {
        causes.push(required('spec.selector'), required('spec.template'));
        break;
      }
      if (!isObject(spec.selector)) causes.push(required('spec.selector'));
      else if (Object.keys(spec.selector.matchLabels ?? {}).length + (spec.selector.matchExpressions ?? []).length === 0) {
        causes.push(badGo('spec.selector', goLabelSelector(spec.selector), 'empty selector is invalid for deployment'));
      }
      const labels = spec.template?.metadata?.labels;
      if (!selectorMatches(spec.selector, labels)) causes.push(badGo('spec.template.metadata.labels', goMap(labels), '`selector` does not match template `labels`'));
      if (typeof spec.replicas === 'number' && spec.replicas < 0) causes.push(bad('spec.replicas', spec.replicas, 'must be greater than or equal to 0'));
      validatePodSpec(spec.template?.spec, 'spec.template.spec', causes, ['Always']);
      if (old && !deepEqual(old.spec?.selector, spec.selector)) causes.push(badGo('spec.selector', goLabelSelector(spec.selector), 'field is immutable'));
      break;
    }
    case 'batch/v1/Job': {
      if (!isObject(spec)) break;
      validatePodSpec(spec.template?.spec, 'spec.template.spec', causes, ['OnFailure', 'Never']);
      if (old && !deepEqual(old.spec?.template, spec.template)) causes.push(badGo('spec.template', 'core.PodTemplateSpec{...}', 'field is immutable'));
      if (old && !deepEqual(old.spec?.selector, spec.selector)) causes.push(badGo('spec.selector', goLabelSelector(spec.selector), 'field is immutable'));
      if (old && old.spec?.completions !== spec.completions) causes.push(bad('spec.completions', spec.completions, 'field is immutable'));
      break;
    }
    case 'batch/v1/CronJob': {
      if (!isObject(spec)) break;
      if (!spec.schedule) causes.push(required('spec.schedule'));
      validatePodSpec(spec.jobTemplate?.spec?.template?.spec, 'spec.jobTemplate.spec.template.spec', causes, ['OnFailure', 'Never']);
      if (spec.concurrencyPolicy !== undefined && !['Allow', 'Forbid', 'Replace'].includes(spec.concurrencyPolicy)) {
        causes.push(notSupported('spec.concurrencyPolicy', spec.concurrencyPolicy, ['Allow', 'Forbid', 'Replace']));
      }
      break;
    }
    case 'autoscaling/v2/HorizontalPodAutoscaler': {
      if (!isObject(spec)) break;
      if (!spec.scaleTargetRef?.kind) causes.push(required('spec.scaleTargetRef.kind'));
      if (!spec.scaleTargetRef?.name) causes.push(required('spec.scaleTargetRef.name'));
      if (!(spec.maxReplicas >= 1)) causes.push(bad('spec.maxReplicas', spec.maxReplicas ?? 0, 'must be greater than or equal to 1'));
      if (spec.minReplicas !== undefined && spec.minReplicas > spec.maxReplicas) {
        causes.push(bad('spec.maxReplicas', spec.maxReplicas, 'must be greater than or equal to `minReplicas`'));
      }
      break;
    }
    case 'rbac.authorization.k8s.io/v1/RoleBinding':
    case 'rbac.authorization.k8s.io/v1/ClusterRoleBinding': {
      const ref = obj.roleRef as Obj | undefined;
      if (!ref?.name) causes.push(required('roleRef.name'));
      if (!ref?.kind) causes.push(required('roleRef.kind'));
      if (old && !deepEqual(old.roleRef, ref)) {
        causes.push(badGo('roleRef', `rbac.RoleRef{APIGroup:${q(ref?.apiGroup ?? '')}, Kind:${q(ref?.kind ?? '')}, Name:${q(ref?.name ?? '')}}`, 'cannot change roleRef'));
      }
      for (const [i, s] of ((obj.subjects ?? []) as Obj[]).entries()) {
        if (!s.name) causes.push(required(`subjects[${i}].name`));
        if (s.kind === 'ServiceAccount' && !s.namespace && kind === 'ClusterRoleBinding') causes.push(required(`subjects[${i}].namespace`));
      }
      break;
    }
    case 'v1/Event': {
      const involved = obj.involvedObject as Obj | undefined;
      if (involved?.namespace && involved.namespace !== obj.metadata.namespace) {
        causes.push(bad('involvedObject.namespace', involved.namespace, 'does not match event.namespace'));
      }
      break;
    }
  }
  return causes;
}
