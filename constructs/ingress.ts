// Exposure on Kubernetes without Routes (spec.exposure type Ingress): Ingresses for Quay, the build
// manager (when BUILDMAN_HOSTNAME is set) and the config editor (when the apps domain is known),
// and with a cert-manager issuer a Certificate for their hosts.
import * as k8s from 'cdk8s-plus-27/lib/imports/k8s';
import { Construct } from 'constructs';
import { Certificate } from '../imports/cert-manager.io';
import { routeHostname, stripPort } from '../lib/bundle/hostname';
import type { RegistryModel } from '../lib/model';
import { configEditorRendered } from './config-editor';
import { ComponentProps, SHARED_NAMES } from './shared/component';
import { metadataFor, nameFor } from './shared/metadata';

/**
 * ingress-nginx's defaults refuse image layers over 1 MiB and close pushes after 60 s; other
 * controllers ignore these annotations. The same reason as the Route's 30-minute timeout.
 */
const NGINX_DEFAULTS = {
  'nginx.ingress.kubernetes.io/proxy-body-size': '0',
  'nginx.ingress.kubernetes.io/proxy-read-timeout': '1800',
  'nginx.ingress.kubernetes.io/proxy-send-timeout': '1800',
};
const BACKEND_PROTOCOL = 'nginx.ingress.kubernetes.io/backend-protocol';

/** The Secret cert-manager writes the issued certificate into (not owned by the operator: never pruned). */
export function ingressCertificateSecret(model: RegistryModel): string {
  return nameFor(model, 'quay-ingress-tls');
}

/** The config editor's host outside OpenShift: the router's formula, when the apps domain is known. */
export function editorHostname(model: RegistryModel): string | undefined {
  const domain = model.environment.appsDomain;
  return configEditorRendered(model) && domain ? routeHostname(model.name, model.namespace, domain, SHARED_NAMES.configEditor) : undefined;
}

export class Ingresses extends Construct {
  constructor(scope: Construct, id: string, props: ComponentProps) {
    super(scope, id);
    const { model } = props;
    const settings = model.exposure?.settings ?? {};
    const overrides = model.components.route.overrides;
    const quayTls = model.certificate !== undefined; // Quay serves spec.tlsSecret's certificate: re-encrypt to it
    const issued = model.components.tls.managed && settings.issuer !== undefined;
    const server = stripPort(model.hostnames.server);
    const builder = model.hostnames.buildManager ? stripPort(model.hostnames.buildManager) : undefined;
    const editor = editorHostname(model);

    // Which certificate the Ingress serves: yours (spec.tlsSecret), cert-manager's, or the
    // controller's default (tls managed, no issuer: as the Route serves the cluster's wildcard).
    const secretName = quayTls ? model.certificate!.secret : issued ? ingressCertificateSecret(model) : undefined;
    const tls = (host: string, secret: string | undefined): k8s.IngressTls[] => [{ hosts: [host], ...(secret ? { secretName: secret } : {}) }];

    const ingress = (id: string, suffix: string, component: string, host: string, service: string, port: string, extra: Record<string, string>, secret = secretName) =>
      new k8s.KubeIngress(this, id, {
        metadata: metadataFor(model, nameFor(model, suffix), { component, overrides, annotations: { ...NGINX_DEFAULTS, ...extra, ...overrides.annotations } }),
        spec: {
          ...(settings.ingressClassName ? { ingressClassName: settings.ingressClassName } : {}),
          tls: tls(host, secret),
          rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: service, port: { name: port } } } }] } }],
        },
      });

    const quayApp = nameFor(model, SHARED_NAMES.quayApp);
    ingress('quay', 'quay', 'quay-app-route', server, quayApp, quayTls ? 'https' : 'http', quayTls ? { [BACKEND_PROTOCOL]: 'HTTPS' } : {});
    if (builder) ingress('builder', 'quay-builder', 'quay-builder-route', builder, quayApp, 'grpc', { [BACKEND_PROTOCOL]: quayTls ? 'GRPCS' : 'GRPC' });
    // The editor serves plain HTTP; a certificate for its host only when cert-manager issues one.
    if (editor) ingress('config-editor', SHARED_NAMES.configEditor, 'quay-config-editor-route', editor, nameFor(model, SHARED_NAMES.configEditor), 'http', {}, issued ? secretName : '');

    if (issued) {
      const issuer = settings.issuer!;
      new Certificate(this, 'certificate', {
        metadata: metadataFor(model, ingressCertificateSecret(model), { component: 'quay-app-route', overrides }),
        spec: {
          secretName: ingressCertificateSecret(model),
          dnsNames: [server, builder, editor].filter((h): h is string => h !== undefined),
          issuerRef: { name: issuer.name, kind: issuer.kind ?? 'Issuer', group: 'cert-manager.io' },
        },
      });
    }
  }
}
