// The overrides that end up in pod templates and object metadata (env, affinity, tolerations,
// resources, labels, annotations, nodeSelector), checked as the API server checks them when the
// operator applies the rendered objects. Without this, a registry the CRD takes (its affinity and
// valueFrom are free-form) was refused object by object at apply time: a partial rollout, blocked
// half way, instead of one clear message naming the field.
import { parseQuantity } from '../quantity';

/** Reports a problem at a path under the override (`.x`, `[0].y`, or `` for the override itself). */
export type Report = (path: string, message: string) => void;

type Shape =
  | 'any'
  | 'string'
  | 'int'
  | 'bool'
  | 'labels'
  | { readonly enum: readonly string[] }
  | { readonly int: readonly [number, number] }
  /** A string, and why it is not a good one (undefined: it is). */
  | { readonly text: (v: string) => string | undefined }
  | { readonly list: Shape; readonly max?: number; readonly min?: number }
  | { readonly fields: Readonly<Record<string, Shape>>; readonly required?: readonly string[]; readonly check?: (v: Record<string, unknown>) => string | undefined };

const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Why `key` is not a Kubernetes label or annotation key (`[prefix/]name`), or undefined. */
export function keyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const [prefix, name] = slash < 0 ? [undefined, key] : [key.slice(0, slash), key.slice(slash + 1)];
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return `key ${JSON.stringify(key)}: the prefix must be a DNS subdomain of at most 253 characters`;
  if (name.length > 63 || !QUALIFIED_NAME.test(name)) return `key ${JSON.stringify(key)}: the name must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`;
  return undefined;
}

/** Why `value` is not a label value, or undefined. */
export function labelValueProblem(value: string): string | undefined {
  return value.length <= 63 && LABEL_VALUE.test(value) ? undefined : `value ${JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value)} is not a label value (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)`;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** Checks `v` against `shape`; unknown fields are problems, as the API server's strict decoding of an apply. */
function walk(shape: Shape, v: unknown, path: string, report: Report): void {
  if (shape === 'any') return;
  if (shape === 'string') return typeof v === 'string' ? undefined : report(path, 'must be a string');
  if (shape === 'int') return isInt(v) ? undefined : report(path, 'must be a whole number');
  if (shape === 'bool') return typeof v === 'boolean' ? undefined : report(path, 'must be true or false');
  if (shape === 'labels') return checkStringMap(v, path, report, { labels: true, max: 64 });
  if ('enum' in shape) return shape.enum.includes(v as string) ? undefined : report(path, `${JSON.stringify(v)} is not one of ${shape.enum.join(', ')}`);
  if ('int' in shape) return isInt(v) && v >= shape.int[0] && v <= shape.int[1] ? undefined : report(path, `must be a whole number from ${shape.int[0]} to ${shape.int[1]}`);
  if ('text' in shape) {
    if (typeof v !== 'string') return report(path, 'must be a string');
    const why = shape.text(v);
    return why ? report(path, why) : undefined;
  }
  if ('list' in shape) {
    if (!Array.isArray(v)) return report(path, 'must be a list');
    if (shape.max !== undefined && v.length > shape.max) return report(path, `at most ${shape.max} items, got ${v.length}`);
    if (shape.min !== undefined && v.length < shape.min) return report(path, `must have at least ${shape.min} item${shape.min === 1 ? '' : 's'}`);
    return v.forEach((item, i) => walk(shape.list, item, `${path}[${i}]`, report));
  }
  if (!isObject(v)) return report(path, `must be a mapping with ${Object.keys(shape.fields).join(', ')}`);
  for (const [k, x] of Object.entries(v)) {
    const field = shape.fields[k];
    if (field) walk(field, x, `${path}.${k}`, report);
    else report(`${path}.${k}`, `unknown field; valid fields are ${Object.keys(shape.fields).join(', ')}`);
  }
  for (const r of shape.required ?? []) if (v[r] === undefined) report(`${path}.${r}`, 'is required');
  const why = shape.check?.(v);
  if (why) report(path, why);
}

/** In and NotIn take values, Exists and DoesNotExist none, Gt and Lt one whole number. */
function requirementCheck(v: Record<string, unknown>): string | undefined {
  const values = Array.isArray(v.values) ? v.values : [];
  if ((v.operator === 'In' || v.operator === 'NotIn') && values.length === 0) return `operator ${v.operator} needs values`;
  if ((v.operator === 'Exists' || v.operator === 'DoesNotExist') && values.length > 0) return `operator ${v.operator} takes no values`;
  if ((v.operator === 'Gt' || v.operator === 'Lt') && (values.length !== 1 || !/^-?\d+$/.test(String(values[0])))) return `operator ${v.operator} takes one whole number`;
  return undefined;
}

const requirement = (operators: string[]): Shape => ({ fields: { key: 'string', operator: { enum: operators }, values: { list: 'string' } }, required: ['key', 'operator'], check: requirementCheck });
const LABEL_SELECTOR: Shape = { fields: { matchLabels: 'labels', matchExpressions: { list: requirement(['In', 'NotIn', 'Exists', 'DoesNotExist']) } } };
const NODE_SELECTOR_TERM: Shape = { fields: { matchExpressions: { list: requirement(['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt']) }, matchFields: { list: requirement(['In', 'NotIn']) } } };
const POD_AFFINITY_TERM: Shape = {
  fields: { labelSelector: LABEL_SELECTOR, namespaceSelector: LABEL_SELECTOR, namespaces: { list: 'string' }, topologyKey: 'string', matchLabelKeys: { list: 'string' }, mismatchLabelKeys: { list: 'string' } },
  required: ['topologyKey'],
  check: (v) => (typeof v.topologyKey === 'string' && keyProblem(v.topologyKey) ? `topologyKey: ${keyProblem(v.topologyKey)}` : undefined),
};
const WEIGHT: Shape = { int: [1, 100] };
const POD_AFFINITY: Shape = {
  fields: {
    requiredDuringSchedulingIgnoredDuringExecution: { list: POD_AFFINITY_TERM },
    preferredDuringSchedulingIgnoredDuringExecution: { list: { fields: { weight: WEIGHT, podAffinityTerm: POD_AFFINITY_TERM }, required: ['weight', 'podAffinityTerm'] } },
  },
};
const AFFINITY: Shape = {
  fields: {
    nodeAffinity: {
      fields: {
        // The API server refuses an empty list ("must have at least one node selector term").
        requiredDuringSchedulingIgnoredDuringExecution: { fields: { nodeSelectorTerms: { list: NODE_SELECTOR_TERM, min: 1 } }, required: ['nodeSelectorTerms'] },
        preferredDuringSchedulingIgnoredDuringExecution: { list: { fields: { weight: WEIGHT, preference: NODE_SELECTOR_TERM }, required: ['weight', 'preference'] } },
      },
    },
    podAffinity: POD_AFFINITY,
    podAntiAffinity: POD_AFFINITY,
  },
};

const TOLERATION: Shape = {
  fields: { key: 'string', operator: { enum: ['Exists', 'Equal'] }, value: 'string', effect: { enum: ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] }, tolerationSeconds: 'int' },
  check: (v) => {
    if (v.operator === 'Exists' && v.value) return 'operator Exists takes no value';
    if (!v.key && v.operator !== 'Exists') return 'without a key the operator must be Exists';
    if (v.tolerationSeconds !== undefined && v.effect !== 'NoExecute') return 'tolerationSeconds needs effect NoExecute';
    return undefined;
  },
};
export const MAX_TOLERATIONS = 32;

/**
 * secretKeyRef and configMapKeyRef: the OpenAPI has `name` optional (for backward compatibility), but
 * the API server refuses a pod template whose name is missing or not a DNS subdomain, and a key that
 * is empty or not a ConfigMap/Secret key (validateSecretKeySelector, validateConfigMapKeySelector).
 */
const OBJECT_NAME: Shape = { text: (v) => (v.length <= 253 && DNS_SUBDOMAIN.test(v) ? undefined : `${JSON.stringify(v)} is not an object name (a lowercase DNS subdomain of at most 253 characters)`) };
const DATA_KEY: Shape = {
  text: (v) =>
    v.length > 0 && v.length <= 253 && /^[-._a-zA-Z0-9]+$/.test(v) && v !== '.' && !v.startsWith('..')
      ? undefined
      : `${JSON.stringify(v)} is not a key of a Secret or ConfigMap (letters, digits, '-', '_' or '.', at most 253; not . or .. or starting with ..)`,
};
const KEY_REF: Shape = { fields: { name: OBJECT_NAME, key: DATA_KEY, optional: 'bool' }, required: ['name', 'key'] };
const VALUE_FROM: Shape = {
  fields: {
    secretKeyRef: KEY_REF,
    configMapKeyRef: KEY_REF,
    fieldRef: { fields: { apiVersion: 'string', fieldPath: 'string' }, required: ['fieldPath'] },
    resourceFieldRef: { fields: { containerName: 'string', resource: 'string', divisor: 'any' }, required: ['resource'] },
  },
  check: (v) => (Object.keys(v).length === 1 ? undefined : 'needs exactly one of secretKeyRef, configMapKeyRef, fieldRef, resourceFieldRef'),
};

export function checkAffinity(v: unknown, report: Report): void {
  walk(AFFINITY, v, '', report);
}

export function checkTolerations(v: unknown, report: Report): void {
  walk({ list: TOLERATION, max: MAX_TOLERATIONS }, v, '', report);
}

export function checkValueFrom(v: unknown, path: string, report: Report): void {
  walk(VALUE_FROM, v, path, report);
}

/** String maps: at most `max` entries; labels (and nodeSelector) take label keys and values, annotations keys and 256 KiB in all. */
export function checkStringMap(v: unknown, path: string, report: Report, options: { labels: boolean; max: number }): void {
  if (!isObject(v) || !Object.values(v).every((x) => typeof x === 'string')) return report(path, 'must be a mapping of strings to strings');
  const entries = Object.entries(v as Record<string, string>);
  if (entries.length > options.max) return report(path, `at most ${options.max} entries, got ${entries.length}`);
  for (const [k, x] of entries) {
    const why = keyProblem(k) ?? (options.labels ? labelValueProblem(x) : undefined);
    if (why) report(path, why);
  }
  const size = entries.reduce((n, [k, x]) => n + k.length + x.length, 0);
  if (!options.labels && size > 256 * 1024) report(path, `${size} bytes in all; Kubernetes takes at most 256 KiB of annotations`);
}

const RESOURCE_NAME = /^(cpu|memory|ephemeral-storage|hugepages-.+)$/;

/** requests and limits: known resource names (or a domain's), quantities of at least 0, requests no more than limits. */
export function checkResourceAmounts(v: Record<string, Record<string, unknown>>, report: Report): void {
  for (const part of ['requests', 'limits'] as const) {
    for (const [name, q] of Object.entries(v[part] ?? {})) {
      if (!RESOURCE_NAME.test(name) && !(name.includes('/') && !keyProblem(name))) report(`.${part}`, `${JSON.stringify(name)} is not a resource name (cpu, memory, ephemeral-storage, hugepages-<size>, or <domain>/<name>)`);
      else if (parseQuantity(q as string) < 0) report(`.${part}.${name}`, 'must not be negative');
    }
  }
  for (const [name, q] of Object.entries(v.requests ?? {})) {
    const limit = v.limits?.[name];
    if (limit !== undefined && parseQuantity(q as string) > parseQuantity(limit as string)) report(`.requests.${name}`, `${q} is more than its limit ${limit}`);
  }
}
