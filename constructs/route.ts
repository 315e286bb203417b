// OpenShift Routes: the registry's external endpoint, the build manager's gRPC endpoint and the
// config editor (when there is one). They are rendered whenever route is managed, even before Quay's config is
// ready (quayConfigReady): they point at Services, which exist from the first pass; a Route without
// ready endpoints only answers 503, and admitting the host early lets status report the endpoint.
import { Construct } from 'constructs';
import {
  Route,
  RouteSpecTls,
  RouteSpecTlsInsecureEdgeTerminationPolicy,
  RouteSpecTlsTermination,
  RouteSpecToKind,
} from '../imports/route.openshift.io';
import { stripPort } from '../lib/bundle/hostname';
import type { RegistryModel } from '../lib/model';
import { configEditorRendered } from './config-editor';
import { ComponentProps, SHARED_NAMES } from './shared/component';
import { metadataFor, nameFor } from './shared/metadata';

/** Large image pushes hold a connection open for long; upstream raised it 5m → 10m → 30m. */
const ROUTER_TIMEOUT = { 'haproxy.router.openshift.io/timeout': '30m' };

/**
 * With the user's certificate (tls unmanaged) Quay terminates TLS itself and the router passes the
 * connection through; otherwise the router terminates with the cluster's wildcard certificate.
 */
export function passthroughTls(model: RegistryModel): boolean {
  return !model.components.tls.managed && model.certificate !== undefined;
}

export class Routes extends Construct {
  constructor(scope: Construct, id: string, props: ComponentProps) {
    super(scope, id);
    const { model } = props;
    const overrides = model.components.route.overrides;
    const passthrough = passthroughTls(model);
    const tls: RouteSpecTls = {
      termination: passthrough ? RouteSpecTlsTermination.PASSTHROUGH : RouteSpecTlsTermination.EDGE,
      insecureEdgeTerminationPolicy: RouteSpecTlsInsecureEdgeTerminationPolicy.REDIRECT,
    };
    const quayApp = { kind: RouteSpecToKind.SERVICE, name: nameFor(model, SHARED_NAMES.quayApp) };
    // The user's annotations win, so an override can lengthen the timeout further.
    const annotations = { ...ROUTER_TIMEOUT, ...overrides.annotations };
    const meta = (suffix: string, component: string) => metadataFor(model, nameFor(model, suffix), { component, overrides, annotations });

    new Route(this, 'quay', {
      metadata: meta('quay', 'quay-app-route'),
      spec: {
        host: stripPort(model.hostnames.server),
        to: quayApp,
        // Passthrough reaches Quay's own TLS listener (Service port https → 8443).
        port: { targetPort: passthrough ? 'https' : 'http' },
        tls,
      },
    });

    // Without BUILDMAN_HOSTNAME the host is left out: the Route schema rejects an empty host, and the
    // router then assigns `<route>-<namespace>.<apps domain>`.
    const buildManager = model.hostnames.buildManager;
    new Route(this, 'builder', {
      metadata: meta('quay-builder', 'quay-builder-route'),
      spec: {
        ...(buildManager ? { host: stripPort(buildManager) } : {}),
        to: quayApp,
        port: { targetPort: 'grpc' },
        tls,
      },
    });

    // The config editor serves plain HTTP (Service port `http`, 80 → 8080) whatever the registry's
    // TLS is, so the router always terminates; the host is the router's default.
    if (configEditorRendered(model)) new Route(this, 'config-editor', {
      metadata: meta(SHARED_NAMES.configEditor, 'quay-config-editor-route'),
      spec: {
        to: { kind: RouteSpecToKind.SERVICE, name: nameFor(model, SHARED_NAMES.configEditor) },
        port: { targetPort: 'http' },
        tls: { termination: RouteSpecTlsTermination.EDGE, insecureEdgeTerminationPolicy: RouteSpecTlsInsecureEdgeTerminationPolicy.REDIRECT },
      },
    });
  }
}
