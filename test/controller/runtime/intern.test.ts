// The informer caches' string sharing (lib/controller/runtime/intern.ts), read directly: the copy
// must read exactly as the object it replaces (same keys, values and prototypes, data kept as it
// came), since every reconcile reads the cache. Which strings end up shared is invisible to
// JavaScript (strings compare by value) and is measured by the bench's heap snapshot instead.
import { intern, internStrings } from '../../../lib/controller/runtime/intern';
import type { KubeObject } from '../../../lib/synth';

const sample = () =>
  JSON.parse(
    JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'r-quay-app', namespace: 'ns', uid: 'u-1', resourceVersion: '42', labels: { app: 'quay' }, annotations: { 'quay-operator/applied-hash': 'abc' }, generation: 3 },
      spec: { replicas: 2, paused: false, selector: null, template: { spec: { containers: [{ name: 'quay', image: 'quay.io/projectquay/quay:v3', args: ['a', 'b'], ports: [{ containerPort: 8080 }] }] } } },
      status: { conditions: [{ type: 'Available', status: 'True' }], observedGeneration: 3 },
    }),
  ) as KubeObject;

test('intern: the same text back, whatever its length', () => {
  expect(intern('quay-enterprise')).toBe('quay-enterprise');
  expect(intern('quay-enterprise')).toBe('quay-enterprise');
  expect(intern('')).toBe('');
  const long = 'x'.repeat(300);
  expect(intern(long)).toBe(long);
  // Many distinct strings (past the table's limit, which is then cleared): each still comes back as itself.
  const many = Array.from({ length: 100_010 }, (_, i) => `name-${i}`);
  expect(many.every((s) => intern(s) === s)).toBe(true);
  expect(intern('name-5')).toBe('name-5');
});

test('internStrings: a deep copy equal to the object, sharing no object or array with it', () => {
  const obj = sample();
  const copy = internStrings(obj) as any;
  expect(copy).toStrictEqual(obj);
  expect(JSON.stringify(copy)).toBe(JSON.stringify(obj));
  const o = obj as any;
  expect(copy).not.toBe(o);
  expect(copy.metadata).not.toBe(o.metadata);
  expect(copy.metadata.labels).not.toBe(o.metadata.labels);
  expect(copy.spec.template.spec.containers).not.toBe(o.spec.template.spec.containers);
  expect(copy.spec.template.spec.containers[0]).not.toBe(o.spec.template.spec.containers[0]);
  expect(copy.spec.template.spec.containers[0].args).not.toBe(o.spec.template.spec.containers[0].args);
  expect(copy.status.conditions[0]).not.toBe(o.status.conditions[0]);
});

test('data, binaryData and stringData are kept as they came (not walked); other objects are copied', () => {
  const data = { 'config.yaml': 'U0VSVkVSX0hPU1ROQU1FOiB4Cg==' };
  const binaryData = { 'ca.crt': 'AAEC' };
  const stringData = { key: 'value' };
  const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'ns' }, data, binaryData, stringData, type: 'Opaque' } as unknown as KubeObject;
  const copy = internStrings(secret) as any;
  expect(copy).toStrictEqual(secret);
  expect(copy.data).toBe(data);
  expect(copy.binaryData).toBe(binaryData);
  expect(copy.stringData).toBe(stringData);
  // A `data` key anywhere: its text copied like any other value, its object kept.
  const plain = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, spec: { data: 'text', items: [{ data: { a: '1' } }] } } as unknown as KubeObject;
  const plainCopy = internStrings(plain) as any;
  expect(plainCopy).toStrictEqual(plain);
  expect(plainCopy.spec.items[0].data).toBe((plain as any).spec.items[0].data);
});

test('a `__proto__` key (JSON allows one) stays data: an own, enumerable property, never the copy\'s prototype', () => {
  const registry = JSON.parse('{"apiVersion":"quay.redhat.com/v1","kind":"QuayRegistry","metadata":{"name":"r"},"spec":{"__proto__":{"configBundleSecret":"x"}}}') as KubeObject;
  const copy = internStrings(registry) as any;
  expect(Object.getPrototypeOf(copy.spec)).toBe(Object.prototype);
  expect(copy.spec.configBundleSecret).toBeUndefined();
  expect(Object.keys(copy.spec)).toEqual(['__proto__']);
  expect(Object.getOwnPropertyDescriptor(copy.spec, '__proto__')).toEqual({ value: { configBundleSecret: 'x' }, writable: true, enumerable: true, configurable: true });
  expect(JSON.stringify(copy)).toBe(JSON.stringify(registry));
});

test('null, numbers and booleans pass through; top-level arrays and strings too', () => {
  expect(internStrings({ a: null, b: 0, c: true, d: [1, null, 'x', [false]] } as unknown as KubeObject)).toStrictEqual({ a: null, b: 0, c: true, d: [1, null, 'x', [false]] });
  expect(internStrings(['a', { b: 'c' }] as unknown as KubeObject)).toStrictEqual(['a', { b: 'c' }]);
  expect(internStrings('text' as unknown as KubeObject)).toBe('text');
});
