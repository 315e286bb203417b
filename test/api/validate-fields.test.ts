// parseQuayRegistry's checks that validate.test.ts leaves out, one field at a time and at the
// edges of each limit: what metadata is kept, the namespace, the spec's shape, networkPolicies,
// initialUser, the components list's bounds, env and replicas limits, volumeSize, the pod ids.
import { parseQuayRegistry } from '../../lib/api/validate';
import { Problem } from '../../lib/problems';

const VALID_KINDS = 'quay, postgres, clair, redis, horizontalpodautoscaler, objectstorage, route, mirror, monitoring, tls, clairpostgres';
const base = { apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry' };
const registry = (spec?: unknown, metadata: Record<string, unknown> = { name: 'example-registry', namespace: 'quay-enterprise' }) => ({
  ...base,
  metadata,
  ...(spec === undefined ? {} : { spec }),
});
const invalid = (path: string, message: string): Problem => ({ path, message, reason: 'ConfigInvalid' });
const overrideInvalid = (path: string, message: string): Problem => ({ path, message, reason: 'ComponentOverrideInvalid' });
const problemsOf = (doc: unknown) => parseQuayRegistry(doc).problems;
/** One managed component with these overrides, the HPA unmanaged (so replicas are the user's). */
const overrides = (kind: string, o: Record<string, unknown>) =>
  problemsOf(registry({ components: [{ kind, managed: true, overrides: o }, { kind: 'horizontalpodautoscaler', managed: false }] }));
const at = (field: string, message: string) => [overrideInvalid(`spec.components[0].overrides.${field}`, message)];

describe('the document', () => {
  test.each([[null], [[]], ['QuayRegistry'], [3]])('%j is not a QuayRegistry', (doc) => {
    expect(parseQuayRegistry(doc)).toEqual({ problems: [invalid('', 'a QuayRegistry must be a YAML mapping')] });
  });

  test('metadata that is not a mapping has no name', () => {
    expect(parseQuayRegistry({ ...base, metadata: 'example-registry' })).toEqual({ problems: [invalid('metadata.name', 'is required')] });
    expect(parseQuayRegistry({ ...base, metadata: { name: '' } })).toEqual({ problems: [invalid('metadata.name', 'is required')] });
    expect(parseQuayRegistry({ ...base, metadata: { name: 7 } })).toEqual({ problems: [invalid('metadata.name', 'is required')] });
  });

  test('what metadata is kept: the fields the controller reads, when they have their type', () => {
    const metadata = {
      name: 'example-registry',
      namespace: 'quay-enterprise',
      uid: 'u-1',
      generation: 3,
      resourceVersion: '42',
      labels: { team: 'registry' },
      annotations: { note: 'x' },
      deletionTimestamp: '2026-12-01T00:00:00Z',
      finalizers: ['quay-operator/finalizer'],
      managedFields: [{}],
    };
    const { finalizers: _f, managedFields: _m, ...kept } = metadata;
    expect(parseQuayRegistry(registry({}, metadata)).registry?.metadata).toEqual(kept);
    const wrong = { name: 'example-registry', namespace: 'quay-enterprise', uid: 1, generation: '3', resourceVersion: 42, labels: { a: 1 }, annotations: 'x', deletionTimestamp: 5 };
    expect(parseQuayRegistry(registry({}, wrong)).registry?.metadata).toEqual({ name: 'example-registry', namespace: 'quay-enterprise' });
  });

  test('status is carried when it is a mapping', () => {
    const status = { currentVersion: 'v3.15.2' };
    expect(parseQuayRegistry({ ...registry({}), status }).registry?.status).toEqual(status);
    expect(parseQuayRegistry({ ...registry({}), status: 'Ready' }).registry).not.toHaveProperty('status');
  });

  test.each(['Quay_Enterprise', 'n'.repeat(64), '-quay', 7, ''])('namespace %j: refused', (namespace) => {
    expect(problemsOf(registry({}, { name: 'example-registry', namespace }))).toEqual([
      invalid('metadata.namespace', `${JSON.stringify(namespace)} is not a valid namespace name (a DNS label of at most 63 characters)`),
    ]);
  });

  test('a namespace of 63 characters is one', () => {
    expect(parseQuayRegistry(registry({}, { name: 'example-registry', namespace: 'n'.repeat(63) })).registry?.metadata.namespace).toBe('n'.repeat(63));
  });

  test('a spec that is not a mapping stops there; an absent or null one is empty', () => {
    expect(parseQuayRegistry(registry('all managed'))).toEqual({ problems: [invalid('spec', 'must be a mapping')] });
    expect(parseQuayRegistry(registry([]))).toEqual({ problems: [invalid('spec', 'must be a mapping')] });
    expect(parseQuayRegistry(registry(null)).registry?.spec).toEqual({});
    expect(parseQuayRegistry(registry()).registry?.spec).toEqual({});
  });

  test('every problem of the document at once, in order', () => {
    expect(problemsOf({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'A', namespace: 'B' }, spec: { configBundleSecret: 'C', extra: 1 } })).toEqual([
      invalid('apiVersion', 'must be quay.redhat.com/v1, got "v1"'),
      invalid('kind', 'must be QuayRegistry, got "Secret"'),
      invalid('metadata.name', '`A` must be a lowercase DNS label of at most 44 characters (it prefixes every object name, e.g. A-quay-config-editor)'),
      invalid('metadata.namespace', '"B" is not a valid namespace name (a DNS label of at most 63 characters)'),
      invalid('spec.configBundleSecret', '"C" is not a valid Secret name'),
      invalid('spec.extra', 'unknown field; the spec has only configBundleSecret, tlsSecret, components, exposure, initialUser, persistentVolumeClaimRetentionPolicy, networkPolicies, backup, migrations, clair'),
    ]);
  });
});

describe('Secret names', () => {
  test.each(['config-bundle', 'bundle.v2', 's'.repeat(253)])('configBundleSecret %j: kept', (configBundleSecret) => {
    expect(parseQuayRegistry(registry({ configBundleSecret })).registry?.spec).toEqual({ configBundleSecret });
  });

  test.each([['s'.repeat(254)], [''], [5], ['Bundle']])('configBundleSecret %j: refused', (configBundleSecret) => {
    expect(problemsOf(registry({ configBundleSecret }))).toEqual([invalid('spec.configBundleSecret', `${JSON.stringify(configBundleSecret)} is not a valid Secret name`)]);
  });

  test('tlsSecret of 253 characters is one, of 254 is not', () => {
    expect(problemsOf(registry({ tlsSecret: 't'.repeat(253) }))).toEqual([]);
    expect(problemsOf(registry({ tlsSecret: 't'.repeat(254) }))).toEqual([invalid('spec.tlsSecret', `"${'t'.repeat(254)}" is not a valid Secret name`)]);
  });

  test('initialUser: a mapping whose secretName is a Secret name', () => {
    expect(problemsOf(registry({ initialUser: 'admin' }))).toEqual([invalid('spec.initialUser', 'must be a mapping with secretName')]);
    expect(problemsOf(registry({ initialUser: { secretName: 5 } }))).toEqual([invalid('spec.initialUser.secretName', '5 is not a valid Secret name')]);
    expect(problemsOf(registry({ initialUser: { secretName: 'a'.repeat(254) } }))).toEqual([invalid('spec.initialUser.secretName', `"${'a'.repeat(254)}" is not a valid Secret name`)]);
    expect(parseQuayRegistry(registry({ initialUser: { secretName: 'a'.repeat(253) } })).registry?.spec.initialUser).toEqual({ secretName: 'a'.repeat(253) });
    expect(parseQuayRegistry(registry({ initialUser: null })).registry?.spec).toEqual({});
  });

  test('persistentVolumeClaimRetentionPolicy: null is no policy; Delete is one', () => {
    expect(parseQuayRegistry(registry({ persistentVolumeClaimRetentionPolicy: null })).registry?.spec).toEqual({});
    expect(parseQuayRegistry(registry({ persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete' } })).registry?.spec).toEqual({ persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete' } });
    expect(problemsOf(registry({ persistentVolumeClaimRetentionPolicy: [] }))).toEqual([invalid('spec.persistentVolumeClaimRetentionPolicy', 'must be a mapping with whenDeleted')]);
  });
});

describe('networkPolicies', () => {
  test.each([[{ enabled: true }], [{ enabled: false }], [{}]])('%j: kept', (networkPolicies) => {
    expect(parseQuayRegistry(registry({ networkPolicies })).registry?.spec).toEqual({ networkPolicies });
  });

  test('null: none', () => {
    expect(parseQuayRegistry(registry({ networkPolicies: null })).registry?.spec).toEqual({});
  });

  test.each([
    ['on', [invalid('spec.networkPolicies', 'must be a mapping with enabled (true or false)')]],
    [[true], [invalid('spec.networkPolicies', 'must be a mapping with enabled (true or false)')]],
    [{ enabled: 'yes' }, [invalid('spec.networkPolicies.enabled', '"yes" is not true or false')]],
    [{ enabled: true, egress: 'none' }, [invalid('spec.networkPolicies.egress', 'unknown field; networkPolicies has only enabled')]],
  ])('%j: refused', (networkPolicies, problems) => {
    expect(problemsOf(registry({ networkPolicies }))).toEqual(problems);
  });
});

describe('components', () => {
  const kinds = VALID_KINDS.split(', ');

  test('one of each kind is the most; null is none', () => {
    const all = kinds.map((kind) => ({ kind, managed: kind !== 'horizontalpodautoscaler' }));
    expect(parseQuayRegistry(registry({ components: all })).registry?.spec.components).toEqual(all);
    expect(problemsOf(registry({ components: [...all, { kind: 'redis', managed: true }] }))).toEqual([invalid('spec.components', 'at most 11 components (one per kind), got 12')]);
    expect(parseQuayRegistry(registry({ components: null })).registry?.spec).toEqual({});
  });

  test('each item a mapping of kind, managed and overrides', () => {
    expect(problemsOf(registry({ components: ['redis'] }))).toEqual([invalid('spec.components[0]', 'must be a mapping with kind and managed')]);
    expect(problemsOf(registry({ components: [{ kind: 'redis', managed: false, name: 'cache' }] }))).toEqual([
      invalid('spec.components[0].name', 'unknown field; a component has kind, managed and overrides'),
    ]);
  });

  test.each([
    [5, 'unknown component kind 5'],
    [null, 'unknown component kind null'],
    ['mi', 'unknown component kind `mi`'],
    ['mirr', 'unknown component kind `mirr` (did you mean `mirror`?)'],
    ['redisx', 'unknown component kind `redisx` (did you mean `redis`?)'],
    ['queue', 'unknown component kind `queue`'],
    ['Quay', 'unknown component kind `Quay`'],
  ])('kind %j: %s', (kind, message) => {
    expect(problemsOf(registry({ components: [{ kind, managed: true }] }))).toEqual([invalid('spec.components[0].kind', `${message}; valid kinds are ${VALID_KINDS}`)]);
  });

  test('an unknown kind stops that item; the next is still checked', () => {
    expect(problemsOf(registry({ components: [{ kind: 'queue', managed: 'yes' }, { kind: 'redis' }] }))).toEqual([
      invalid('spec.components[0].kind', `unknown component kind \`queue\`; valid kinds are ${VALID_KINDS}`),
      invalid('spec.components[1].managed', 'is required and must be true or false'),
    ]);
  });

  test('overrides null is none; on a managed component they are kept as written', () => {
    expect(parseQuayRegistry(registry({ components: [{ kind: 'redis', managed: false, overrides: null }] })).registry?.spec.components).toEqual([{ kind: 'redis', managed: false }]);
    const o = { labels: { team: 'registry' } };
    expect(parseQuayRegistry(registry({ components: [{ kind: 'redis', managed: true, overrides: o }] })).registry?.spec.components).toEqual([{ kind: 'redis', managed: true, overrides: o }]);
  });

  test('overrides must be a mapping of known overrides; null values are none', () => {
    expect(problemsOf(registry({ components: [{ kind: 'redis', managed: true, overrides: ['env'] }] }))).toEqual([overrideInvalid('spec.components[0].overrides', 'must be a mapping')]);
    expect(overrides('redis', { sidecars: [] })).toEqual(
      at('sidecars', 'unknown override; valid overrides are env, replicas, volumeSize, resources, affinity, tolerations, nodeSelector, labels, annotations, storageClassName, securityContext'),
    );
    expect(overrides('redis', { volumeSize: null, replicas: null })).toEqual([]);
    expect(overrides('tls', { env: [] })).toEqual(at('env', 'component `tls` does not support `env` overrides'));
  });
});

describe('override values at their limits', () => {
  test('env: 128 entries, a name of 256 characters; one more is refused', () => {
    const env = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `V${i}`, value: '1' }));
    expect(overrides('quay', { env: env(128) })).toEqual([]);
    expect(overrides('quay', { env: env(129) })).toEqual(at('env', "at most 128 entries (the CRD's limit), got 129"));
    expect(overrides('quay', { env: [{ name: 'N'.repeat(256), value: '1' }] })).toEqual([]);
    expect(overrides('quay', { env: [{ name: 'N'.repeat(257), value: '1' }] })).toEqual(at('env[0].name', 'is 257 characters long; at most 256'));
  });

  test('env: names as the API server takes them', () => {
    expect(overrides('quay', { env: [{ name: '_x.y-z', value: '1' }, { name: '-a9', value: '' }] })).toEqual([]);
    expect(overrides('quay', { env: ['DEBUGLOG'] })).toEqual(at('env[0].name', 'must be a valid environment variable name'));
    expect(overrides('quay', { env: [{ name: 'A B', value: '1' }] })).toEqual(at('env[0].name', 'must be a valid environment variable name'));
    expect(overrides('quay', { env: [{ name: 'A$', value: '1' }] })).toEqual(at('env[0].name', 'must be a valid environment variable name'));
  });

  test('env: a name twice, both value and valueFrom, an unknown field', () => {
    expect(overrides('quay', { env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }, { name: 'A', value: '3' }] })).toEqual(at('env[2].name', '`A` is listed twice'));
    expect(overrides('quay', { env: [{ name: 'A', value: '1', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] })).toEqual(at('env[0]', 'has both value and valueFrom: give one'));
    expect(overrides('quay', { env: [{ name: 'A', value: '1', from: 'x' }] })).toEqual(at('env[0].from', 'unknown field; an env entry has name, value and valueFrom'));
    expect(overrides('quay', { env: [{ name: 'A' }] })).toEqual([]);
  });

  test('replicas: up to the int32 limit (the HPA unmanaged)', () => {
    expect(overrides('quay', { replicas: 2147483647 })).toEqual([]);
    expect(overrides('quay', { replicas: 2147483648 })).toEqual(at('replicas', 'must be at most 2147483647'));
  });

  test('replicas on a component the HPA does not scale, with the HPA managed', () => {
    // redis does not take replicas at all; clair, quay and mirror are the autoscaled ones.
    expect(problemsOf(registry({ components: [{ kind: 'horizontalpodautoscaler', managed: true }, { kind: 'mirror', managed: true, overrides: { replicas: 1 } }] }))).toEqual([
      overrideInvalid(
        'spec.components[1].overrides.replicas',
        'cannot override replicas with managed HPA: set horizontalpodautoscaler unmanaged to pin `mirror` at 1 replicas (0 is allowed and scales it down)',
      ),
    ]);
  });

  test('volumeSize: a quantity of more than 0, as text or a number', () => {
    expect(overrides('postgres', { volumeSize: '100Gi' })).toEqual([]);
    expect(overrides('postgres', { volumeSize: 1073741824 })).toEqual([]);
    expect(overrides('postgres', { volumeSize: '0' })).toEqual(at('volumeSize', '"0": a volume needs a size of more than 0'));
    expect(overrides('postgres', { volumeSize: 0 })).toEqual(at('volumeSize', '0: a volume needs a size of more than 0'));
    expect(overrides('postgres', { volumeSize: true })).toEqual(at('volumeSize', 'true is not a Kubernetes quantity such as 50Gi'));
  });

  test('resources: a mapping of requests and limits with quantities; numbers are quantities', () => {
    expect(overrides('quay', { resources: { requests: { cpu: 2, memory: '8Gi' }, limits: { memory: '16Gi' } } })).toEqual([]);
    expect(overrides('quay', { resources: 'large' })).toEqual(at('resources', 'must be a mapping with requests and/or limits'));
    expect(overrides('quay', { resources: { limits: { cpu: true } } })).toEqual(at('resources.limits.cpu', 'true is not a Kubernetes quantity'));
  });

  test('resources: a request above its limit is named, once the quantities are valid', () => {
    expect(overrides('quay', { resources: { requests: { memory: '16Gi' }, limits: { memory: '8Gi' } } })).toEqual(at('resources.requests.memory', '16Gi is more than its limit 8Gi'));
    expect(overrides('quay', { resources: { requests: { memory: '16Gi', cpu: 'x' }, limits: { memory: '8Gi' } } })).toEqual(at('resources.requests.cpu', '"x" is not a Kubernetes quantity'));
  });

  test('affinity and tolerations: their shapes', () => {
    expect(overrides('quay', { affinity: [] })).toEqual(at('affinity', 'must be a mapping (nodeAffinity, podAffinity, podAntiAffinity)'));
    expect(overrides('quay', { tolerations: { key: 'infra' } })).toEqual(at('tolerations', 'must be a list of tolerations'));
    expect(overrides('quay', { tolerations: ['infra'] })).toEqual(at('tolerations', 'must be a list of tolerations'));
    expect(overrides('quay', { tolerations: [{ key: 'infra', operator: 'Exists', effect: 'NoSchedule' }] })).toEqual([]);
  });

  test('storageClassName: 253 characters at most', () => {
    expect(overrides('postgres', { storageClassName: 's'.repeat(253) })).toEqual([]);
    expect(overrides('postgres', { storageClassName: 's'.repeat(254) })).toEqual(at('storageClassName', `"${'s'.repeat(254)}" is not a StorageClass name`));
  });

  test('securityContext ids at their edges', () => {
    const sc = (securityContext: Record<string, unknown>) => overrides('postgres', { securityContext });
    expect(sc({ runAsUser: 1, runAsGroup: 0, fsGroup: 0, supplementalGroups: [], fsGroupChangePolicy: 'Always' })).toEqual([]);
    expect(sc({ runAsUser: 2147483647, runAsGroup: 2147483647, fsGroup: 2147483647, supplementalGroups: Array.from({ length: 32 }, (_, i) => i) })).toEqual([]);
    expect(sc({ runAsUser: 2147483648 })).toEqual(at('securityContext.runAsUser', 'must be a user id of at least 1 (pods never run as root)'));
    expect(sc({ runAsUser: '26' })).toEqual(at('securityContext.runAsUser', 'must be a user id of at least 1 (pods never run as root)'));
    expect(sc({ runAsGroup: 1.5 })).toEqual(at('securityContext.runAsGroup', 'must be a group id (a whole number of at least 0)'));
    expect(sc({ fsGroup: 2147483648 })).toEqual(at('securityContext.fsGroup', 'must be a group id (a whole number of at least 0)'));
    expect(sc({ supplementalGroups: 5 })).toEqual(at('securityContext.supplementalGroups', 'must be a list of group ids'));
    expect(sc({ supplementalGroups: [-1] })).toEqual(at('securityContext.supplementalGroups', 'must be a list of group ids'));
    expect(sc({ supplementalGroups: Array.from({ length: 33 }, (_, i) => i) })).toEqual(at('securityContext.supplementalGroups', 'at most 32 group ids'));
    expect(sc({ fsGroupChangePolicy: 'OnRootMismatch' })).toEqual([]);
  });

  test('labels: a reserved label is named only in a map of strings', () => {
    expect(overrides('quay', { labels: { app: 'mine', team: 'registry' } })).toEqual(at('labels.app', 'label `app` is reserved: the operator selects pods with it'));
    expect(overrides('quay', { labels: { app: 1 } })).toEqual(at('labels', 'must be a mapping of strings to strings'));
    expect(overrides('quay', { annotations: { note: 'app' }, nodeSelector: { 'node-role.kubernetes.io/infra': '' } })).toEqual([]);
  });
});

describe('what the spec keeps, and the checks that read spec.components', () => {
  test('every field of the spec is kept as written', () => {
    const spec = {
      configBundleSecret: 'config-bundle',
      tlsSecret: 'registry-tls',
      components: [{ kind: 'tls', managed: false }],
      exposure: { type: 'Route' },
      initialUser: { secretName: 'admin' },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain' },
      networkPolicies: { enabled: true },
      backup: { schedule: '@daily' },
      migrations: { run: false },
      clair: { disconnected: true },
    };
    expect(parseQuayRegistry(registry(spec)).registry?.spec).toEqual(spec);
  });

  test('an unmanaged database cannot be backed up; only components declared `managed: false` count', () => {
    expect(problemsOf(registry({ backup: { schedule: '@daily' }, components: [{ kind: 'postgres', managed: false }] }))).toEqual([
      invalid('spec.backup.components', 'defaults to [postgres], which is unmanaged: list the managed databases to back up (clairpostgres), or remove spec.backup'),
    ]);
    expect(problemsOf(registry({ backup: { schedule: '@daily' }, components: [{ kind: 'postgres', managed: true }, { kind: 'clairpostgres', managed: false }] }))).toEqual([]);
  });

  test('a component that is not a mapping, or says managed as text, is not taken as unmanaged by the other checks', () => {
    expect(problemsOf(registry({ backup: { schedule: '@daily' }, components: ['postgres'] }))).toEqual([invalid('spec.components[0]', 'must be a mapping with kind and managed')]);
    expect(problemsOf(registry({ backup: { schedule: '@daily' }, components: [{ kind: 'postgres', managed: 'false' }] }))).toEqual([
      invalid('spec.components[0].managed', 'is required and must be true or false'),
    ]);
  });

  test('spec.clair with clair unmanaged is named', () => {
    expect(problemsOf(registry({ clair: { disconnected: true }, components: [{ kind: 'clair', managed: false }] }))).toEqual([
      invalid('spec.clair.disconnected', "the clair component is unmanaged: set airgap in your own Clair's config (indexer.airgap, matcher.disable_updaters), or make clair managed"),
    ]);
    expect(problemsOf(registry({ clair: { disconnected: true }, components: [{ kind: 'mirror', managed: false }] }))).toEqual([]);
  });

  test('labels or annotations with any value that is not text are dropped whole', () => {
    const metadata = { name: 'example-registry', namespace: 'quay-enterprise', labels: { a: 1, b: 'x' }, annotations: { c: 'y', d: null } };
    expect(parseQuayRegistry(registry({}, metadata)).registry?.metadata).toEqual({ name: 'example-registry', namespace: 'quay-enterprise' });
  });

  test('a three-letter typo is matched too; shorter ones are not', () => {
    expect(problemsOf(registry({ components: [{ kind: 'qua', managed: true }] }))).toEqual([
      invalid('spec.components[0].kind', `unknown component kind \`qua\` (did you mean \`quay\`?); valid kinds are ${VALID_KINDS}`),
    ]);
  });
});

describe('override checks, more edges', () => {
  test('fsGroupChangePolicy: a long wrong value is named for what it is', () => {
    expect(overrides('postgres', { securityContext: { fsGroupChangePolicy: 'x'.repeat(40) } })).toEqual(at('securityContext.fsGroupChangePolicy', 'must be OnRootMismatch or Always'));
  });

  test('an override given as undefined (from code, not YAML) is no override', () => {
    expect(overrides('redis', { env: undefined, labels: undefined })).toEqual([]);
  });

  test('tolerations: every entry a mapping', () => {
    expect(overrides('quay', { tolerations: [{ key: 'infra', operator: 'Exists' }, 'infra'] })).toEqual(at('tolerations', 'must be a list of tolerations'));
  });

  test('affinity and tolerations problems are named under their field', () => {
    expect(overrides('quay', { affinity: { podAffinity: 'x' } })).toEqual(
      at('affinity.podAffinity', 'must be a mapping with requiredDuringSchedulingIgnoredDuringExecution, preferredDuringSchedulingIgnoredDuringExecution'),
    );
    expect(overrides('quay', { tolerations: [{ operator: 'Sometimes' }] })).toEqual([
      ...at('tolerations[0].operator', '"Sometimes" is not one of Exists, Equal'),
      ...at('tolerations[0]', 'without a key the operator must be Exists'),
    ]);
  });

  test('nodeSelector values are label values; annotation values are free text', () => {
    expect(overrides('quay', { nodeSelector: { role: 'not a label value' } })).toEqual(
      at('nodeSelector', "value \"not a label value\" is not a label value (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)"),
    );
    expect(overrides('quay', { annotations: { note: 'free text, with spaces' } })).toEqual([]);
  });

  test('labels: a reserved label is named once, and only when it is there; values are label values', () => {
    expect(overrides('quay', { labels: { team: 'registry' } })).toEqual([]);
    expect(overrides('quay', { labels: { team: 'the registry team' } })).toEqual(
      at('labels', "value \"the registry team\" is not a label value (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)"),
    );
    expect(overrides('quay', { labels: { 'quay-component': 'x', app: 'y' } })).toEqual([
      ...at('labels.quay-component', 'label `quay-component` is reserved: the operator selects pods with it'),
      ...at('labels.app', 'label `app` is reserved: the operator selects pods with it'),
    ]);
  });
});
