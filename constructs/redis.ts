// Redis for Quay's build logs and user events: one in-memory instance (sclorg redis 7).
import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-27/lib/imports/k8s';
import { ComponentProps, SHARED_NAMES } from './shared/component';
import { metadataFor, nameFor, podTemplateMetadata, selectorLabels } from './shared/metadata';
import { applyPlacement, mergeEnv, podSecurityContext, resourcesFor, restrictedSecurityContext } from './shared/pod';

export const REDIS_COMPONENT = 'redis';
export const REDIS_PORT = 6379;

export class Redis extends Construct {
  constructor(scope: Construct, id: string, props: ComponentProps) {
    super(scope, id);
    const { model } = props;
    const overrides = model.components.redis.overrides;
    const name = nameFor(model, SHARED_NAMES.redis);
    const meta = () => metadataFor(model, name, { component: REDIS_COMPONENT, overrides });
    const selector = selectorLabels(model, REDIS_COMPONENT);
    const port = k8s.IntOrString.fromNumber(REDIS_PORT);
    const env = mergeEnv([], overrides.env);

    new k8s.KubeServiceAccount(this, 'service-account', { metadata: meta() });

    new k8s.KubeService(this, 'service', {
      metadata: meta(),
      spec: { type: 'ClusterIP', selector, ports: [{ name: 'redis', protocol: 'TCP', port: REDIS_PORT, targetPort: port }] },
    });

    const deployment = new k8s.KubeDeployment(this, 'deployment', {
      metadata: meta(),
      spec: {
        replicas: 1,
        // A single instance: never two at once, which would split Quay's clients between them.
        strategy: { type: 'Recreate' },
        selector: { matchLabels: selector },
        template: {
          metadata: podTemplateMetadata(selector, overrides),
          spec: {
            serviceAccountName: name,
            automountServiceAccountToken: false,
            securityContext: podSecurityContext(model, { runAsUser: 1001 }, model.components.redis.overrides?.securityContext),
            containers: [
              {
                name: 'redis-master',
                image: model.environment.images.redis,
                imagePullPolicy: 'IfNotPresent',
                ports: [{ name: 'redis', containerPort: REDIS_PORT, protocol: 'TCP' }],
                ...(env.length > 0 ? { env } : {}),
                resources: resourcesFor({ requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '4000m', memory: '16Gi' } }, overrides.resources),
                // Upstream had no probes: Quay was sent to a Redis that did not accept connections.
                readinessProbe: { tcpSocket: { port }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
                livenessProbe: { tcpSocket: { port }, initialDelaySeconds: 15, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 3 },
                securityContext: restrictedSecurityContext(),
              },
            ],
          },
        },
      },
    });
    applyPlacement(deployment, '/spec/template/spec', overrides);
  }
}
