// recordEvent (lib/controller/events.ts) against a stub client: the exact Event an admin sees on the
// QuayRegistry (`kubectl describe`), its unique name and its capped message. The controller tests
// only see Events through the fake API server; here the object written is checked whole.
import { recordEvent } from '../../lib/controller/events';
import type { KubeClient } from '../../lib/controller/kube-client';
import type { ResourceType } from '../../lib/controller/resources';
import type { KubeObject } from '../../lib/synth';

type Obj = Record<string, any>;
const registry = { apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: 'r', namespace: 'ns', uid: 'u-1' } } as KubeObject;
const NOW = new Date('2026-12-01T12:00:00Z');

function client() {
  const created: { type: ResourceType; obj: Obj }[] = [];
  const c = {
    create: async (type: ResourceType, obj: Obj) => {
      created.push({ type, obj });
      return obj;
    },
  } as unknown as KubeClient;
  return { c, created };
}

test('a core/v1 Event naming the registry, from quay-operator, at `now`', async () => {
  const { c, created } = client();
  await recordEvent(c, registry, { type: 'Warning', reason: 'RolloutBlocked', message: 'blocked' }, NOW);
  expect(created.map((x) => x.type.kind)).toEqual(['Event']);
  expect(created[0].obj).toEqual({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: expect.stringMatching(/^r\.[0-9a-f]{16}$/), namespace: 'ns' },
    involvedObject: { apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', name: 'r', namespace: 'ns', uid: 'u-1' },
    type: 'Warning',
    reason: 'RolloutBlocked',
    message: 'blocked',
    source: { component: 'quay-operator' },
    reportingComponent: 'quay-operator',
    firstTimestamp: '2026-12-01T12:00:00.000Z',
    lastTimestamp: '2026-12-01T12:00:00.000Z',
    count: 1,
  });
});

test('each Event gets a name of its own (two in one second do not collide)', async () => {
  const { c, created } = client();
  await recordEvent(c, registry, { type: 'Normal', reason: 'A', message: 'a' }, NOW);
  await recordEvent(c, registry, { type: 'Normal', reason: 'A', message: 'a' }, NOW);
  expect(created[0].obj.metadata.name).not.toBe(created[1].obj.metadata.name);
});

test('a long message is cut to 1024 characters (the API server refuses longer ones)', async () => {
  const { c, created } = client();
  await recordEvent(c, registry, { type: 'Normal', reason: 'Long', message: 'x'.repeat(1024) + 'y'.repeat(100) }, NOW);
  expect(created[0].obj.message).toBe('x'.repeat(1024));
});

test('a refused create is the caller\'s to handle', async () => {
  const c = { create: async () => Promise.reject(new Error('forbidden')) } as unknown as KubeClient;
  await expect(recordEvent(c, registry, { type: 'Normal', reason: 'A', message: 'a' }, NOW)).rejects.toThrow('forbidden');
});
