// Repository mirroring workers (`<name>-quay-mirror`): the Quay image in `repomirror` mode, with
// Quay's config. Rendered by the chart only when mirror is managed.
import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-27/lib/imports/k8s';
import type { RegistryModel } from '../lib/model';
import { ComponentProps, SHARED_NAMES } from './shared/component';
import { metadataFor, nameFor, podTemplateMetadata, selectorLabels } from './shared/metadata';
import { applyPlacement, mergeEnv, preferSpreading, replicasFor, resourcesFor, restrictedSecurityContext } from './shared/pod';
import { quayAppName, quayPodSecurityContext, quayServiceAccountName } from './quay';
import { proxyEnv, quayConfigAnnotations, quayConfigEnv, quayConfigInitContainer, quayConfigVolumeMounts, quayConfigVolumes, quayServesTls } from './quay-volumes';

export const MIRROR_COMPONENT = SHARED_NAMES.mirror;

export function mirrorName(model: RegistryModel): string {
  return nameFor(model, SHARED_NAMES.mirror);
}

/**
 * Waits until Quay answers its health check, so the workers start on a migrated database rather
 * than crash-looping during an upgrade. Any answer but 200 (or none) is retried every 5 seconds.
 * Certificates are not verified: the Service name is not in the registry's certificate, and this
 * only asks whether Quay is up. No proxy: the Service is in the cluster.
 */
const WAIT_FOR_QUAY = `
import os, ssl, time, urllib.request
url = os.environ["QUAY_HEALTH_URL"]
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context))
while True:
    try:
        with opener.open(url, timeout=5) as response:
            if response.status == 200:
                print("Quay is ready", flush=True)
                break
            print("waiting for Quay: %s answered %d" % (url, response.status), flush=True)
    except Exception as error:
        print("waiting for Quay: %s: %s" % (url, error), flush=True)
    time.sleep(5)
`.trimStart();

/** Quay's health endpoint through its Service: HTTPS when Quay terminates TLS itself (its HTTP port then redirects). */
export function quayHealthUrl(model: RegistryModel): string {
  return quayServesTls(model) ? `https://${quayAppName(model)}:443/health/instance` : `http://${quayAppName(model)}:80/health/instance`;
}

export class Mirror extends Construct {
  constructor(scope: Construct, id: string, props: ComponentProps) {
    super(scope, id);
    const { model } = props;
    const overrides = model.components.mirror.overrides;
    const selector = selectorLabels(model, MIRROR_COMPONENT);
    const replicas = replicasFor(model, 'mirror');

    const deployment = new k8s.KubeDeployment(this, 'deployment', {
      metadata: metadataFor(model, mirrorName(model), { component: MIRROR_COMPONENT, overrides }),
      spec: {
        ...(replicas !== undefined ? { replicas } : {}),
        selector: { matchLabels: selector },
        // Never fewer workers than asked for during a rollout (upstream's Recreate lost them all, PROJQUAY-10873).
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(0), maxSurge: k8s.IntOrString.fromNumber(1) } },
        template: {
          metadata: podTemplateMetadata(selector, overrides, quayConfigAnnotations(model)),
          spec: {
            serviceAccountName: quayServiceAccountName(model),
            securityContext: quayPodSecurityContext(model, model.components.mirror.overrides?.securityContext),
            ...(overrides.affinity ? {} : { affinity: preferSpreading(selector) }),
            // Overrides (env, resources) apply to the workers only, not to this wait.
            initContainers: [
              quayConfigInitContainer(model),
              {
                name: 'quay-mirror-init',
                image: model.environment.images.quay,
                command: ['python', '-c', WAIT_FOR_QUAY],
                env: [{ name: 'QUAY_HEALTH_URL', value: quayHealthUrl(model) }],
                resources: { requests: { cpu: k8s.Quantity.fromString('10m'), memory: k8s.Quantity.fromString('32Mi') }, limits: { memory: k8s.Quantity.fromString('128Mi') } },
                securityContext: restrictedSecurityContext(),
              },
            ],
            containers: [
              {
                name: 'quay-mirror',
                image: model.environment.images.quay,
                command: ['/quay-registry/quay-entrypoint.sh'],
                args: ['repomirror-nomigrate'],
                env: mergeEnv(
                  [...quayConfigEnv(model), { name: 'DEBUGLOG', value: 'false' }, { name: 'ENSURE_NO_MIGRATION', value: 'true' }, ...proxyEnv(model)],
                  overrides.env,
                ),
                resources: resourcesFor({ requests: { cpu: '500m', memory: '512Mi' }, limits: { cpu: '1000m', memory: '2Gi' } }, overrides.resources),
                securityContext: restrictedSecurityContext(),
                volumeMounts: quayConfigVolumeMounts(),
              },
            ],
            volumes: quayConfigVolumes(model),
          },
        },
      },
    });
    applyPlacement(deployment, '/spec/template/spec', overrides);
  }
}
