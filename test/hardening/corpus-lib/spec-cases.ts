// Wrong types in every spec and override field, unknown kinds and fields, huge values and names at
// and over their length limits: generated from tables, each value a case of its own.
import { createHash } from 'node:crypto';
import { COMPONENT_KINDS, OVERRIDE_KINDS } from '../../../lib/api/types';
import { OVERRIDE_SUPPORT } from '../../../lib/api/override-support';
import { BOTH, CLI, CorpusCase, Expect, Obj, accepted, refused, refusedFor, registry } from './case';

const short = (v: unknown) => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
};
/** A value in a case id: short, and distinct (a digest of the whole value when cut). */
const idOf = (v: unknown) => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 48)}~${createHash('sha256').update(s).digest('hex').slice(0, 8)}` : s;
};

function spec(field: string, value: unknown, expect: Expect, title = `spec.${field} = ${short(value)}`): CorpusCase {
  return { id: `spec/${field}=${idOf(value)}`, title, objects: [registry({ [field]: value })], expect, targets: BOTH };
}

/** Each wrong value of a top-level spec field, refused naming `name` (the field, or a field inside it). */
const SPEC_FIELDS: [field: string, values: [unknown, string?][]][] = [
  ['configBundleSecret', [[5], [true], [[]], [{}], ['Bad_Name'], [''], ['x'.repeat(254)], ['a..b']]],
  ['tlsSecret', [[5], [false], [['x']], [{ name: 'x' }], ['UPPER'], ['-leading-dash']]],
  ['components', [['quay'], [5], [{ kind: 'quay', managed: true }], [true]]],
  [
    'exposure',
    [
      ['Ingress'], [5], [[]],
      [{ type: 5 }, 'spec.exposure.type'], [{ type: 'LoadBalancer' }, 'spec.exposure.type'], [{ type: 'ingress' }, 'spec.exposure.type'],
      [{ ingressClassName: 5 }, 'spec.exposure.ingressClassName'], [{ type: 'Ingress', ingressClassName: 'Bad Class' }, 'spec.exposure.ingressClassName'],
      [{ gateway: 'public' }, 'spec.exposure.gateway'], [{ type: 'Gateway', gateway: {} }, 'spec.exposure.gateway.name'],
      [{ type: 'Gateway', gateway: { name: 5 } }, 'spec.exposure.gateway.name'], [{ type: 'Gateway', gateway: { name: 'g', namespace: 'Bad_NS' } }, 'spec.exposure.gateway.namespace'],
      [{ type: 'Gateway', gateway: { name: 'g', port: 443 } }, 'spec.exposure.gateway.port'], [{ type: 'Gateway' }, 'spec.exposure.gateway'],
      [{ type: 'Ingress', issuer: [] }, 'spec.exposure.issuer'], [{ type: 'Ingress', issuer: { name: 'i', kind: 'Vault' } }, 'spec.exposure.issuer.kind'],
      [{ type: 'Ingress', tls: true }, 'spec.exposure.tls'],
    ],
  ],
  ['initialUser', [['quayadmin'], [5], [{}, 'spec.initialUser.secretName'], [{ secretName: 5 }, 'spec.initialUser.secretName'], [{ secretName: 'Bad Name' }, 'spec.initialUser.secretName'], [{ secretName: 'admin', password: 'x' }, 'spec.initialUser.password']]],
  ['persistentVolumeClaimRetentionPolicy', [['Retain'], [[]], [{ whenDeleted: 'Keep' }, 'spec.persistentVolumeClaimRetentionPolicy.whenDeleted'], [{ whenDeleted: true }, 'spec.persistentVolumeClaimRetentionPolicy.whenDeleted'], [{ whenScaled: 'Retain' }, 'spec.persistentVolumeClaimRetentionPolicy.whenScaled']]],
  ['networkPolicies', [[true], ['off'], [{ enabled: 'yes' }, 'spec.networkPolicies.enabled'], [{ enabled: 1 }, 'spec.networkPolicies.enabled'], [{ ingress: [] }, 'spec.networkPolicies.ingress']]],
  [
    'backup',
    [
      ['daily'], [[]], [{}, 'spec.backup.schedule'], [{ schedule: 5 }, 'spec.backup.schedule'], [{ schedule: '* * *' }, 'spec.backup.schedule'],
      [{ schedule: '61 * * * *' }, 'spec.backup.schedule'], [{ schedule: 'TZ=UTC 0 3 * * *' }, 'spec.backup.schedule'], [{ schedule: '@sometimes' }, 'spec.backup.schedule'],
      [{ schedule: '@daily', retention: 0 }, 'spec.backup.retention'], [{ schedule: '@daily', retention: '7' }, 'spec.backup.retention'], [{ schedule: '@daily', retention: 1001 }, 'spec.backup.retention'],
      [{ schedule: '@daily', timeZone: 5 }, 'spec.backup.timeZone'], [{ schedule: '@daily', timeZone: 'Not A Zone!' }, 'spec.backup.timeZone'],
      [{ schedule: '@daily', components: 'postgres' }, 'spec.backup.components'], [{ schedule: '@daily', components: [] }, 'spec.backup.components'],
      [{ schedule: '@daily', components: ['redis'] }, 'spec.backup.components[0]'], [{ schedule: '@daily', components: ['postgres', 'postgres'] }, 'spec.backup.components[1]'],
      [{ schedule: '@daily', suspend: 'no' }, 'spec.backup.suspend'], [{ schedule: '@daily', destination: 'pvc' }, 'spec.backup.destination'],
      [{ schedule: '@daily', destination: { s3: {} } }, 'spec.backup.destination.s3'], [{ schedule: '@daily', destination: { persistentVolumeClaim: { size: 'big' } } }, 'spec.backup.destination.persistentVolumeClaim.size'],
      [{ schedule: '@daily', destination: { persistentVolumeClaim: { claimName: 'Bad' } } }, 'spec.backup.destination.persistentVolumeClaim.claimName'],
      [{ schedule: '@daily', destination: { persistentVolumeClaim: { claimName: 'mine', size: '1Gi' } } }, 'spec.backup.destination.persistentVolumeClaim'],
    ],
  ],
];

const specCases: CorpusCase[] = [
  ...SPEC_FIELDS.flatMap(([field, values]) => values.map(([v, name]) => spec(field, v, refused(name ?? `spec.${field}`)))),
  { id: 'spec/spec=string', title: 'spec is a string', objects: [{ ...registry(), spec: 'configBundleSecret' }], expect: refused('spec', 'must be a mapping'), targets: BOTH },
  { id: 'spec/spec=list', title: 'spec is a list', objects: [{ ...registry(), spec: [] }], expect: refused('spec', 'must be a mapping'), targets: BOTH },
  spec('configbundlesecret', 'x', refused('spec.configbundlesecret', 'unknown field'), 'a field spelt in the wrong case'),
  spec('replicas', 3, refused('spec.replicas', 'unknown field'), 'a field of another operator'),
  spec('__proto__', { configBundleSecret: 'x' }, refused('spec.__proto__', 'unknown field'), 'a __proto__ key'),
];

/** A registry whose components are `components`. */
function withComponents(id: string, title: string, components: unknown, expect: Expect, targets = BOTH): CorpusCase {
  return { id: `components/${id}`, title, objects: [registry({ components })], expect, targets };
}

const componentCases: CorpusCase[] = [
  withComponents('item-string', 'a component that is a string', ['quay'], refused('spec.components[0]', 'must be a mapping')),
  withComponents('item-null', 'a component that is null', [null], refused('spec.components[0]')),
  withComponents('kind-number', 'kind is a number', [{ kind: 5, managed: true }], refused('spec.components[0].kind', 'unknown component kind')),
  withComponents('kind-missing', 'kind is missing', [{ managed: true }], refused('spec.components[0].kind')),
  withComponents('kind-capitalised', 'kind `Quay`', [{ kind: 'Quay', managed: true }], refused('spec.components[0].kind', 'unknown component kind `Quay`')),
  withComponents('kind-mirroring', 'the seeds\' typo `mirroring`', [{ kind: 'mirroring', managed: false }], refused('spec.components[0].kind', 'did you mean `mirror`?')),
  withComponents('kind-empty', 'kind ""', [{ kind: '', managed: true }], refused('spec.components[0].kind')),
  withComponents('kind-space', 'kind `clair ` (trailing space)', [{ kind: 'clair ', managed: true }], refused('spec.components[0].kind')),
  withComponents('kind-other-operator', 'kind `builder` (not a component)', [{ kind: 'builder', managed: true }], refused('spec.components[0].kind')),
  withComponents('managed-string', 'managed: "false"', [{ kind: 'clair', managed: 'false' }], refused('spec.components[0].managed', 'true or false')),
  withComponents('managed-number', 'managed: 0', [{ kind: 'clair', managed: 0 }], refused('spec.components[0].managed')),
  withComponents('managed-missing', 'managed missing', [{ kind: 'clair' }], refused('spec.components[0].managed', 'is required')),
  withComponents('managed-null', 'managed: null', [{ kind: 'clair', managed: null }], refused('spec.components[0].managed')),
  withComponents('unknown-field', 'a component field `enabled`', [{ kind: 'clair', managed: true, enabled: true }], refused('spec.components[0].enabled', 'unknown field')),
  withComponents('duplicate', 'clair twice', [{ kind: 'clair', managed: true }, { kind: 'clair', managed: false }], refused('spec.components[1].kind', 'only once')),
  withComponents('quay-unmanaged', 'quay unmanaged', [{ kind: 'quay', managed: false }], refused('spec.components[0].managed', '`quay` cannot be unmanaged')),
  withComponents('twelve', 'twelve components (one kind twice)', [...COMPONENT_KINDS.map((kind) => ({ kind, managed: true })), { kind: 'quay', managed: true }], refused('spec.components')),
  withComponents('ten-thousand', '10,000 components', Array.from({ length: 10000 }, () => ({ kind: 'clair', managed: true })), refused('spec.components', 'at most 11')),
  withComponents('overrides-unmanaged', 'overrides on an unmanaged component', [{ kind: 'clair', managed: false, overrides: { env: [] } }], refusedFor('ComponentOverrideInvalid', 'spec.components[0].overrides', 'cannot set overrides on unmanaged component')),
  withComponents('overrides-string', 'overrides is a string', [{ kind: 'quay', managed: true, overrides: 'replicas=2' }], refusedFor('ComponentOverrideInvalid', 'spec.components[0].overrides', 'must be a mapping')),
  withComponents('overrides-list', 'overrides is a list', [{ kind: 'quay', managed: true, overrides: [] }], refused('spec.components[0].overrides')),
  withComponents('override-unknown', 'an unknown override `Replicas`', [{ kind: 'quay', managed: true, overrides: { Replicas: 2 } }], refused('spec.components[0].overrides.Replicas', 'unknown override')),
  withComponents('override-image', 'an `image` override (not supported)', [{ kind: 'quay', managed: true, overrides: { image: 'quay.io/x:1' } }], refused('spec.components[0].overrides.image', 'unknown override')),
  // Every kind, with the first override it does not take.
  ...COMPONENT_KINDS.filter((k) => k !== 'tls').flatMap((kind) => {
    const unsupported = OVERRIDE_KINDS.find((o) => !OVERRIDE_SUPPORT[kind].includes(o));
    return unsupported ? [withComponents(`unsupported-${kind}-${unsupported}`, `\`${unsupported}\` on ${kind}`, [{ kind, managed: true, overrides: { [unsupported]: unsupportedValue(unsupported) } }], refusedFor('ComponentOverrideInvalid', `spec.components[0].overrides.${unsupported}`, `does not support \`${unsupported}\``))] : [];
  }),
  withComponents('unsupported-tls-env', '`env` on tls (takes none)', [{ kind: 'tls', managed: true, overrides: { env: [] } }], refused('spec.components[0].overrides.env', 'does not support')),
];

function unsupportedValue(o: string): unknown {
  return ({ env: [], replicas: 1, volumeSize: '1Gi', resources: {}, affinity: {}, tolerations: [], nodeSelector: {}, labels: {}, annotations: {}, storageClassName: 'fast', securityContext: {} } as Obj)[o];
}

/** A wrong value of one override on a component that takes it. */
function override(kind: string, field: string, value: unknown, name: string, extraComponents: Obj[] = []): CorpusCase {
  return withComponents(`override-${kind}-${field}=${idOf(value)}`, `${kind} overrides.${field} = ${short(value)}`, [...extraComponents, { kind, managed: true, overrides: { [field]: value } }], refusedFor('ComponentOverrideInvalid', `spec.components[${extraComponents.length}].overrides.${name}`));
}

const HPA_OFF = [{ kind: 'horizontalpodautoscaler', managed: false }];
const env = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `VAR_${i}`, value: `${i}` }));
const toleration = (i: number) => ({ key: `k${i}`, operator: 'Exists', effect: 'NoSchedule' });
const labelMap = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`label-${i}`, `v${i}`]));

const OVERRIDE_VALUES: [field: string, kind: string, value: unknown, name?: string][] = [
  ['env', 'quay', 'DEBUGLOG=true'], ['env', 'quay', 5], ['env', 'quay', { DEBUGLOG: 'true' }], ['env', 'quay', ['DEBUGLOG=true'], 'env[0]'],
  ['env', 'quay', [{ name: 5, value: 'x' }], 'env[0].name'], ['env', 'quay', [{ name: 'A B', value: 'x' }], 'env[0].name'], ['env', 'quay', [{ value: 'x' }], 'env[0].name'],
  ['env', 'quay', [{ name: 'DEBUGLOG', value: true }], 'env[0].value'], ['env', 'quay', [{ name: 'PORT', value: 8080 }], 'env[0].value'],
  ['env', 'quay', [{ name: 'A', valueFrom: 'secret' }], 'env[0].valueFrom'], ['env', 'mirror', [{ name: 'A', value: '1' }, { name: 'A', value: '2' }], 'env[1].name'],
  ['env', 'quay', [{ name: 'A', value: '1', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }], 'env[0]'], ['env', 'quay', [{ name: 'A', valueFrom: {} }], 'env[0].valueFrom'],
  ['env', 'quay', [{ name: 'A', valueFrom: { secretKeyRef: { name: 's' } } }], 'env[0].valueFrom.secretKeyRef.key'], ['env', 'quay', [{ name: 'A', valueFrom: { vaultRef: {} } }], 'env[0].valueFrom.vaultRef'],
  ['env', 'quay', [{ name: 'A', valueFrom: { secretKeyRef: { name: 's', key: 'k' }, fieldRef: { fieldPath: 'metadata.name' } } }], 'env[0].valueFrom'],
  ['env', 'postgres', [{ name: 'x'.repeat(257), value: '1' }], 'env[0].name'], ['env', 'redis', env(129), 'env'],
  ['replicas', 'quay', '2', 'replicas'], ['replicas', 'quay', -1], ['replicas', 'quay', 1.5], ['replicas', 'quay', true], ['replicas', 'quay', []], ['replicas', 'mirror', 2147483648],
  ['volumeSize', 'postgres', 'big'], ['volumeSize', 'postgres', true], ['volumeSize', 'postgres', {}], ['volumeSize', 'postgres', '10GB'], ['volumeSize', 'clairpostgres', '-1Gi'], ['volumeSize', 'clair', '0'],
  ['resources', 'quay', []], ['resources', 'quay', '2 cpus'], ['resources', 'quay', { requests: [] }, 'resources.requests'], ['resources', 'quay', { requests: { cpu: true } }, 'resources.requests.cpu'],
  ['resources', 'quay', { requests: { cpu: 'lots' } }, 'resources.requests.cpu'], ['resources', 'quay', { limits: { memory: '-1Gi' } }, 'resources.limits.memory'], ['resources', 'quay', { claims: [] }, 'resources.claims'],
  ['resources', 'clair', { requests: { cpu: '2' }, limits: { cpu: '1' } }, 'resources.requests.cpu'], ['resources', 'redis', { requests: { 'not a name!': '1' } }, 'resources.requests'],
  ['affinity', 'quay', []], ['affinity', 'quay', 'infra'], ['affinity', 'quay', { nodeAffinity: 'infra' }, 'affinity.nodeAffinity'], ['affinity', 'quay', { nodeSelector: {} }, 'affinity.nodeSelector'],
  ['affinity', 'quay', { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: 'x' } } }, 'affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms'],
  ['affinity', 'postgres', { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'k', operator: 'Maybe' }] }] } } }, 'affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator'],
  ['affinity', 'clair', { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1000, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname' } }] } }, 'affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight'],
  ['affinity', 'mirror', { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'x' } } }] } }, 'affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey'],
  ['affinity', 'redis', { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'zone', labelSelector: { matchLabels: { app: 5 } } }] } }, 'affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchLabels'],
  ['tolerations', 'quay', {}], ['tolerations', 'quay', 'infra'], ['tolerations', 'quay', ['infra'], 'tolerations'], ['tolerations', 'quay', [{ operator: 'Sometimes' }], 'tolerations[0].operator'],
  ['tolerations', 'quay', [{ key: 'k', effect: 'Never' }], 'tolerations[0].effect'], ['tolerations', 'quay', [{ key: 5 }], 'tolerations[0].key'], ['tolerations', 'quay', [{ key: 'k', tolerationSeconds: 'x' }], 'tolerations[0].tolerationSeconds'],
  ['tolerations', 'clair', [{ key: 'k', operator: 'Exists', value: 'v' }], 'tolerations[0]'], ['tolerations', 'redis', [{ key: 'k', nodeName: 'n' }], 'tolerations[0].nodeName'],
  ['tolerations', 'mirror', Array.from({ length: 33 }, (_, i) => toleration(i)), 'tolerations'],
  ['nodeSelector', 'quay', []], ['nodeSelector', 'quay', 'infra'], ['nodeSelector', 'quay', { infra: 1 }], ['nodeSelector', 'quay', { infra: true }],
  ['nodeSelector', 'postgres', { 'bad key!': 'v' }, 'nodeSelector'], ['nodeSelector', 'postgres', { zone: 'bad value!' }, 'nodeSelector'], ['nodeSelector', 'redis', labelMap(65), 'nodeSelector'],
  ['labels', 'quay', []], ['labels', 'quay', { team: 1 }], ['labels', 'quay', { 'quay-component': 'x' }, 'labels.quay-component'], ['labels', 'quay', { app: 'x' }, 'labels.app'],
  ['labels', 'clair', { 'quay-operator/quayregistry': 'x' }, 'labels.quay-operator/quayregistry'], ['labels', 'quay', { 'bad key!': 'v' }, 'labels'], ['labels', 'mirror', { team: 'x'.repeat(64) }, 'labels'],
  ['labels', 'redis', { ['x'.repeat(64)]: 'v' }, 'labels'], ['labels', 'route', { team: 'a b' }, 'labels'], ['labels', 'postgres', labelMap(65), 'labels'],
  ['annotations', 'quay', []], ['annotations', 'quay', { a: 1 }], ['annotations', 'quay', { a: {} }], ['annotations', 'monitoring', { 'bad key!': 'v' }, 'annotations'],
  ['annotations', 'clair', { big: 'x'.repeat(300 * 1024) }, 'annotations'],
  ['storageClassName', 'postgres', 5], ['storageClassName', 'postgres', 'Fast-SSD'], ['storageClassName', 'clair', ''], ['storageClassName', 'objectstorage', 'x'.repeat(254)], ['storageClassName', 'clairpostgres', {}],
  ['securityContext', 'quay', []], ['securityContext', 'quay', 'restricted'], ['securityContext', 'quay', { runAsUser: 0 }, 'securityContext.runAsUser'], ['securityContext', 'quay', { runAsUser: '1000' }, 'securityContext.runAsUser'],
  ['securityContext', 'postgres', { runAsUser: -5 }, 'securityContext.runAsUser'], ['securityContext', 'redis', { runAsUser: 2147483648 }, 'securityContext.runAsUser'], ['securityContext', 'clair', { runAsGroup: -1 }, 'securityContext.runAsGroup'],
  ['securityContext', 'mirror', { fsGroup: 'x' }, 'securityContext.fsGroup'], ['securityContext', 'quay', { supplementalGroups: 5 }, 'securityContext.supplementalGroups'], ['securityContext', 'quay', { supplementalGroups: [-1] }, 'securityContext.supplementalGroups'],
  ['securityContext', 'quay', { fsGroupChangePolicy: 'Never' }, 'securityContext.fsGroupChangePolicy'], ['securityContext', 'quay', { privileged: true }, 'securityContext.privileged'],
  ['securityContext', 'quay', { runAsNonRoot: false }, 'securityContext.runAsNonRoot'], ['securityContext', 'clairpostgres', { capabilities: { add: ['NET_ADMIN'] } }, 'securityContext.capabilities'],
];

const overrideCases: CorpusCase[] = OVERRIDE_VALUES.map(([field, kind, value, name]) => override(kind, field, value, name ?? field, field === 'replicas' ? HPA_OFF : []));

/** Huge values, and names at and over their limits. At a limit is accepted; one over is refused. */
const limitCases: CorpusCase[] = [
  withComponents('env-10000', '10,000 env entries', [{ kind: 'quay', managed: true, overrides: { env: env(10000) } }], refused('spec.components[0].overrides.env', 'at most 128'), BOTH),
  withComponents('env-128', '128 env entries (the CRD\'s limit)', [{ kind: 'quay', managed: true, overrides: { env: env(128) } }], accepted),
  withComponents('tolerations-32', '32 tolerations (the limit)', [{ kind: 'quay', managed: true, overrides: { tolerations: Array.from({ length: 32 }, (_, i) => toleration(i)) } }], accepted),
  withComponents('labels-64', '64 labels (the limit)', [{ kind: 'quay', managed: true, overrides: { labels: labelMap(64) } }], accepted),
  withComponents('env-name-256', 'an env name of 256 characters (the limit)', [{ kind: 'quay', managed: true, overrides: { env: [{ name: 'X'.repeat(256), value: '1' }] } }], accepted),
  withComponents('label-63', 'a label key and value of 63 characters, a prefix of 253', [{ kind: 'quay', managed: true, overrides: { labels: { [`${'p'.repeat(61)}.${'q'.repeat(63)}.${'r'.repeat(63)}.${'s'.repeat(63)}/${'k'.repeat(63)}`]: 'v'.repeat(63) } } }], accepted),
  withComponents('env-value-512KiB', 'an env value of 512 KiB (Kubernetes takes it)', [{ kind: 'quay', managed: true, overrides: { env: [{ name: 'BIG', value: 'x'.repeat(512 * 1024) }] } }], accepted, CLI),
  { id: 'spec/unknown-fields-10000', title: '10,000 unknown spec fields: one line each, the condition message bounded', objects: [registry(Object.fromEntries(Array.from({ length: 10000 }, (_, i) => [`field${i}`, i])))], expect: refused('spec.field0', 'unknown field'), targets: BOTH },
  ...names(),
];

function named(id: string, name: unknown, expect: Expect, targets = BOTH, namespace?: unknown): CorpusCase {
  const meta = { name, ...(namespace !== undefined ? { namespace } : {}) };
  return { id: `names/${id}`, title: `metadata ${short(meta)}`, objects: [{ ...registry(), metadata: meta }], expect, targets };
}

function names(): CorpusCase[] {
  const at = (n: number) => 'r'.repeat(n);
  return [
    named('name-44', at(44), accepted),
    named('name-45', at(45), refused('metadata.name', 'at most 44 characters')),
    named('name-63', at(63), refused('metadata.name')),
    named('name-64', at(64), refused('metadata.name')),
    named('name-253', at(253), refused('metadata.name')),
    named('name-254', at(254), refused('metadata.name'), CLI),
    named('name-upper', 'Example', refused('metadata.name'), CLI),
    named('name-dots', 'example.registry', refused('metadata.name')),
    named('name-leading-digit', '1registry', refused('metadata.name')),
    named('name-trailing-dash', 'registry-', refused('metadata.name'), CLI),
    named('name-underscore', 'my_registry', refused('metadata.name'), CLI),
    named('name-unicode', 'régistry', refused('metadata.name'), CLI),
    named('name-empty', '', refused('metadata.name', 'is required'), CLI),
    { id: 'names/no-metadata', title: 'no metadata at all', objects: [{ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', spec: {} }], expect: refused('metadata.name', 'is required'), targets: CLI },
    named('namespace-63', 'example-registry', refused('metadata.name', 'longer than 63 characters'), CLI, at(63)),
    named('namespace-64', 'example-registry', refused('metadata.namespace', 'at most 63'), CLI, at(64)),
    named('namespace-upper', 'example-registry', refused('metadata.namespace'), CLI, 'Quay'),
    named('namespace-number', 'example-registry', refused('metadata.namespace'), CLI, 42),
    spec('configBundleSecret', at(253), refused('spec.configBundleSecret', 'not found'), 'a bundle Secret name of 253 characters (valid, absent)'),
    spec('tlsSecret', `${at(250)}.tls`, refused('spec.tlsSecret', 'is not a valid Secret name'), 'a TLS Secret name of 254 characters'),
    { id: 'names/api-version-v2', title: 'apiVersion quay.redhat.com/v2', objects: [{ ...registry(), apiVersion: 'quay.redhat.com/v2' }], expect: refused('apiVersion', 'must be quay.redhat.com/v1'), targets: CLI },
    { id: 'names/api-version-missing', title: 'no apiVersion', objects: [{ kind: 'QuayRegistry', metadata: { name: 'r', namespace: 'quay-enterprise' } }], expect: refused('apiVersion'), targets: CLI },
    { id: 'names/kind-lowercase', title: 'kind quayregistry', objects: [{ ...registry(), kind: 'quayregistry' }], expect: refused('document 1', 'unexpected "quayregistry"'), targets: CLI },
    { id: 'names/kind-quayecosystem', title: 'the old operator\'s QuayEcosystem', objects: [{ apiVersion: 'redhatcop.redhat.io/v1alpha1', kind: 'QuayEcosystem', metadata: { name: 'q' } }], expect: refused('unexpected "QuayEcosystem"'), targets: CLI },
    { id: 'names/kind-deployment', title: 'a Deployment in the stream', objects: [registry(), { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' } }], expect: refused('document 2', 'unexpected "Deployment"'), targets: CLI },
    { id: 'names/kind-missing', title: 'a document without kind', objects: [registry(), { apiVersion: 'v1', metadata: { name: 'x' } }], expect: refused('document 2', 'unexpected undefined'), targets: CLI },
    { id: 'names/secret-without-name', title: 'a Secret without a name', objects: [registry(), { apiVersion: 'v1', kind: 'Secret', metadata: {}, stringData: {} }], expect: refused('document 2 metadata.name', 'needs a name'), targets: CLI },
  ];
}

export const specFamily: CorpusCase[] = [...specCases, ...componentCases, ...overrideCases, ...limitCases];
