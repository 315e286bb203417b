import { OVERRIDE_SUPPORT } from '../../lib/api/override-support';
import { RULE_MESSAGES } from '../../lib/api/schema';
import { COMPONENT_KINDS, ComponentKind, OVERRIDE_KINDS, OverrideKind } from '../../lib/api/types';
import { MAX_REGISTRY_NAME, parseQuayRegistry } from '../../lib/api/validate';
import { Problem } from '../../lib/problems';

const VALID_KINDS = 'quay, postgres, clair, redis, horizontalpodautoscaler, objectstorage, route, mirror, monitoring, tls, clairpostgres';

/** The seeds' minimal QuayRegistry, with the spec replaced. */
function registry(spec?: unknown, metadata: Record<string, unknown> = { name: 'example-registry', namespace: 'quay-enterprise' }): Record<string, unknown> {
  return { apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata, ...(spec === undefined ? {} : { spec }) };
}

function withComponents(...components: unknown[]): Record<string, unknown> {
  return registry({ components });
}

const invalid = (path: string, message: string): Problem => ({ path, message, reason: 'ConfigInvalid' });
const overrideInvalid = (path: string, message: string): Problem => ({ path, message, reason: 'ComponentOverrideInvalid' });

describe('parseQuayRegistry: the registry itself', () => {
  it("parses the seeds' minimal registry", () => {
    const result = parseQuayRegistry(registry());
    expect(result.problems).toEqual([]);
    expect(result.registry).toEqual({
      apiVersion: 'quay.redhat.com/v1',
      kind: 'QuayRegistry',
      metadata: { name: 'example-registry', namespace: 'quay-enterprise' },
      spec: {},
    });
  });

  it('applies the default namespace when metadata.namespace is absent', () => {
    expect(parseQuayRegistry(registry(undefined, { name: 'example-registry' })).registry?.metadata.namespace).toBe('default');
    expect(parseQuayRegistry(registry(undefined, { name: 'example-registry' }), 'quay-enterprise').registry?.metadata.namespace).toBe('quay-enterprise');
  });

  it('keeps a namespace given in metadata over the default', () => {
    expect(parseQuayRegistry(registry(), 'other').registry?.metadata.namespace).toBe('quay-enterprise');
  });

  it('rejects a wrong apiVersion', () => {
    expect(parseQuayRegistry({ ...registry(), apiVersion: 'quay.redhat.com/v1beta1' })).toEqual({
      problems: [invalid('apiVersion', 'must be quay.redhat.com/v1, got "quay.redhat.com/v1beta1"')],
    });
  });

  it('rejects a wrong kind', () => {
    expect(parseQuayRegistry({ ...registry(), kind: 'QuayEcosystem' })).toEqual({
      problems: [invalid('kind', 'must be QuayRegistry, got "QuayEcosystem"')],
    });
  });

  it('rejects a missing metadata.name', () => {
    expect(parseQuayRegistry(registry(undefined, { namespace: 'quay-enterprise' }))).toEqual({ problems: [invalid('metadata.name', 'is required')] });
  });

  it('rejects a metadata.name that is not a lowercase DNS label', () => {
    expect(parseQuayRegistry(registry(undefined, { name: 'Example_Registry', namespace: 'quay-enterprise' }))).toEqual({
      problems: [
        invalid(
          'metadata.name',
          '`Example_Registry` must be a lowercase DNS label of at most 44 characters (it prefixes every object name, e.g. Example_Registry-quay-config-editor)',
        ),
      ],
    });
  });

  it('allows names up to MAX_REGISTRY_NAME (63 minus "-quay-config-editor") and rejects longer ones', () => {
    expect(MAX_REGISTRY_NAME).toBe(44);
    const longest = 'r'.repeat(44);
    expect(parseQuayRegistry(registry(undefined, { name: longest })).problems).toEqual([]);
    const tooLong = 'r'.repeat(45);
    expect(parseQuayRegistry(registry(undefined, { name: tooLong }))).toEqual({
      problems: [
        invalid(
          'metadata.name',
          `\`${tooLong}\` must be a lowercase DNS label of at most 44 characters (it prefixes every object name, e.g. ${tooLong}-quay-config-editor)`,
        ),
      ],
    });
  });

  it('rejects an unknown spec field', () => {
    expect(parseQuayRegistry(registry({ configBundleSecret: 'config-bundle-secret', replicas: 3 }))).toEqual({
      problems: [invalid('spec.replicas', 'unknown field; the spec has only configBundleSecret, tlsSecret, components, exposure, initialUser, persistentVolumeClaimRetentionPolicy, networkPolicies, backup, migrations, clair')],
    });
  });

  it('takes persistentVolumeClaimRetentionPolicy.whenDeleted Retain or Delete, and names the field otherwise', () => {
    expect(parseQuayRegistry(registry({ persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain' } })).registry?.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain' });
    expect(parseQuayRegistry(registry({ persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Keep', whenScaled: 'Retain' } })).problems).toEqual([
      invalid('spec.persistentVolumeClaimRetentionPolicy.whenDeleted', '"Keep" is not one of Delete, Retain'),
      invalid('spec.persistentVolumeClaimRetentionPolicy.whenScaled', 'unknown field; the policy has only whenDeleted'),
    ]);
    expect(parseQuayRegistry(registry({ persistentVolumeClaimRetentionPolicy: 'Retain' })).problems).toEqual([
      invalid('spec.persistentVolumeClaimRetentionPolicy', 'must be a mapping with whenDeleted'),
    ]);
  });

  it('takes initialUser.secretName, and names the field when it is missing or not a Secret name', () => {
    expect(parseQuayRegistry(registry({ initialUser: { secretName: 'quay-admin' } })).registry?.spec.initialUser).toEqual({ secretName: 'quay-admin' });
    expect(parseQuayRegistry(registry({ initialUser: { secretName: 'Quay Admin', password: 'x' } })).problems).toEqual([
      invalid('spec.initialUser.password', 'unknown field; initialUser has only secretName'),
      invalid('spec.initialUser.secretName', '"Quay Admin" is not a valid Secret name'),
    ]);
    expect(parseQuayRegistry(registry({ initialUser: {} })).problems).toEqual([invalid('spec.initialUser.secretName', 'is required: the Secret with username, password and email')]);
  });

  it('rejects components that are not a list', () => {
    expect(parseQuayRegistry(registry({ components: { kind: 'redis', managed: false } }))).toEqual({
      problems: [invalid('spec.components', 'must be a list of {kind, managed, overrides}')],
    });
  });

  it("rejects the seeds' `mirroring` kind and suggests `mirror`", () => {
    expect(parseQuayRegistry(withComponents({ kind: 'mirroring', managed: false }))).toEqual({
      problems: [invalid('spec.components[0].kind', `unknown component kind \`mirroring\` (did you mean \`mirror\`?); valid kinds are ${VALID_KINDS}`)],
    });
  });

  it('suggests the closest kind, not the first kind that is a prefix (`clairpostgresql` -> `clairpostgres`)', () => {
    expect(parseQuayRegistry(withComponents({ kind: 'clairpostgresql', managed: false }))).toEqual({
      problems: [invalid('spec.components[0].kind', `unknown component kind \`clairpostgresql\` (did you mean \`clairpostgres\`?); valid kinds are ${VALID_KINDS}`)],
    });
  });

  it('suggests nothing for an empty kind', () => {
    expect(parseQuayRegistry(withComponents({ kind: '', managed: false }))).toEqual({
      problems: [invalid('spec.components[0].kind', `unknown component kind \`\`; valid kinds are ${VALID_KINDS}`)],
    });
  });

  it('rejects a kind listed twice', () => {
    expect(parseQuayRegistry(withComponents({ kind: 'redis', managed: false }, { kind: 'redis', managed: true }))).toEqual({
      problems: [invalid('spec.components[1].kind', `${RULE_MESSAGES.duplicateKinds}: \`redis\` appears twice`)],
    });
  });

  it('rejects a component without managed', () => {
    expect(parseQuayRegistry(withComponents({ kind: 'redis' }))).toEqual({
      problems: [invalid('spec.components[0].managed', 'is required and must be true or false')],
    });
  });

  it('rejects a managed that is not a boolean', () => {
    expect(parseQuayRegistry(withComponents({ kind: 'redis', managed: 'false' }))).toEqual({
      problems: [invalid('spec.components[0].managed', 'is required and must be true or false')],
    });
  });

  it('rejects quay unmanaged', () => {
    expect(parseQuayRegistry(withComponents({ kind: 'quay', managed: false }))).toEqual({
      problems: [invalid('spec.components[0].managed', RULE_MESSAGES.quayUnmanaged)],
    });
    expect(RULE_MESSAGES.quayUnmanaged).toBe('component `quay` cannot be unmanaged');
  });

  it('rejects overrides on an unmanaged component', () => {
    expect(parseQuayRegistry(withComponents({ kind: 'redis', managed: false, overrides: { env: [{ name: 'DEBUGLOG', value: 'true' }] } }))).toEqual({
      problems: [overrideInvalid('spec.components[0].overrides', 'cannot set overrides on unmanaged component `redis`')],
    });
  });

  it('rejects labels-only overrides on an unmanaged component too', () => {
    expect(parseQuayRegistry(withComponents({ kind: 'route', managed: false, overrides: { labels: { team: 'registry' } } }))).toEqual({
      problems: [overrideInvalid('spec.components[0].overrides', 'cannot set overrides on unmanaged component `route`')],
    });
  });
});

describe('parseQuayRegistry: which overrides each component supports', () => {
  // A valid value for each override kind; replicas 0 is allowed whatever the HPA does.
  const VALUES: Record<OverrideKind, unknown> = {
    env: [{ name: 'DEBUGLOG', value: 'true' }],
    replicas: 0,
    volumeSize: '10Gi',
    resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '2Gi' } },
    affinity: { nodeAffinity: {} },
    tolerations: [{ key: 'node-role.kubernetes.io/infra', operator: 'Exists', effect: 'NoSchedule' }],
    nodeSelector: { 'node-role.kubernetes.io/infra': '' },
    labels: { team: 'registry' },
    annotations: { 'example.com/owner': 'registry-team' },
    storageClassName: 'fast-ssd',
    securityContext: { runAsUser: 1000680000, fsGroup: 1000680000 },
  };

  it('OVERRIDE_SUPPORT is the documented table', () => {
    const placement = ['affinity', 'tolerations', 'nodeSelector'];
    const metadata = ['labels', 'annotations'];
    expect(OVERRIDE_SUPPORT).toEqual({
      quay: ['env', 'replicas', 'resources', 'securityContext', ...placement, ...metadata],
      postgres: ['env', 'volumeSize', 'storageClassName', 'resources', 'securityContext', ...placement, ...metadata],
      clair: ['env', 'replicas', 'volumeSize', 'storageClassName', 'resources', 'securityContext', ...placement, ...metadata],
      clairpostgres: ['env', 'volumeSize', 'storageClassName', 'resources', 'securityContext', ...placement, ...metadata],
      redis: ['env', 'resources', 'securityContext', ...placement, ...metadata],
      mirror: ['env', 'replicas', 'resources', 'securityContext', ...placement, ...metadata],
      horizontalpodautoscaler: metadata,
      objectstorage: ['storageClassName', ...metadata],
      route: metadata,
      monitoring: metadata,
      tls: [],
    });
  });

  const cases = COMPONENT_KINDS.flatMap((kind) => OVERRIDE_KINDS.map((override) => [kind, override, OVERRIDE_SUPPORT[kind].includes(override)] as const));
  const supported = cases.filter(([, , ok]) => ok).map(([k, o]) => [k, o] as [ComponentKind, OverrideKind]);
  const unsupported = cases.filter(([, , ok]) => !ok).map(([k, o]) => [k, o] as [ComponentKind, OverrideKind]);

  it('covers every kind and override kind', () => {
    expect(supported.length + unsupported.length).toBe(COMPONENT_KINDS.length * OVERRIDE_KINDS.length);
    expect(unsupported.length).toBeGreaterThan(0);
  });

  it.each(supported)('`%s` accepts `%s`', (kind, override) => {
    const component = { kind, managed: true, overrides: { [override]: VALUES[override] } };
    const result = parseQuayRegistry(withComponents(component));
    expect(result.problems).toEqual([]);
    expect(result.registry?.spec.components).toEqual([component]);
  });

  it.each(unsupported)('`%s` rejects `%s`', (kind, override) => {
    const takes = OVERRIDE_SUPPORT[kind];
    const suffix = takes.length > 0 ? ` (it takes ${takes.join(', ')})` : '';
    expect(parseQuayRegistry(withComponents({ kind, managed: true, overrides: { [override]: VALUES[override] } }))).toEqual({
      problems: [overrideInvalid(`spec.components[0].overrides.${override}`, `component \`${kind}\` does not support \`${override}\` overrides${suffix}`)],
    });
  });

  it('names what the component takes, or nothing for tls', () => {
    expect(parseQuayRegistry(withComponents({ kind: 'redis', managed: true, overrides: { replicas: 0 } })).problems[0].message).toBe(
      'component `redis` does not support `replicas` overrides (it takes env, resources, securityContext, affinity, tolerations, nodeSelector, labels, annotations)',
    );
    expect(parseQuayRegistry(withComponents({ kind: 'tls', managed: true, overrides: { labels: { a: 'b' } } })).problems[0].message).toBe(
      'component `tls` does not support `labels` overrides',
    );
  });

  it('rejects an unknown override', () => {
    expect(parseQuayRegistry(withComponents({ kind: 'quay', managed: true, overrides: { priorityClassName: 'high' } }))).toEqual({
      problems: [
        overrideInvalid(
          'spec.components[0].overrides.priorityClassName',
          'unknown override; valid overrides are env, replicas, volumeSize, resources, affinity, tolerations, nodeSelector, labels, annotations, storageClassName, securityContext',
        ),
      ],
    });
  });
});

describe('parseQuayRegistry: override values', () => {
  const one = (kind: ComponentKind, overrides: Record<string, unknown>) => parseQuayRegistry(withComponents({ kind, managed: true, overrides }));

  it('rejects an env name that is not a variable name', () => {
    expect(one('quay', { env: [{ name: '1-DEBUG', value: 'true' }] })).toEqual({
      problems: [overrideInvalid('spec.components[0].overrides.env[0].name', 'must be a valid environment variable name')],
    });
  });

  it('rejects an env entry without a name', () => {
    expect(one('quay', { env: [{ value: 'true' }] })).toEqual({
      problems: [overrideInvalid('spec.components[0].overrides.env[0].name', 'must be a valid environment variable name')],
    });
  });

  it('rejects an env value that is not a string', () => {
    expect(one('quay', { env: [{ name: 'DEBUGLOG', value: true }] })).toEqual({
      problems: [overrideInvalid('spec.components[0].overrides.env[0].value', 'must be a string (quote numbers and booleans)')],
    });
  });

  it('rejects env that is not a list', () => {
    expect(one('quay', { env: { DEBUGLOG: 'true' } })).toEqual({
      problems: [overrideInvalid('spec.components[0].overrides.env', 'must be a list of {name, value} or {name, valueFrom}')],
    });
  });

  it('accepts env with valueFrom', () => {
    expect(one('quay', { env: [{ name: 'HTTP_PROXY', valueFrom: { secretKeyRef: { name: 'proxy', key: 'url' } } }] }).problems).toEqual([]);
  });

  // What the API server refuses in a pod template (ValidateNodeSelector, validateSecretKeySelector,
  // validateConfigMapKeySelector), though the CRD lets it through (affinity and valueFrom are free-form).
  it('rejects a required nodeAffinity with an empty nodeSelectorTerms', () => {
    expect(one('quay', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } } })).toEqual({
      problems: [overrideInvalid('spec.components[0].overrides.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms', 'must have at least 1 item')],
    });
    expect(one('quay', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'infra', operator: 'Exists' }] }] } } } }).problems).toEqual([]);
  });

  it.each(['secretKeyRef', 'configMapKeyRef'])('rejects a %s without a name, or with one that cannot name an object', (ref) => {
    const at = `spec.components[0].overrides.env[0].valueFrom.${ref}`;
    const env = (selector: Record<string, unknown>) => one('quay', { env: [{ name: 'HTTP_PROXY', valueFrom: { [ref]: selector } }] }).problems;
    expect(env({ key: 'url' })).toEqual([overrideInvalid(`${at}.name`, 'is required')]);
    expect(env({ name: '', key: 'url' })).toEqual([overrideInvalid(`${at}.name`, '"" is not an object name (a lowercase DNS subdomain of at most 253 characters)')]);
    expect(env({ name: 'Proxy_Secret', key: 'url' })).toEqual([overrideInvalid(`${at}.name`, '"Proxy_Secret" is not an object name (a lowercase DNS subdomain of at most 253 characters)')]);
    expect(env({ name: 'proxy', key: '' })).toEqual([overrideInvalid(`${at}.key`, '"" is not a key of a Secret or ConfigMap (letters, digits, \'-\', \'_\' or \'.\', at most 253; not . or .. or starting with ..)')]);
    expect(env({ name: 'proxy', key: 'a/b' })).toEqual([overrideInvalid(`${at}.key`, '"a/b" is not a key of a Secret or ConfigMap (letters, digits, \'-\', \'_\' or \'.\', at most 253; not . or .. or starting with ..)')]);
    expect(env({ name: 'proxy.example', key: 'HTTP_PROXY.url', optional: true })).toEqual([]);
  });

  it('rejects negative replicas', () => {
    expect(one('mirror', { replicas: -1 })).toEqual({
      problems: [overrideInvalid('spec.components[0].overrides.replicas', 'must be a whole number of at least 0')],
    });
  });

  it('rejects non-integer replicas', () => {
    expect(one('mirror', { replicas: 1.5 })).toEqual({
      problems: [overrideInvalid('spec.components[0].overrides.replicas', 'must be a whole number of at least 0')],
    });
  });

  it('rejects replicas given as a string', () => {
    expect(one('mirror', { replicas: '2' })).toEqual({
      problems: [overrideInvalid('spec.components[0].overrides.replicas', 'must be a whole number of at least 0')],
    });
  });

  it.each(['quay', 'clair', 'mirror'] as const)('rejects replicas > 0 on `%s` while the HPA is managed by default', (kind) => {
    expect(one(kind, { replicas: 2 })).toEqual({
      problems: [
        overrideInvalid(
          'spec.components[0].overrides.replicas',
          `cannot override replicas with managed HPA: set horizontalpodautoscaler unmanaged to pin \`${kind}\` at 2 replicas (0 is allowed and scales it down)`,
        ),
      ],
    });
  });

  it('rejects replicas > 0 while the HPA is declared managed', () => {
    expect(
      parseQuayRegistry(withComponents({ kind: 'horizontalpodautoscaler', managed: true }, { kind: 'quay', managed: true, overrides: { replicas: 3 } })),
    ).toEqual({
      problems: [
        overrideInvalid(
          'spec.components[1].overrides.replicas',
          'cannot override replicas with managed HPA: set horizontalpodautoscaler unmanaged to pin `quay` at 3 replicas (0 is allowed and scales it down)',
        ),
      ],
    });
  });

  it.each(['quay', 'clair', 'mirror'] as const)('accepts replicas 0 on `%s` with the HPA managed', (kind) => {
    expect(one(kind, { replicas: 0 }).problems).toEqual([]);
  });

  it('accepts replicas 3 with the HPA unmanaged', () => {
    const result = parseQuayRegistry(
      withComponents({ kind: 'quay', managed: true, overrides: { replicas: 3 } }, { kind: 'horizontalpodautoscaler', managed: false }),
    );
    expect(result.problems).toEqual([]);
    expect(result.registry?.spec.components?.[0].overrides?.replicas).toBe(3);
  });

  it('accepts replicas: null (the operator or HPA decides)', () => {
    const result = one('quay', { replicas: null });
    expect(result.problems).toEqual([]);
    expect(result.registry?.spec.components?.[0].overrides).toEqual({ replicas: null });
  });

  it('rejects a volumeSize that is not a quantity', () => {
    expect(one('postgres', { volumeSize: '50 GB' })).toEqual({
      problems: [overrideInvalid('spec.components[0].overrides.volumeSize', '"50 GB" is not a Kubernetes quantity such as 50Gi')],
    });
  });

  it('rejects a resource quantity that is not a quantity', () => {
    expect(one('quay', { resources: { requests: { cpu: 'lots' } } })).toEqual({
      problems: [overrideInvalid('spec.components[0].overrides.resources.requests.cpu', '"lots" is not a Kubernetes quantity')],
    });
  });

  it('rejects an unknown field in resources', () => {
    expect(one('quay', { resources: { maximum: { cpu: '2' } } })).toEqual({
      problems: [overrideInvalid('spec.components[0].overrides.resources.maximum', 'unknown field; use requests or limits')],
    });
  });

  it('rejects resources.limits that is not a mapping', () => {
    expect(one('quay', { resources: { limits: '2Gi' } })).toEqual({
      problems: [overrideInvalid('spec.components[0].overrides.resources.limits', 'must be a mapping such as {cpu: 2000m, memory: 8Gi}')],
    });
  });

  it.each(['quay-component', 'app', 'quay-operator/quayregistry'])('rejects the reserved label `%s`', (label) => {
    expect(one('quay', { labels: { [label]: 'mine' } })).toEqual({
      problems: [overrideInvalid(`spec.components[0].overrides.labels.${label}`, `label \`${label}\` is reserved: the operator selects pods with it`)],
    });
  });

  it('rejects labels whose values are not strings', () => {
    expect(one('quay', { labels: { tier: 1 } })).toEqual({
      problems: [overrideInvalid('spec.components[0].overrides.labels', 'must be a mapping of strings to strings')],
    });
  });
});

describe('parseQuayRegistry: the spec is not rewritten', () => {
  it('adds no components when none are declared', () => {
    const spec = parseQuayRegistry(registry({ configBundleSecret: 'config-bundle-secret' })).registry?.spec;
    expect(spec).toEqual({ configBundleSecret: 'config-bundle-secret' });
    expect(spec && 'components' in spec).toBe(false);
  });

  it('keeps the declared components exactly as given, without defaults', () => {
    const components = [
      { kind: 'route', managed: false },
      { kind: 'quay', managed: true, overrides: { env: [{ name: 'DEBUGLOG', value: 'true' }] } },
    ];
    const result = parseQuayRegistry(withComponents(...components));
    expect(result.problems).toEqual([]);
    expect(result.registry?.spec).toEqual({ components });
    expect(result.registry?.status).toBeUndefined();
  });
});

describe('parseQuayRegistry: storageClassName and securityContext overrides', () => {
  const postgres = (overrides: Record<string, unknown>) => parseQuayRegistry(withComponents({ kind: 'postgres', managed: true, overrides })).problems;
  const at = (field: string, message: string) => [overrideInvalid(`spec.components[0].overrides.${field}`, message)];

  it('takes a StorageClass name and ids', () => {
    expect(postgres({ storageClassName: 'ocs-storagecluster-ceph-rbd', securityContext: { runAsUser: 26, runAsGroup: 0, fsGroup: 26, supplementalGroups: [5555], fsGroupChangePolicy: 'OnRootMismatch' } })).toEqual([]);
  });

  it.each([
    [{ storageClassName: 'Fast_SSD' }, 'storageClassName', '"Fast_SSD" is not a StorageClass name'],
    [{ storageClassName: 5 }, 'storageClassName', '5 is not a StorageClass name'],
    [{ securityContext: 'root' }, 'securityContext', 'must be a mapping of runAsUser, runAsGroup, fsGroup, supplementalGroups, fsGroupChangePolicy'],
    [{ securityContext: { runAsUser: 0 } }, 'securityContext.runAsUser', 'must be a user id of at least 1 (pods never run as root)'],
    [{ securityContext: { runAsUser: 1.5 } }, 'securityContext.runAsUser', 'must be a user id of at least 1 (pods never run as root)'],
    [{ securityContext: { fsGroup: -1 } }, 'securityContext.fsGroup', 'must be a group id (a whole number of at least 0)'],
    [{ securityContext: { supplementalGroups: ['wheel'] } }, 'securityContext.supplementalGroups', 'must be a list of group ids'],
    [{ securityContext: { fsGroupChangePolicy: 'Never' } }, 'securityContext.fsGroupChangePolicy', 'must be OnRootMismatch or Always'],
    [
      { securityContext: { privileged: true } },
      'securityContext.privileged',
      'not overridable; the operator keeps pods restricted (runAsNonRoot, seccomp RuntimeDefault, no capabilities). Valid fields: runAsUser, runAsGroup, fsGroup, supplementalGroups, fsGroupChangePolicy',
    ],
  ])('refuses %j', (overrides, field, message) => {
    expect(postgres(overrides)).toEqual(at(field, message));
  });

  it('storageClassName only where there are volumes', () => {
    expect(parseQuayRegistry(withComponents({ kind: 'redis', managed: true, overrides: { storageClassName: 'fast' } })).problems).toEqual(
      at('storageClassName', 'component `redis` does not support `storageClassName` overrides (it takes env, resources, securityContext, affinity, tolerations, nodeSelector, labels, annotations)'),
    );
  });
});

describe('parseQuayRegistry: spec.tlsSecret', () => {
  it('names a Secret: kept in the spec as written', () => {
    expect(parseQuayRegistry(registry({ configBundleSecret: 'config-bundle-secret', tlsSecret: 'registry-tls' })).registry?.spec).toEqual({ configBundleSecret: 'config-bundle-secret', tlsSecret: 'registry-tls' });
  });

  it.each([['Registry_TLS'], [42], ['']])('refuses %j, naming the field', (tlsSecret) => {
    expect(parseQuayRegistry(registry({ tlsSecret })).problems).toEqual([invalid('spec.tlsSecret', `${JSON.stringify(tlsSecret)} is not a valid Secret name`)]);
  });
});
