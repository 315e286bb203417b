// The seeds' config editor (`<name>-quay-config-editor`): the Quay image in `config` mode, a web UI
// to validate and change the config bundle, behind basic auth as user `quayconfig`. The password
// is the managed key CONFIG_EDITOR_PW, so it is generated once and survives reconfiguration.
// Rendered with Quay; its Route is the route component's.
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-27';
import type { RegistryModel } from '../lib/model';
import { ComponentProps, SHARED_NAMES } from './shared/component';
import { metadataFor, nameFor, podTemplateMetadata, selectorLabels } from './shared/metadata';
import { applyPlacement, resourcesFor, restrictedSecurityContext } from './shared/pod';
import { quayPodSecurityContext, quayServiceAccountName } from './quay';
import { quayConfigAnnotations, quayConfigEnv, quayConfigInitContainer, quayConfigVolumeMounts, quayConfigVolumes } from './quay-volumes';

export const CONFIG_EDITOR_COMPONENT = SHARED_NAMES.configEditor;
export const CONFIG_EDITOR_USERNAME = 'quayconfig';
/** The config editor Service's port name (80 → 8080), for its Route. */
export const CONFIG_EDITOR_PORT_NAME = 'http';

/** The config editor's Deployment and Service name. */
export function configEditorName(model: RegistryModel): string {
  return nameFor(model, SHARED_NAMES.configEditor);
}

/**
 * `<name>-quay-config-editor-credentials` (username and password), reported in
 * status.configEditorCredentialsSecret. Rendered by `Credentials`: a stable name, since the render
 * does not know the password (upstream hashed its content into the name).
 */
export function configEditorCredentialsName(registry: string): string {
  return `${registry}-quay-config-editor-credentials`;
}

export function configEditorCredentialsSecretName(model: RegistryModel): string {
  return configEditorCredentialsName(model.name);
}

export class ConfigEditor extends Construct {
  constructor(scope: Construct, id: string, props: ComponentProps) {
    super(scope, id);
    const { model } = props;
    // The editor is part of Quay: it follows the quay component's metadata and placement overrides,
    // but not its env or resources (they size and tune the registry, not this UI).
    const overrides = model.components.quay.overrides;
    const name = configEditorName(model);
    const selector = selectorLabels(model, CONFIG_EDITOR_COMPONENT);
    const meta = (objectName: string) => metadataFor(model, objectName, { component: CONFIG_EDITOR_COMPONENT, overrides });
    const secretName = configEditorCredentialsSecretName(model);

    new k8s.KubeService(this, 'service', {
      metadata: meta(name),
      spec: {
        type: 'ClusterIP',
        selector,
        ports: [{ name: CONFIG_EDITOR_PORT_NAME, protocol: 'TCP', port: 80, targetPort: k8s.IntOrString.fromNumber(8080) }],
      },
    });

    const deployment = new k8s.KubeDeployment(this, 'deployment', {
      metadata: meta(name),
      spec: {
        replicas: 1,
        selector: { matchLabels: selector },
        // Recreate: with RollingUpdate the editor did not restart on a config change (upstream issue #33).
        strategy: { type: 'Recreate' },
        template: {
          metadata: podTemplateMetadata(selector, overrides, quayConfigAnnotations(model)),
          spec: {
            serviceAccountName: quayServiceAccountName(model),
            securityContext: quayPodSecurityContext(model),
            initContainers: [quayConfigInitContainer(model)],
            containers: [
              {
                name: 'quay-config-editor',
                image: model.environment.images.quay,
                // The entrypoint reads the password from CONFIG_APP_PASSWORD, so it is not on the command line.
                args: ['config'],
                env: [{ name: 'CONFIG_APP_PASSWORD', valueFrom: { secretKeyRef: { name: secretName, key: 'password' } } }, ...quayConfigEnv(model)],
                ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
                readinessProbe: { httpGet: { path: '/', port: k8s.IntOrString.fromNumber(8080), scheme: 'HTTP' }, periodSeconds: 10, timeoutSeconds: 5 },
                resources: resourcesFor({ requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } }, undefined),
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
