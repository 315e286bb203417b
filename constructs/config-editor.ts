// The seeds' config editor (`<name>-quay-config-editor`): Quay's config-tool, a web UI behind basic
// auth as user `quayconfig`, showing the user's config bundle with the field groups of managed
// components read-only. "Validate and commit" sends the bundle to the operator's /reconfigure
// endpoint (lib/controller/reconfigure.ts), which writes it to the config bundle Secret; the
// registry then rolls as for any bundle change.
//
// The image is its own (RELATED_IMAGE_COMPONENT_CONFIG_EDITOR): the config-tool left the Quay image
// after 3.9. The password is the managed key CONFIG_EDITOR_PW; the token the editor presents to the
// operator is derived from it (lib/keys.ts reconfigureToken). Both come from
// `<name>-quay-config-editor-credentials`: the render holds neither.
import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-27/lib/imports/k8s';
import { managedFieldGroups } from '../lib/config/quay-config';
import { CONFIG_EDITOR_USERNAME, EDITOR_CREDENTIAL_KEYS, configEditorCredentialsName, defaultOperatorEndpoint } from '../lib/editor';
import type { RegistryModel } from '../lib/model';
import { ComponentProps, SHARED_NAMES } from './shared/component';
import { metadataFor, nameFor, podTemplateMetadata, selectorLabels } from './shared/metadata';
import { applyPlacement, resourcesFor, restrictedSecurityContext } from './shared/pod';
import { quayPodSecurityContext, quayServiceAccountName } from './quay';
import { bundleSecretName, proxyEnv } from './quay-volumes';

export const CONFIG_EDITOR_COMPONENT = SHARED_NAMES.configEditor;
/** The config editor Service's port name (80 → 8080), for its Route. */
export const CONFIG_EDITOR_PORT_NAME = 'http';
const EDITOR_PORT = 8080;

/** The config editor's Deployment and Service name. */
export function configEditorName(model: RegistryModel): string {
  return nameFor(model, SHARED_NAMES.configEditor);
}

export function configEditorCredentialsSecretName(model: RegistryModel): string {
  return configEditorCredentialsName(model.name);
}

/**
 * The editor edits the config bundle Secret and commits to it: without one (no
 * spec.configBundleSecret) there is nothing to show or to write, and the operator never writes the
 * registry's spec to name one, so no editor is rendered.
 */
export function configEditorRendered(model: RegistryModel): boolean {
  return bundleSecretName(model) !== undefined;
}

/**
 * Ready when the editor answers an authenticated GET of the bundle, as a user would: an httpGet
 * probe cannot send the password without putting it in the render, so the probe runs in the
 * container, where the password is in the environment.
 */
const READINESS_SCRIPT = [
  'import base64, os, urllib.request',
  `auth = base64.b64encode(("${CONFIG_EDITOR_USERNAME}:" + os.environ["CONFIG_APP_PASSWORD"]).encode()).decode()`,
  `urllib.request.urlopen(urllib.request.Request("http://127.0.0.1:${EDITOR_PORT}/api/v1/config", headers={"Authorization": "Basic " + auth}), timeout=4)`,
].join('\n');

/** The URL the config-tool posts commits to: its token in the userinfo, expanded by the kubelet from the Secret-backed variable. */
function operatorEndpointWithToken(model: RegistryModel): string {
  const url = new URL(model.environment.operatorEndpoint ?? defaultOperatorEndpoint());
  return `${url.protocol}//${CONFIG_EDITOR_USERNAME}:$(RECONFIGURE_TOKEN)@${url.host}`;
}

export class ConfigEditor extends Construct {
  constructor(scope: Construct, id: string, props: ComponentProps) {
    super(scope, id);
    const { model } = props;
    const bundle = bundleSecretName(model);
    if (!bundle) return;
    // The editor is part of Quay: it follows the quay component's metadata and placement overrides,
    // but not its env or resources (they size and tune the registry, not this UI).
    const overrides = model.components.quay.overrides;
    const name = configEditorName(model);
    const selector = selectorLabels(model, CONFIG_EDITOR_COMPONENT);
    const meta = (objectName: string) => metadataFor(model, objectName, { component: CONFIG_EDITOR_COMPONENT, overrides });
    const secretName = configEditorCredentialsSecretName(model);
    const fromSecret = (key: string) => ({ secretKeyRef: { name: secretName, key } });
    const fieldRef = (fieldPath: string) => ({ fieldRef: { apiVersion: 'v1', fieldPath } });

    new k8s.KubeService(this, 'service', {
      metadata: meta(name),
      spec: {
        type: 'ClusterIP',
        selector,
        ports: [{ name: CONFIG_EDITOR_PORT_NAME, protocol: 'TCP', port: 80, targetPort: k8s.IntOrString.fromNumber(EDITOR_PORT) }],
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
          metadata: podTemplateMetadata(selector, overrides),
          spec: {
            serviceAccountName: quayServiceAccountName(model),
            securityContext: quayPodSecurityContext(model, overrides?.securityContext),
            containers: [
              {
                name: 'quay-config-editor',
                image: model.environment.images.configEditor,
                args: ['config'],
                env: [
                  // The entrypoint reads the password from CONFIG_APP_PASSWORD, so it is not on the command line.
                  { name: 'CONFIG_APP_PASSWORD', valueFrom: fromSecret(EDITOR_CREDENTIAL_KEYS.password) },
                  { name: 'RECONFIGURE_TOKEN', valueFrom: fromSecret(EDITOR_CREDENTIAL_KEYS.reconfigureToken) },
                  { name: 'OPERATOR_ENDPOINT', value: operatorEndpointWithToken(model) },
                  // Fields the operator sets: shown, not editable (and not validated against the user's values).
                  { name: 'QUAY_CONFIG_READ_ONLY_FIELD_GROUPS', value: managedFieldGroups(model).join(',') },
                  // The config-tool names the registry it commits for from its pod's name and namespace.
                  { name: 'MY_POD_NAME', valueFrom: fieldRef('metadata.name') },
                  { name: 'MY_POD_NAMESPACE', valueFrom: fieldRef('metadata.namespace') },
                  ...proxyEnv(model),
                ],
                ports: [{ name: 'http', containerPort: EDITOR_PORT, protocol: 'TCP' }],
                readinessProbe: { exec: { command: ['python3', '-c', READINESS_SCRIPT] }, periodSeconds: 10, timeoutSeconds: 5 },
                resources: resourcesFor({ requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } }, undefined),
                securityContext: restrictedSecurityContext(),
                // The user's bundle as it is: what the editor shows, validates and commits back.
                volumeMounts: [{ name: 'config-bundle', mountPath: '/conf/stack', readOnly: true }],
              },
            ],
            volumes: [{ name: 'config-bundle', secret: { secretName: bundle } }],
          },
        },
      },
    });
    applyPlacement(deployment, '/spec/template/spec', overrides);
  }
}
