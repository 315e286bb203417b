// lib/api/pod-overrides.ts, called directly: label/annotation keys and values, string maps (labels,
// nodeSelector, annotations), tolerations, affinity, env valueFrom and resource amounts. Each case
// asserts the exact (path, message) pairs reported, with both sides of every boundary.
import { MAX_TOLERATIONS, Report, checkAffinity, checkResourceAmounts, checkStringMap, checkTolerations, checkValueFrom, keyProblem, labelValueProblem } from '../../lib/api/pod-overrides';

type Found = Array<[string, string]>;
/** Runs a check with a collecting `report`; the reported (path, message) pairs, in order. */
function found(check: (report: Report) => void): Found {
  const out: Found = [];
  check((path, message) => out.push([path, message]));
  return out;
}

const a = (n: number) => 'a'.repeat(n);
const NAME = (key: string) => `key ${JSON.stringify(key)}: the name must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`;
const PREFIX = (key: string) => `key ${JSON.stringify(key)}: the prefix must be a DNS subdomain of at most 253 characters`;
const VALUE = (shown: string) => `value ${JSON.stringify(shown)} is not a label value (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)`;

describe('keyProblem', () => {
  it.each(['a', 'Z', '9', a(63), 'A-b_c.9', 'app.kubernetes.io/name', `${a(253)}/x`, `example.com/${a(63)}`, 'a-1.b2/X_y'])('accepts %s', (key) => {
    expect(keyProblem(key)).toBeUndefined();
  });

  it.each([
    ['', NAME('')],
    [a(64), NAME(a(64))],
    [`example.com/${a(64)}`, NAME(`example.com/${a(64)}`)],
    [`${a(254)}/x`, PREFIX(`${a(254)}/x`)],
    ['/x', PREFIX('/x')], // an empty prefix is still a prefix
    ['x/', NAME('x/')],
    ['a/b/c', PREFIX('a/b/c')], // split at the last slash: the prefix "a/b" is not a DNS subdomain
    ['Example.com/x', PREFIX('Example.com/x')],
    ['ex_ample.com/x', PREFIX('ex_ample.com/x')],
    ['a..b/x', PREFIX('a..b/x')],
    ['-a.com/x', PREFIX('-a.com/x')],
    ['example.com/-x', NAME('example.com/-x')],
    ['-a', NAME('-a')],
    ['a-', NAME('a-')],
    ['_a', NAME('_a')],
    ['.a', NAME('.a')],
    ['a b', NAME('a b')],
  ])('refuses %j', (key, message) => {
    expect(keyProblem(key)).toBe(message);
  });
});

describe('labelValueProblem', () => {
  it.each(['', 'a', 'Z9', a(63), 'A-b_c.9'])('accepts %j', (value) => {
    expect(labelValueProblem(value)).toBeUndefined();
  });

  it.each([
    [a(64), VALUE(a(64))],
    ['-a', VALUE('-a')],
    ['a.', VALUE('a.')],
    ['a b', VALUE('a b')],
    ['a/b', VALUE('a/b')],
    [a(80), VALUE(a(80))], // 80 characters are shown whole
    [`${'x'.repeat(77)}yyyy`, VALUE(`${'x'.repeat(77)}...`)], // 81: the first 77 and "..."
  ])('refuses %j', (value, message) => {
    expect(labelValueProblem(value)).toBe(message);
  });
});

describe('checkStringMap', () => {
  const MAPPING = 'must be a mapping of strings to strings';
  const labels = (v: unknown, max = 64) => found((r) => checkStringMap(v, 'labels', r, { labels: true, max }));
  const annotations = (v: unknown) => found((r) => checkStringMap(v, 'annotations', r, { labels: false, max: 64 }));

  it.each([null, undefined, [], ['a'], 'a=b', 5, { a: 1 }, { a: null }, { a: 'b', c: {} }])('refuses %j as not a mapping of strings', (v) => {
    expect(labels(v)).toEqual([['labels', MAPPING]]);
    expect(annotations(v)).toEqual([['annotations', MAPPING]]);
  });

  it('takes max entries and refuses max + 1', () => {
    const map = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));
    expect(labels({}, 2)).toEqual([]);
    expect(labels(map(2), 2)).toEqual([]);
    expect(labels(map(3), 2)).toEqual([['labels', 'at most 2 entries, got 3']]);
    expect(labels(map(64))).toEqual([]);
    expect(labels({ ...map(64), '-bad': '-bad' })).toEqual([['labels', 'at most 64 entries, got 65']]); // counted before keys are looked at
  });

  it('labels: reports each bad key or value in order, the key first', () => {
    expect(labels({ app: 'quay', 'example.com/tier': a(63), '': 'v', ok: '-v', '-k': '-v' })).toEqual([
      ['labels', NAME('')],
      ['labels', VALUE('-v')],
      ['labels', NAME('-k')],
    ]);
    expect(labels({ k: a(64) })).toEqual([['labels', VALUE(a(64))]]);
  });

  it('annotations: any value, label keys', () => {
    expect(annotations({ 'example.com/note': '-any value at all-', k: a(1000) })).toEqual([]);
    expect(annotations({ 'Bad/key': 'v' })).toEqual([['annotations', PREFIX('Bad/key')]]);
  });

  it('annotations: 256 KiB of keys and values in all, no more', () => {
    expect(annotations({ k: a(256 * 1024 - 1) })).toEqual([]);
    expect(annotations({ k: a(256 * 1024) })).toEqual([['annotations', '262145 bytes in all; Kubernetes takes at most 256 KiB of annotations']]);
    expect(annotations({ k: a(128 * 1024), l: a(128 * 1024) })).toEqual([['annotations', '262146 bytes in all; Kubernetes takes at most 256 KiB of annotations']]);
    expect(labels({ k: a(256 * 1024) })).toEqual([['labels', VALUE(`${a(77)}...`)]]); // labels: no size message
  });
});

describe('checkTolerations', () => {
  const tolerations = (v: unknown) => found((r) => checkTolerations(v, r));
  const FIELDS = 'key, operator, value, effect, tolerationSeconds';

  it.each([
    [[]],
    [[{ operator: 'Exists' }]],
    [[{ key: 'k' }]],
    [[{ key: 'k', operator: 'Exists', value: '' }]],
    [[{ key: 'k', operator: 'Equal', value: 'v', effect: 'NoSchedule' }]],
    [[{ key: 'k', operator: 'Exists', effect: 'PreferNoSchedule' }]],
    [[{ key: 'k', effect: 'NoExecute', tolerationSeconds: 0 }, { key: 'k', effect: 'NoExecute', tolerationSeconds: -1 }]],
  ])('accepts %j', (v) => {
    expect(tolerations(v)).toEqual([]);
  });

  it('takes MAX_TOLERATIONS (32) and refuses 33, before looking at the items', () => {
    expect(MAX_TOLERATIONS).toBe(32);
    expect(tolerations(Array(32).fill({ operator: 'Exists' }))).toEqual([]);
    expect(tolerations(Array(33).fill({ operator: 'Bad' }))).toEqual([['', 'at most 32 items, got 33']]);
  });

  it.each([
    [{ key: 'k' }, [['', 'must be a list']]],
    [null, [['', 'must be a list']]],
    ['k=v:NoSchedule', [['', 'must be a list']]],
    [[null], [['[0]', `must be a mapping with ${FIELDS}`]]],
    [[{ operator: 'Exists' }, []], [['[1]', `must be a mapping with ${FIELDS}`]]],
    [[{ operator: 'Exists' }, 'k'], [['[1]', `must be a mapping with ${FIELDS}`]]],
    [[{ operator: 'Exists', keys: 'k' }], [['[0].keys', `unknown field; valid fields are ${FIELDS}`]]],
    [[{ key: 1, value: true }], [['[0].key', 'must be a string'], ['[0].value', 'must be a string']]],
    [[{ key: 'k', operator: 'Equals' }], [['[0].operator', '"Equals" is not one of Exists, Equal']]],
    [[{ key: 'k', effect: 'NoRun' }], [['[0].effect', '"NoRun" is not one of NoSchedule, PreferNoSchedule, NoExecute']]],
    [[{ key: 'k', effect: 'NoExecute', tolerationSeconds: 1.5 }], [['[0].tolerationSeconds', 'must be a whole number']]],
    [[{ key: 'k', effect: 'NoExecute', tolerationSeconds: '30' }], [['[0].tolerationSeconds', 'must be a whole number']]],
    [[{ key: 'k', effect: 'NoSchedule', tolerationSeconds: 30 }], [['[0]', 'tolerationSeconds needs effect NoExecute']]],
    [[{ key: 'k', tolerationSeconds: 30 }], [['[0]', 'tolerationSeconds needs effect NoExecute']]],
    [[{ key: 'k', operator: 'Exists', value: 'v' }], [['[0]', 'operator Exists takes no value']]],
    [[{ operator: 'Equal', value: 'v' }], [['[0]', 'without a key the operator must be Exists']]],
    [[{ operator: 'Exists' }, { key: '', effect: 'NoSchedule' }], [['[1]', 'without a key the operator must be Exists']]],
  ])('refuses %j', (v, expected) => {
    expect(tolerations(v)).toEqual(expected);
  });
});

describe('checkAffinity', () => {
  const affinity = (v: unknown) => found((r) => checkAffinity(v, r));
  const REQ = '.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution';
  const TERM = `${REQ}.nodeSelectorTerms[0]`;
  const POD = '.podAffinity.requiredDuringSchedulingIgnoredDuringExecution';
  const ANTI = '.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution';
  const nodeTerms = (nodeSelectorTerms: unknown) => ({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms } } });
  const nodeExpr = (...matchExpressions: unknown[]) => nodeTerms([{ matchExpressions }]);
  const podTerm = (term: unknown) => ({ podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } });
  const antiWeight = (weight: unknown) => ({ podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight, podAffinityTerm: { topologyKey: 'zone' } }] } });
  const nodeWeight = (weight: unknown) => ({ nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight, preference: {} }] } });
  const WEIGHT = 'must be a whole number from 1 to 100';
  const TERM_FIELDS = 'labelSelector, namespaceSelector, namespaces, topologyKey, matchLabelKeys, mismatchLabelKeys';

  it.each([
    [{}],
    [nodeTerms([{}])],
    [nodeExpr({ key: 'k', operator: 'In', values: ['a'] }, { key: 'k', operator: 'NotIn', values: ['a', 'b'] })],
    [nodeExpr({ key: 'k', operator: 'Exists' }, { key: 'k', operator: 'DoesNotExist', values: [] })],
    [nodeExpr({ key: 'k', operator: 'Gt', values: ['5'] }, { key: 'k', operator: 'Lt', values: ['-10'] })],
    [nodeTerms([{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-1'] }] }])],
    [nodeWeight(1)],
    [nodeWeight(100)],
    [antiWeight(1)],
    [antiWeight(100)],
    [podTerm({ topologyKey: 'kubernetes.io/hostname', namespaces: ['a'], matchLabelKeys: ['k'], mismatchLabelKeys: [] })],
    [podTerm({ topologyKey: 'zone', labelSelector: { matchLabels: { app: 'quay' }, matchExpressions: [{ key: 'app', operator: 'In', values: ['quay'] }] }, namespaceSelector: {} })],
  ])('accepts %j', (v) => {
    expect(affinity(v)).toEqual([]);
  });

  it.each([
    [null, [['', 'must be a mapping with nodeAffinity, podAffinity, podAntiAffinity']]],
    [[], [['', 'must be a mapping with nodeAffinity, podAffinity, podAntiAffinity']]],
    ['nodeAffinity', [['', 'must be a mapping with nodeAffinity, podAffinity, podAntiAffinity']]],
    [{ nodeAfinity: {} }, [['.nodeAfinity', 'unknown field; valid fields are nodeAffinity, podAffinity, podAntiAffinity']]],
    [{ nodeAffinity: [] }, [['.nodeAffinity', 'must be a mapping with requiredDuringSchedulingIgnoredDuringExecution, preferredDuringSchedulingIgnoredDuringExecution']]],
    [{ podAntiAffinity: { required: [] } }, [['.podAntiAffinity.required', 'unknown field; valid fields are requiredDuringSchedulingIgnoredDuringExecution, preferredDuringSchedulingIgnoredDuringExecution']]],
    [{ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: {} } }, [[`${REQ}.nodeSelectorTerms`, 'is required']]],
    [{ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [] } }, [[REQ, 'must be a mapping with nodeSelectorTerms']]],
    [nodeTerms([]), [[`${REQ}.nodeSelectorTerms`, 'must have at least 1 item']]],
    [nodeTerms({}), [[`${REQ}.nodeSelectorTerms`, 'must be a list']]],
    [nodeTerms([{}, { matchLabels: {} }]), [[`${REQ}.nodeSelectorTerms[1].matchLabels`, 'unknown field; valid fields are matchExpressions, matchFields']]],
    [nodeExpr({}), [[`${TERM}.matchExpressions[0].key`, 'is required'], [`${TERM}.matchExpressions[0].operator`, 'is required']]],
    [nodeExpr({ key: 'k', operator: 'Exists' }, { key: 'k', operator: 'In' }), [[`${TERM}.matchExpressions[1]`, 'operator In needs values']]],
    [nodeExpr({ key: 'k', operator: 'NotIn', values: [] }), [[`${TERM}.matchExpressions[0]`, 'operator NotIn needs values']]],
    [nodeExpr({ key: 'k', operator: 'Exists', values: ['a'] }), [[`${TERM}.matchExpressions[0]`, 'operator Exists takes no values']]],
    [nodeExpr({ key: 'k', operator: 'DoesNotExist', values: ['a'] }), [[`${TERM}.matchExpressions[0]`, 'operator DoesNotExist takes no values']]],
    [nodeExpr({ key: 'k', operator: 'Gt' }), [[`${TERM}.matchExpressions[0]`, 'operator Gt takes one whole number']]],
    [nodeExpr({ key: 'k', operator: 'Gt', values: ['1', '2'] }), [[`${TERM}.matchExpressions[0]`, 'operator Gt takes one whole number']]],
    [nodeExpr({ key: 'k', operator: 'Lt', values: ['1.5'] }), [[`${TERM}.matchExpressions[0]`, 'operator Lt takes one whole number']]],
    [nodeExpr({ key: 'k', operator: 'Lt', values: ['ten'] }), [[`${TERM}.matchExpressions[0]`, 'operator Lt takes one whole number']]],
    [nodeExpr({ key: 'k', operator: 'Near', values: ['a'] }), [[`${TERM}.matchExpressions[0].operator`, '"Near" is not one of In, NotIn, Exists, DoesNotExist, Gt, Lt']]],
    [nodeExpr({ key: 'k', operator: 'In', values: 'a' }), [[`${TERM}.matchExpressions[0].values`, 'must be a list'], [`${TERM}.matchExpressions[0]`, 'operator In needs values']]],
    [nodeExpr({ key: 'k', operator: 'In', values: ['a', 1] }), [[`${TERM}.matchExpressions[0].values[1]`, 'must be a string']]],
    [nodeExpr({ key: 'k', operator: 'Exists', value: 'a' }), [[`${TERM}.matchExpressions[0].value`, 'unknown field; valid fields are key, operator, values']]],
    [nodeTerms([{ matchFields: [{ key: 'metadata.name', operator: 'Gt', values: ['1'] }] }]), [[`${TERM}.matchFields[0].operator`, '"Gt" is not one of In, NotIn']]],
    [nodeWeight(0), [['.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight', WEIGHT]]],
    [nodeWeight(101), [['.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight', WEIGHT]]],
    [nodeWeight(50.5), [['.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight', WEIGHT]]],
    [nodeWeight('50'), [['.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight', WEIGHT]]],
    [antiWeight(0), [[`${ANTI}[0].weight`, WEIGHT]]],
    [antiWeight(101), [[`${ANTI}[0].weight`, WEIGHT]]],
    [antiWeight(null), [[`${ANTI}[0].weight`, WEIGHT]]],
    [
      { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: {} }, {}] } },
      [['.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[1].weight', 'is required'], ['.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[1].preference', 'is required']],
    ],
    [{ podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, term: {} }] } }, [[`${ANTI}[0].term`, 'unknown field; valid fields are weight, podAffinityTerm'], [`${ANTI}[0].podAffinityTerm`, 'is required']]],
    [{ podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: null }] } }, [[`${ANTI}[0].podAffinityTerm`, `must be a mapping with ${TERM_FIELDS}`]]],
    [podTerm({}), [[`${POD}[0].topologyKey`, 'is required']]],
    [podTerm({ topologyKey: 5 }), [[`${POD}[0].topologyKey`, 'must be a string']]],
    [podTerm({ topologyKey: '' }), [[`${POD}[0]`, `topologyKey: ${NAME('')}`]]],
    [podTerm({ topologyKey: 'Zone.io/x' }), [[`${POD}[0]`, `topologyKey: ${PREFIX('Zone.io/x')}`]]],
    [podTerm({ topologyKey: 'zone', namespace: 'a' }), [[`${POD}[0].namespace`, `unknown field; valid fields are ${TERM_FIELDS}`]]],
    [podTerm({ topologyKey: 'zone', namespaces: ['a', 1], matchLabelKeys: 'k' }), [[`${POD}[0].namespaces[1]`, 'must be a string'], [`${POD}[0].matchLabelKeys`, 'must be a list']]],
    [podTerm({ topologyKey: 'zone', labelSelector: { app: 'quay' } }), [[`${POD}[0].labelSelector.app`, 'unknown field; valid fields are matchLabels, matchExpressions']]],
    [podTerm({ topologyKey: 'zone', namespaceSelector: 'all' }), [[`${POD}[0].namespaceSelector`, 'must be a mapping with matchLabels, matchExpressions']]],
    [podTerm({ topologyKey: 'zone', labelSelector: { matchLabels: { '-app': 'quay', tier: '-x' } } }), [[`${POD}[0].labelSelector.matchLabels`, NAME('-app')], [`${POD}[0].labelSelector.matchLabels`, VALUE('-x')]]],
    [podTerm({ topologyKey: 'zone', labelSelector: { matchLabels: { app: 1 } } }), [[`${POD}[0].labelSelector.matchLabels`, 'must be a mapping of strings to strings']]],
    [podTerm({ topologyKey: 'zone', labelSelector: { matchExpressions: [{ key: 'k', operator: 'Gt', values: ['1'] }] } }), [[`${POD}[0].labelSelector.matchExpressions[0].operator`, '"Gt" is not one of In, NotIn, Exists, DoesNotExist']]],
    [podTerm({ topologyKey: 'zone', labelSelector: { matchExpressions: [{ key: 'k', operator: 'In' }] } }), [[`${POD}[0].labelSelector.matchExpressions[0]`, 'operator In needs values']]],
  ])('refuses %j', (v, expected) => {
    expect(affinity(v)).toEqual(expected);
  });

  it('matchLabels in a selector: 64 entries, not 65', () => {
    const matchLabels = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));
    expect(affinity(podTerm({ topologyKey: 'zone', labelSelector: { matchLabels: matchLabels(64) } }))).toEqual([]);
    expect(affinity(podTerm({ topologyKey: 'zone', labelSelector: { matchLabels: matchLabels(65) } }))).toEqual([[`${POD}[0].labelSelector.matchLabels`, 'at most 64 entries, got 65']]);
  });
});

describe('checkValueFrom', () => {
  const PATH = '.env[2].valueFrom';
  const valueFrom = (v: unknown) => found((r) => checkValueFrom(v, PATH, r));
  const secret = (ref: unknown) => valueFrom({ secretKeyRef: ref });
  const ONE = 'needs exactly one of secretKeyRef, configMapKeyRef, fieldRef, resourceFieldRef';
  const OBJECT = (v: string) => `${JSON.stringify(v)} is not an object name (a lowercase DNS subdomain of at most 253 characters)`;
  const KEY = (v: string) => `${JSON.stringify(v)} is not a key of a Secret or ConfigMap (letters, digits, '-', '_' or '.', at most 253; not . or .. or starting with ..)`;

  it.each([
    [{ secretKeyRef: { name: 's', key: 'k' } }],
    [{ secretKeyRef: { name: a(253), key: a(253), optional: true } }],
    [{ configMapKeyRef: { name: 'my-config.v1', key: '.hidden', optional: false } }],
    [{ configMapKeyRef: { name: 'c', key: 'a..b_C-9' } }],
    [{ fieldRef: { fieldPath: 'metadata.name' } }],
    [{ fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } }],
    [{ resourceFieldRef: { resource: 'limits.cpu', containerName: 'quay', divisor: '1m' } }],
    [{ resourceFieldRef: { resource: 'requests.memory', divisor: 1 } }],
  ])('accepts %j', (v) => {
    expect(valueFrom(v)).toEqual([]);
  });

  it.each([
    [null, [[PATH, 'must be a mapping with secretKeyRef, configMapKeyRef, fieldRef, resourceFieldRef']]],
    [['fieldRef'], [[PATH, 'must be a mapping with secretKeyRef, configMapKeyRef, fieldRef, resourceFieldRef']]],
    [{}, [[PATH, ONE]]],
    [{ fieldRef: { fieldPath: 'metadata.name' }, resourceFieldRef: { resource: 'limits.cpu' } }, [[PATH, ONE]]],
    [{ secretRef: { name: 's' } }, [[`${PATH}.secretRef`, 'unknown field; valid fields are secretKeyRef, configMapKeyRef, fieldRef, resourceFieldRef']]],
    [
      { fieldRef: { fieldPath: 'metadata.name' }, extra: 1 },
      [[`${PATH}.extra`, 'unknown field; valid fields are secretKeyRef, configMapKeyRef, fieldRef, resourceFieldRef'], [PATH, ONE]],
    ],
    [{ fieldRef: {} }, [[`${PATH}.fieldRef.fieldPath`, 'is required']]],
    [{ fieldRef: { apiVersion: 1, fieldPath: 'metadata.name' } }, [[`${PATH}.fieldRef.apiVersion`, 'must be a string']]],
    [{ resourceFieldRef: { containerName: 'quay' } }, [[`${PATH}.resourceFieldRef.resource`, 'is required']]],
    [{ resourceFieldRef: 'limits.cpu' }, [[`${PATH}.resourceFieldRef`, 'must be a mapping with containerName, resource, divisor']]],
    [{ configMapKeyRef: { name: 'c', key: 'k', namespace: 'n' } }, [[`${PATH}.configMapKeyRef.namespace`, 'unknown field; valid fields are name, key, optional']]],
  ])('refuses %j', (v, expected) => {
    expect(valueFrom(v)).toEqual(expected);
  });

  it.each([
    [{ key: 'k' }, [[`${PATH}.secretKeyRef.name`, 'is required']]],
    [{ name: 's' }, [[`${PATH}.secretKeyRef.key`, 'is required']]],
    [{ name: 5, key: 'k' }, [[`${PATH}.secretKeyRef.name`, 'must be a string']]],
    [{ name: a(254), key: 'k' }, [[`${PATH}.secretKeyRef.name`, OBJECT(a(254))]]], // shown whole, no cut at 80
    [{ name: 'My_Secret', key: 'k' }, [[`${PATH}.secretKeyRef.name`, OBJECT('My_Secret')]]],
    [{ name: '', key: 'k' }, [[`${PATH}.secretKeyRef.name`, OBJECT('')]]],
    [{ name: 's', key: a(254) }, [[`${PATH}.secretKeyRef.key`, KEY(a(254))]]],
    [{ name: 's', key: '' }, [[`${PATH}.secretKeyRef.key`, KEY('')]]],
    [{ name: 's', key: '.' }, [[`${PATH}.secretKeyRef.key`, KEY('.')]]],
    [{ name: 's', key: '..' }, [[`${PATH}.secretKeyRef.key`, KEY('..')]]],
    [{ name: 's', key: '..a' }, [[`${PATH}.secretKeyRef.key`, KEY('..a')]]],
    [{ name: 's', key: 'a/b' }, [[`${PATH}.secretKeyRef.key`, KEY('a/b')]]],
    [{ name: 's', key: [] }, [[`${PATH}.secretKeyRef.key`, 'must be a string']]],
    [{ name: 's', key: 'k', optional: 'yes' }, [[`${PATH}.secretKeyRef.optional`, 'must be true or false']]],
    [[], [[`${PATH}.secretKeyRef`, 'must be a mapping with name, key, optional']]],
  ])('secretKeyRef %j', (ref, expected) => {
    expect(secret(ref)).toEqual(expected);
  });
});

describe('checkResourceAmounts', () => {
  const amounts = (v: Record<string, Record<string, unknown>>) => found((r) => checkResourceAmounts(v, r));
  const NOT_NAME = (name: string) => `${JSON.stringify(name)} is not a resource name (cpu, memory, ephemeral-storage, hugepages-<size>, or <domain>/<name>)`;

  it.each([
    [{}],
    [{ requests: {}, limits: {} }],
    [{ requests: { cpu: '1', memory: '1Gi', 'ephemeral-storage': '0', 'hugepages-2Mi': '2Mi', 'example.com/gpu': '1' } }],
    [{ requests: { cpu: '1000m', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } }], // equal to the limit
    [{ requests: { cpu: '500m' }, limits: { memory: '1Gi' } }], // no limit to compare with
    [{ limits: { cpu: 0.5 } }],
  ])('accepts %j', (v) => {
    expect(amounts(v)).toEqual([]);
  });

  it.each([
    [{ requests: { gpu: '1' } }, [['.requests', NOT_NAME('gpu')]]],
    [{ limits: { cpus: '1', xcpu: '1', storage: '1Gi' } }, [['.limits', NOT_NAME('cpus')], ['.limits', NOT_NAME('xcpu')], ['.limits', NOT_NAME('storage')]]],
    [{ requests: { 'hugepages-': '1' } }, [['.requests', NOT_NAME('hugepages-')]]],
    [{ requests: { 'Example.com/gpu': '1', 'example.com/': '1' } }, [['.requests', NOT_NAME('Example.com/gpu')], ['.requests', NOT_NAME('example.com/')]]],
    [{ requests: { gpu: '-1' } }, [['.requests', NOT_NAME('gpu')]]], // a bad name: its amount is not looked at
    [{ requests: { cpu: '-1' } }, [['.requests.cpu', 'must not be negative']]],
    [{ limits: { memory: '-1Mi', cpu: -0.5 } }, [['.limits.memory', 'must not be negative'], ['.limits.cpu', 'must not be negative']]],
    [{ requests: { cpu: '2' }, limits: { cpu: '1500m' } }, [['.requests.cpu', '2 is more than its limit 1500m']]],
    [{ requests: { memory: '1025Mi' }, limits: { memory: '1Gi' } }, [['.requests.memory', '1025Mi is more than its limit 1Gi']]],
    [{ requests: { 'example.com/gpu': 2 }, limits: { 'example.com/gpu': 1 } }, [['.requests.example.com/gpu', '2 is more than its limit 1']]],
  ])('refuses %j', (v, expected) => {
    expect(amounts(v)).toEqual(expected);
  });
});
