// Where Quay is reached: SERVER_HOSTNAME from config.yaml, or the managed Route's host.
import type { ResolvedComponents } from '../api/components';
import { Problem, problem } from '../problems';
import type { ConfigBundle } from './bundle';

const HOST_PORT = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*(:[0-9]{1,5})?$/i;

export function stripPort(host: string): string {
  return host.replace(/:[0-9]+$/, '');
}

/** host[:port] with DNS limits: labels of at most 63 characters, 253 in all; a port from 1 to 65535. */
function isHostPort(value: unknown): value is string {
  if (typeof value !== 'string' || !HOST_PORT.test(value)) return false;
  const host = stripPort(value);
  const port = value.length > host.length ? Number(value.slice(host.length + 1)) : undefined;
  if (port !== undefined && (port < 1 || port > 65535)) return false;
  return host.length <= 253 && host.split('.').every((label) => label.length <= 63);
}

/** The host OpenShift's router gives Route `<name>-quay` in `<namespace>` (upstream's formula). */
export function routeHostname(name: string, namespace: string, appsDomain: string, suffix = 'quay'): string {
  return `${name}-${suffix}-${namespace}.${appsDomain}`;
}

export interface Hostnames {
  readonly server: string;
  /** BUILDMAN_HOSTNAME, when the user set one. */
  readonly buildManager?: string;
  /** true when SERVER_HOSTNAME came from config.yaml rather than the Route. */
  readonly fromConfig: boolean;
}

export function resolveHostnames(
  name: string,
  namespace: string,
  components: ResolvedComponents,
  bundle: ConfigBundle,
  appsDomain: string | undefined,
): { hostnames?: Hostnames; problems: Problem[] } {
  const problems: Problem[] = [];
  const configured = bundle.config.SERVER_HOSTNAME;
  const buildman = bundle.config.BUILDMAN_HOSTNAME;
  if (configured !== undefined && !isHostPort(configured)) {
    problems.push(problem('config.yaml', `SERVER_HOSTNAME ${JSON.stringify(configured)} is not a host name (optionally with :port)`));
  }
  // Unset, empty or without a value (`BUILDMAN_HOSTNAME:`, null): no build manager host.
  if (buildman !== undefined && buildman !== null && buildman !== '' && !isHostPort(buildman)) {
    problems.push(problem('config.yaml', `BUILDMAN_HOSTNAME ${JSON.stringify(buildman)} is not a host name (optionally with :port)`));
  }
  if (problems.length > 0) return { problems };
  const buildManager = typeof buildman === 'string' && buildman !== '' ? buildman : undefined;
  if (typeof configured === 'string') return { hostnames: { server: configured, buildManager, fromConfig: true }, problems };
  if (!components.route.managed) return { problems }; // reported by the component-config rules
  if (!appsDomain) {
    return {
      problems: [problem('config.yaml', 'SERVER_HOSTNAME is not set and the cluster apps domain is unknown: set SERVER_HOSTNAME in config.yaml, or pass --apps-domain')],
    };
  }
  const server = routeHostname(name, namespace, appsDomain);
  if (server.split('.')[0].length > 63) {
    return {
      problems: [problem('metadata.name', `the Route host label \`${server.split('.')[0]}\` is longer than 63 characters: shorten the registry or namespace name, or set SERVER_HOSTNAME`)],
    };
  }
  return { hostnames: { server, buildManager, fromConfig: false }, problems };
}
