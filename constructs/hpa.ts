// HorizontalPodAutoscalers for the Deployments that scale out: quay-app, clair-app and quay-mirror.
// While an HPA is rendered the Deployment leaves spec.replicas unset (replicasFor), so the two never
// fight over it.
import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-27/lib/imports/k8s';
import type { ComponentKind } from '../lib/api/types';
import type { RegistryModel } from '../lib/model';
import { ComponentProps, SHARED_NAMES, quayConfigReady } from './shared/component';
import { metadataFor, nameFor } from './shared/metadata';
import { autoscaled } from './shared/pod';

interface Target {
  readonly kind: ComponentKind;
  /** Deployment suffix; the HPA takes the Deployment's name. */
  readonly deployment: string;
  readonly maxReplicas: number;
}

const MIN_REPLICAS = 2;
const TARGET_UTILIZATION = 90;

const TARGETS: readonly Target[] = [
  { kind: 'quay', deployment: SHARED_NAMES.quayApp, maxReplicas: 20 },
  { kind: 'clair', deployment: SHARED_NAMES.clairApp, maxReplicas: 10 },
  { kind: 'mirror', deployment: SHARED_NAMES.mirror, maxReplicas: 20 },
];

/**
 * Whether the component's Deployment exists. quay-app and quay-mirror both run Quay with its config,
 * which waits for the bucket credentials; an HPA for a missing Deployment only logs FailedGetScale.
 */
function deploymentRendered(model: RegistryModel, kind: ComponentKind): boolean {
  return kind === 'clair' || quayConfigReady(model);
}

function utilization(resource: 'cpu' | 'memory'): k8s.MetricSpecV2 {
  return { type: 'Resource', resource: { name: resource, target: { type: 'Utilization', averageUtilization: TARGET_UTILIZATION } } };
}

export class HorizontalPodAutoscalers extends Construct {
  constructor(scope: Construct, id: string, props: ComponentProps) {
    super(scope, id);
    const { model } = props;
    const overrides = model.components.horizontalpodautoscaler.overrides;
    for (const target of TARGETS) {
      // Not for unmanaged components (the user owns that Deployment, upstream PROJQUAY-5086), nor
      // for one pinned at 0 replicas (an HPA would not keep it at 0).
      if (!autoscaled(model, target.kind) || !deploymentRendered(model, target.kind)) continue;
      const name = nameFor(model, target.deployment);
      new k8s.KubeHorizontalPodAutoscalerV2(this, target.deployment, {
        metadata: metadataFor(model, name, { component: 'horizontalpodautoscaler', overrides }),
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
          minReplicas: MIN_REPLICAS,
          maxReplicas: target.maxReplicas,
          metrics: [utilization('cpu'), utilization('memory')],
        },
      });
    }
  }
}
