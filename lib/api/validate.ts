// Parses and validates a QuayRegistry. The CLI and the controller both call this, so they reject
// the same input with the same messages; the CRD's CEL rules enforce the same rules server-side.
import { Problem, problem } from '../problems';
import { parseBackup } from './backup';
import { parseClair } from './clair-disconnected';
import { parseExposure } from './exposure';
import { parseMigrations } from './geo-replication';
import { OVERRIDE_SUPPORT, RESERVED_LABELS, AUTOSCALED } from './override-support';
import { checkAffinity, checkResourceAmounts, checkStringMap, checkTolerations, checkValueFrom } from './pod-overrides';
import { parseQuantity } from '../quantity';
import { QUANTITY_PATTERN, RULE_MESSAGES } from './schema';
import {
  API_VERSION,
  COMPONENT_KINDS,
  Component,
  ComponentKind,
  KIND,
  OVERRIDE_KINDS,
  OverrideKind,
  Overrides,
  QuayRegistry,
  QuayRegistrySpec,
  RETENTION_POLICIES,
  isComponentKind,
} from './types';

export interface ParseResult {
  readonly registry?: QuayRegistry;
  readonly problems: Problem[];
}

const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUANTITY = new RegExp(QUANTITY_PATTERN);
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
// The CRD's bounds (./schema.ts), checked here too: the same input is refused with or without the CRD.
const MAX_ENV = 128;
const MAX_MAP_ENTRIES = 64;
const MAX_INT32 = 2147483647;
// `<name>-quay-config-editor` is the longest Service name rendered; Service names are DNS labels (63).
export const MAX_REGISTRY_NAME = 63 - '-quay-config-editor'.length;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStringMap(v: unknown): v is Record<string, string> {
  return isObject(v) && Object.values(v).every((x) => typeof x === 'string');
}

/** Suggests the closest kind for a typo such as the seeds' `mirroring`. */
function suggestKind(kind: string): string {
  if (kind.length < 3) return '';
  // The longest kind that is a prefix of the typo (or that the typo is a prefix of) is the closest.
  const match = COMPONENT_KINDS.filter((k) => kind.startsWith(k) || k.startsWith(kind)).sort((a, b) => b.length - a.length)[0];
  return match ? ` (did you mean \`${match}\`?)` : '';
}

export function parseQuayRegistry(doc: unknown, defaultNamespace = 'default'): ParseResult {
  const problems: Problem[] = [];
  if (!isObject(doc)) return { problems: [problem('', 'a QuayRegistry must be a YAML mapping')] };
  if (doc.apiVersion !== API_VERSION) problems.push(problem('apiVersion', `must be ${API_VERSION}, got ${JSON.stringify(doc.apiVersion)}`));
  if (doc.kind !== KIND) problems.push(problem('kind', `must be ${KIND}, got ${JSON.stringify(doc.kind)}`));

  const metadata = isObject(doc.metadata) ? doc.metadata : {};
  const name = metadata.name;
  if (typeof name !== 'string' || name.length === 0) {
    problems.push(problem('metadata.name', 'is required'));
  } else if (!DNS_LABEL.test(name) || name.length > MAX_REGISTRY_NAME) {
    problems.push(
      problem(
        'metadata.name',
        `\`${name}\` must be a lowercase DNS label of at most ${MAX_REGISTRY_NAME} characters (it prefixes every object name, e.g. ${name}-quay-config-editor)`,
      ),
    );
  }
  const namespace = metadata.namespace ?? defaultNamespace;
  if (typeof namespace !== 'string' || !DNS_LABEL.test(namespace) || namespace.length > 63) {
    problems.push(problem('metadata.namespace', `${JSON.stringify(namespace)} is not a valid namespace name (a DNS label of at most 63 characters)`));
  }

  const rawSpec = doc.spec ?? {};
  if (!isObject(rawSpec)) {
    problems.push(problem('spec', 'must be a mapping'));
    return { problems };
  }
  const bundleName = rawSpec.configBundleSecret;
  if (bundleName !== undefined && (typeof bundleName !== 'string' || !DNS_SUBDOMAIN.test(bundleName) || bundleName.length > 253)) {
    problems.push(problem('spec.configBundleSecret', `${JSON.stringify(bundleName)} is not a valid Secret name`));
  }
  const tlsSecret = rawSpec.tlsSecret;
  if (tlsSecret !== undefined && (typeof tlsSecret !== 'string' || !DNS_SUBDOMAIN.test(tlsSecret) || tlsSecret.length > 253)) {
    problems.push(problem('spec.tlsSecret', `${JSON.stringify(tlsSecret)} is not a valid Secret name`));
  }
  for (const key of Object.keys(rawSpec)) {
    if (!SPEC_FIELDS.includes(key)) problems.push(problem(`spec.${key}`, `unknown field; the spec has only ${SPEC_FIELDS.join(', ')}`));
  }
  const exposure = parseExposure(rawSpec.exposure, problems);
  const retention = parseRetention(rawSpec.persistentVolumeClaimRetentionPolicy, problems);
  const initialUser = parseInitialUser(rawSpec.initialUser, problems);
  const networkPolicies = parseNetworkPolicies(rawSpec.networkPolicies, problems);
  const backup = parseBackup(rawSpec.backup, declaredUnmanaged(rawSpec.components), problems);
  // Geo-replication's migration gate and Clair's disconnected mode (./geo-replication.ts, ./clair-disconnected.ts).
  const migrations = parseMigrations(rawSpec.migrations, problems);
  const clair = parseClair(rawSpec.clair, declaredUnmanaged(rawSpec.components).has('clair'), problems);

  const components = parseComponents(rawSpec.components, problems);
  if (problems.length > 0) return { problems };

  const registry: QuayRegistry = {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: {
      name: name as string,
      namespace: namespace as string,
      ...(typeof metadata.uid === 'string' ? { uid: metadata.uid } : {}),
      ...(typeof metadata.generation === 'number' ? { generation: metadata.generation } : {}),
      ...(typeof metadata.resourceVersion === 'string' ? { resourceVersion: metadata.resourceVersion } : {}),
      ...(isStringMap(metadata.labels) ? { labels: metadata.labels } : {}),
      ...(isStringMap(metadata.annotations) ? { annotations: metadata.annotations } : {}),
      ...(typeof metadata.deletionTimestamp === 'string' ? { deletionTimestamp: metadata.deletionTimestamp } : {}),
    },
    spec: {
      ...(typeof bundleName === 'string' ? { configBundleSecret: bundleName } : {}),
      ...(typeof tlsSecret === 'string' ? { tlsSecret } : {}),
      ...(components ? { components } : {}),
      ...(exposure ? { exposure } : {}),
      ...(initialUser ? { initialUser } : {}),
      ...(retention ? { persistentVolumeClaimRetentionPolicy: retention } : {}),
      ...(networkPolicies ? { networkPolicies } : {}),
      ...(backup ? { backup } : {}),
      ...(migrations ? { migrations } : {}),
      ...(clair ? { clair } : {}),
    },
    ...(isObject(doc.status) ? { status: doc.status as QuayRegistry['status'] } : {}),
  };
  problems.push(...validateOverrideCombinations(registry.spec.components ?? []));
  return problems.length > 0 ? { problems } : { registry, problems };
}

const SPEC_FIELDS = ['configBundleSecret', 'tlsSecret', 'components', 'exposure', 'initialUser', 'persistentVolumeClaimRetentionPolicy', 'networkPolicies', 'backup', 'migrations', 'clair'];

/** Kinds spec.components declares unmanaged (as written; spec.backup may name only managed databases). */
function declaredUnmanaged(raw: unknown): Set<string> {
  return new Set(Array.isArray(raw) ? raw.filter((c) => isObject(c) && c.managed === false).map((c) => String((c as Record<string, unknown>).kind)) : []);
}

function parseNetworkPolicies(raw: unknown, problems: Problem[]): QuayRegistrySpec['networkPolicies'] {
  const path = 'spec.networkPolicies';
  if (raw === undefined || raw === null) return undefined;
  if (!isObject(raw)) {
    problems.push(problem(path, 'must be a mapping with enabled (true or false)'));
    return undefined;
  }
  const before = problems.length;
  for (const [k, v] of Object.entries(raw)) {
    if (k !== 'enabled') problems.push(problem(`${path}.${k}`, 'unknown field; networkPolicies has only enabled'));
    else if (typeof v !== 'boolean') problems.push(problem(`${path}.enabled`, `${JSON.stringify(v)} is not true or false`));
  }
  return problems.length > before ? undefined : typeof raw.enabled === 'boolean' ? { enabled: raw.enabled } : {};
}

function parseInitialUser(raw: unknown, problems: Problem[]): QuayRegistrySpec['initialUser'] {
  const path = 'spec.initialUser';
  if (raw === undefined || raw === null) return undefined;
  if (!isObject(raw)) {
    problems.push(problem(path, 'must be a mapping with secretName'));
    return undefined;
  }
  const before = problems.length;
  for (const k of Object.keys(raw)) if (k !== 'secretName') problems.push(problem(`${path}.${k}`, 'unknown field; initialUser has only secretName'));
  const name = raw.secretName;
  if (name === undefined) problems.push(problem(`${path}.secretName`, 'is required: the Secret with username, password and email'));
  else if (typeof name !== 'string' || !DNS_SUBDOMAIN.test(name) || name.length > 253) problems.push(problem(`${path}.secretName`, `${JSON.stringify(name)} is not a valid Secret name`));
  return problems.length > before ? undefined : { secretName: name as string };
}

function parseRetention(raw: unknown, problems: Problem[]): QuayRegistrySpec['persistentVolumeClaimRetentionPolicy'] {
  const path = 'spec.persistentVolumeClaimRetentionPolicy';
  if (raw === undefined || raw === null) return undefined;
  if (!isObject(raw)) {
    problems.push(problem(path, 'must be a mapping with whenDeleted'));
    return undefined;
  }
  const before = problems.length;
  for (const [k, v] of Object.entries(raw)) {
    if (k !== 'whenDeleted') problems.push(problem(`${path}.${k}`, 'unknown field; the policy has only whenDeleted'));
    else if (!(RETENTION_POLICIES as readonly unknown[]).includes(v)) problems.push(problem(`${path}.whenDeleted`, `${JSON.stringify(v)} is not one of ${RETENTION_POLICIES.join(', ')}`));
  }
  return problems.length > before ? undefined : (raw as QuayRegistrySpec['persistentVolumeClaimRetentionPolicy']);
}

function parseComponents(raw: unknown, problems: Problem[]): Component[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw)) {
    problems.push(problem('spec.components', 'must be a list of {kind, managed, overrides}'));
    return undefined;
  }
  // One line, not one per extra item (a generated list of thousands).
  if (raw.length > COMPONENT_KINDS.length) {
    problems.push(problem('spec.components', `at most ${COMPONENT_KINDS.length} components (one per kind), got ${raw.length}`));
    return undefined;
  }
  const seen = new Set<string>();
  const out: Component[] = [];
  raw.forEach((item, i) => {
    const path = `spec.components[${i}]`;
    if (!isObject(item)) {
      problems.push(problem(path, 'must be a mapping with kind and managed'));
      return;
    }
    const { kind, managed, overrides } = item;
    for (const key of Object.keys(item)) {
      if (!['kind', 'managed', 'overrides'].includes(key)) problems.push(problem(`${path}.${key}`, 'unknown field; a component has kind, managed and overrides'));
    }
    if (!isComponentKind(kind)) {
      const shown = typeof kind === 'string' ? `\`${kind}\`` : JSON.stringify(kind);
      problems.push(problem(`${path}.kind`, `unknown component kind ${shown}${typeof kind === 'string' ? suggestKind(kind) : ''}; valid kinds are ${COMPONENT_KINDS.join(', ')}`));
      return;
    }
    if (seen.has(kind)) problems.push(problem(`${path}.kind`, `${RULE_MESSAGES.duplicateKinds}: \`${kind}\` appears twice`));
    seen.add(kind);
    if (typeof managed !== 'boolean') {
      problems.push(problem(`${path}.managed`, 'is required and must be true or false'));
      return;
    }
    if (kind === 'quay' && !managed) problems.push(problem(`${path}.managed`, RULE_MESSAGES.quayUnmanaged));
    let parsedOverrides: Overrides | undefined;
    if (overrides !== undefined && overrides !== null) {
      if (!managed) {
        problems.push(problem(`${path}.overrides`, `${RULE_MESSAGES.overridesOnUnmanaged} \`${kind}\``, 'ComponentOverrideInvalid'));
      } else {
        parsedOverrides = parseOverrides(kind, overrides, `${path}.overrides`, problems);
      }
    }
    out.push({ kind, managed, ...(parsedOverrides ? { overrides: parsedOverrides } : {}) });
  });
  return out;
}

const SECURITY_CONTEXT_FIELDS = ['runAsUser', 'runAsGroup', 'fsGroup', 'supplementalGroups', 'fsGroupChangePolicy'];
const MAX_ID = 2147483647;

/** The pod securityContext override: ids only (runAsNonRoot, seccomp and capabilities stay restricted). */
function checkSecurityContext(value: unknown, bad: (field: string, message: string) => void): void {
  if (!isObject(value)) return bad('', `must be a mapping of ${SECURITY_CONTEXT_FIELDS.join(', ')}`);
  const id = (v: unknown, min: number) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= MAX_ID;
  for (const [k, v] of Object.entries(value)) {
    if (!SECURITY_CONTEXT_FIELDS.includes(k)) bad(`.${k}`, `not overridable; the operator keeps pods restricted (runAsNonRoot, seccomp RuntimeDefault, no capabilities). Valid fields: ${SECURITY_CONTEXT_FIELDS.join(', ')}`);
    else if (k === 'runAsUser' && !id(v, 1)) bad(`.${k}`, 'must be a user id of at least 1 (pods never run as root)');
    else if ((k === 'runAsGroup' || k === 'fsGroup') && !id(v, 0)) bad(`.${k}`, 'must be a group id (a whole number of at least 0)');
    else if (k === 'supplementalGroups' && (!Array.isArray(v) || !v.every((g) => id(g, 0)))) bad(`.${k}`, 'must be a list of group ids');
    else if (k === 'supplementalGroups' && (v as unknown[]).length > 32) bad(`.${k}`, 'at most 32 group ids');
    else if (k === 'fsGroupChangePolicy' && v !== 'OnRootMismatch' && v !== 'Always') bad(`.${k}`, 'must be OnRootMismatch or Always');
  }
}

function parseOverrides(kind: ComponentKind, raw: unknown, path: string, problems: Problem[]): Overrides | undefined {
  const bad = (field: string, message: string) => problems.push(problem(`${path}.${field}`, message, 'ComponentOverrideInvalid'));
  if (!isObject(raw)) {
    problems.push(problem(path, 'must be a mapping', 'ComponentOverrideInvalid'));
    return undefined;
  }
  const supported = OVERRIDE_SUPPORT[kind];
  for (const [field, value] of Object.entries(raw)) {
    if (!(OVERRIDE_KINDS as readonly string[]).includes(field)) {
      bad(field, `unknown override; valid overrides are ${OVERRIDE_KINDS.join(', ')}`);
      continue;
    }
    if (value === null || value === undefined) continue;
    if (!supported.includes(field as OverrideKind)) {
      bad(field, `component \`${kind}\` does not support \`${field}\` overrides${supported.length ? ` (it takes ${supported.join(', ')})` : ''}`);
      continue;
    }
    switch (field as OverrideKind) {
      case 'env':
        if (!Array.isArray(value)) bad(field, 'must be a list of {name, value} or {name, valueFrom}');
        else if (value.length > MAX_ENV) bad(field, `at most ${MAX_ENV} entries (the CRD's limit), got ${value.length}`);
        else
          value.forEach((e, i) => {
            const at = `${field}[${i}]`;
            if (!isObject(e) || typeof e.name !== 'string' || !ENV_NAME.test(e.name)) bad(`${at}.name`, 'must be a valid environment variable name');
            else if (e.name.length > 256) bad(`${at}.name`, `is ${e.name.length} characters long; at most 256`);
            else if (value.findIndex((x) => isObject(x) && x.name === e.name) !== i) bad(`${at}.name`, `\`${e.name}\` is listed twice`);
            else if (e.value !== undefined && typeof e.value !== 'string') bad(`${at}.value`, 'must be a string (quote numbers and booleans)');
            else if (e.value !== undefined && e.valueFrom !== undefined) bad(at, 'has both value and valueFrom: give one');
            else if (e.valueFrom !== undefined) checkValueFrom(e.valueFrom, `${at}.valueFrom`, bad);
            for (const k of isObject(e) ? Object.keys(e) : []) if (!['name', 'value', 'valueFrom'].includes(k)) bad(`${at}.${k}`, 'unknown field; an env entry has name, value and valueFrom');
          });
        break;
      case 'replicas':
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) bad(field, 'must be a whole number of at least 0');
        else if (value > MAX_INT32) bad(field, `must be at most ${MAX_INT32}`);
        break;
      case 'volumeSize':
        if ((typeof value !== 'string' && typeof value !== 'number') || !QUANTITY.test(String(value))) bad(field, `${JSON.stringify(value)} is not a Kubernetes quantity such as 50Gi`);
        else if (!(parseQuantity(value) > 0)) bad(field, `${JSON.stringify(value)}: a volume needs a size of more than 0`);
        break;
      case 'resources': {
        const found = problems.length;
        if (!isObject(value)) bad(field, 'must be a mapping with requests and/or limits');
        else
          for (const [k, v] of Object.entries(value)) {
            if (k !== 'requests' && k !== 'limits') bad(`${field}.${k}`, 'unknown field; use requests or limits');
            else if (!isObject(v)) bad(`${field}.${k}`, 'must be a mapping such as {cpu: 2000m, memory: 8Gi}');
            else
              for (const [res, q] of Object.entries(v)) {
                if ((typeof q !== 'string' && typeof q !== 'number') || !QUANTITY.test(String(q))) bad(`${field}.${k}.${res}`, `${JSON.stringify(q)} is not a Kubernetes quantity`);
              }
          }
        if (problems.length === found) checkResourceAmounts(value as Record<string, Record<string, unknown>>, (p, m) => bad(`${field}${p}`, m));
        break;
      }
      case 'affinity':
        if (!isObject(value)) bad(field, 'must be a mapping (nodeAffinity, podAffinity, podAntiAffinity)');
        else checkAffinity(value, (p, m) => bad(`${field}${p}`, m));
        break;
      case 'tolerations':
        if (!Array.isArray(value) || !value.every(isObject)) bad(field, 'must be a list of tolerations');
        else checkTolerations(value, (p, m) => bad(`${field}${p}`, m));
        break;
      case 'nodeSelector':
      case 'annotations':
        checkStringMap(value, field, bad, { labels: field === 'nodeSelector', max: MAX_MAP_ENTRIES });
        break;
      case 'storageClassName':
        if (typeof value !== 'string' || !DNS_SUBDOMAIN.test(value) || value.length > 253) bad(field, `${JSON.stringify(value)} is not a StorageClass name`);
        break;
      case 'securityContext':
        checkSecurityContext(value, (f, m) => bad(`${field}${f}`, m));
        break;
      case 'labels':
        checkStringMap(value, field, bad, { labels: true, max: MAX_MAP_ENTRIES });
        for (const reserved of isStringMap(value) ? RESERVED_LABELS : []) {
          if (reserved in (value as Record<string, string>)) bad(`${field}.${reserved}`, `label \`${reserved}\` is reserved: the operator selects pods with it`);
        }
        break;
    }
  }
  return raw as Overrides;
}

/** Rules that involve more than one component. */
function validateOverrideCombinations(components: readonly Component[]): Problem[] {
  const hpa = components.find((c) => c.kind === 'horizontalpodautoscaler');
  const hpaManaged = hpa ? hpa.managed : true;
  const problems: Problem[] = [];
  components.forEach((c, i) => {
    const replicas = c.overrides?.replicas;
    if (hpaManaged && AUTOSCALED.includes(c.kind) && typeof replicas === 'number' && replicas > 0) {
      problems.push(
        problem(
          `spec.components[${i}].overrides.replicas`,
          `cannot override replicas with managed HPA: set horizontalpodautoscaler unmanaged to pin \`${c.kind}\` at ${replicas} replicas (0 is allowed and scales it down)`,
          'ComponentOverrideInvalid',
        ),
      );
    }
  });
  return problems;
}
