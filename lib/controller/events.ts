// Kubernetes Events on the QuayRegistry: what the operator did, and why a rollout is blocked.
import { randomBytes } from 'node:crypto';
import type { KubeObject } from '../synth';
import { KubeClient } from './kube-client';
import { typeOf } from './resources';

export interface RegistryEvent {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

export async function recordEvent(client: KubeClient, registry: KubeObject, event: RegistryEvent, now: Date): Promise<void> {
  const time = now.toISOString();
  const name = `${registry.metadata.name}.${randomBytes(8).toString('hex')}`;
  await client.create(typeOf('Event'), {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: registry.metadata.namespace },
    involvedObject: {
      apiVersion: registry.apiVersion,
      kind: registry.kind,
      name: registry.metadata.name,
      namespace: registry.metadata.namespace,
      uid: registry.metadata.uid,
    },
    type: event.type,
    reason: event.reason,
    message: event.message.slice(0, 1024),
    source: { component: 'quay-operator' },
    reportingComponent: 'quay-operator',
    firstTimestamp: time,
    lastTimestamp: time,
    count: 1,
  });
}
