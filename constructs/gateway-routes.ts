// Exposure through the Gateway API (spec.exposure type Gateway): an HTTPRoute when the Gateway's
// listener terminates TLS (tls managed, or your load balancer in front), a TLSRoute passing TLS
// through to Quay when it serves your certificate, as the OpenShift Route does with passthrough.
import { Construct } from 'constructs';
import { HttpRoute, HttpRouteSpecRulesMatchesPathType } from '../imports/httproute-gateway.networking.k8s.io';
import { TlsRoute } from '../imports/tlsroute-gateway.networking.k8s.io';
import { stripPort } from '../lib/bundle/hostname';
import { editorHostname } from './ingress';
import { ComponentProps, SHARED_NAMES } from './shared/component';
import { metadataFor, nameFor } from './shared/metadata';

/** Quay's Service ports (constructs/quay.ts): the Gateway routes name backends by port number. */
const PORTS = { http: 80, https: 443, grpc: 55443 } as const;

// parentRefs and rules are atomic lists: the API server's defaults inside them must be rendered, or
// every re-apply differs from the live object and writes (kubernetes/kubernetes#121404).
const backend = (name: string, port: number) => ({ group: '', kind: 'Service', name, port, weight: 1 });
const EVERY_PATH = [{ path: { type: HttpRouteSpecRulesMatchesPathType.PATH_PREFIX, value: '/' } }];

export class GatewayRoutes extends Construct {
  constructor(scope: Construct, id: string, props: ComponentProps) {
    super(scope, id);
    const { model } = props;
    const gateway = model.exposure!.settings.gateway!;
    const overrides = model.components.route.overrides;
    const parentRefs = [
      {
        group: 'gateway.networking.k8s.io',
        kind: 'Gateway',
        name: gateway.name,
        ...(gateway.namespace ? { namespace: gateway.namespace } : {}),
        ...(gateway.sectionName ? { sectionName: gateway.sectionName } : {}),
      },
    ];
    const meta = (suffix: string, component: string) => metadataFor(model, nameFor(model, suffix), { component, overrides });
    const quayApp = nameFor(model, SHARED_NAMES.quayApp);
    const server = stripPort(model.hostnames.server);

    if (model.certificate) {
      new TlsRoute(this, 'quay', {
        metadata: meta('quay', 'quay-app-route'),
        spec: { parentRefs, hostnames: [server], rules: [{ backendRefs: [backend(quayApp, PORTS.https)] }] },
      });
      // The build manager's gRPC endpoint is TLS too when Quay serves the certificate.
      if (model.hostnames.buildManager) {
        new TlsRoute(this, 'builder', {
          metadata: meta('quay-builder', 'quay-builder-route'),
          spec: { parentRefs, hostnames: [stripPort(model.hostnames.buildManager)], rules: [{ backendRefs: [backend(quayApp, PORTS.grpc)] }] },
        });
      }
    } else {
      // No builder route here: gRPC through a terminating listener needs GRPCRoute, which
      // ../shared/crds does not carry; builders then reach Quay through BUILDMAN_HOSTNAME themselves.
      new HttpRoute(this, 'quay', {
        metadata: meta('quay', 'quay-app-route'),
        spec: { parentRefs, hostnames: [server], rules: [{ matches: EVERY_PATH, backendRefs: [backend(quayApp, PORTS.http)] }] },
      });
    }

    // The editor serves plain HTTP: an HTTPRoute, when its host is known and the listener terminates
    // TLS (a passthrough listener cannot carry it).
    const editor = editorHostname(model);
    if (editor && !model.certificate) {
      new HttpRoute(this, 'config-editor', {
        metadata: meta(SHARED_NAMES.configEditor, 'quay-config-editor-route'),
        spec: { parentRefs, hostnames: [editor], rules: [{ matches: EVERY_PATH, backendRefs: [backend(nameFor(model, SHARED_NAMES.configEditor), 80)] }] },
      });
    }
  }
}
