import { ResolvedComponents, platformCapabilities, resolveComponents } from '../../lib/api/components';
import { resolveHostnames, routeHostname, stripPort } from '../../lib/bundle/hostname';
import { Problem } from '../../lib/problems';
import { testBundle } from '../support/model';

const NAME = 'example-registry';
const NS = 'quay-enterprise';
const APPS = 'apps.example.com';
const ROUTE_HOST = 'example-registry-quay-quay-enterprise.apps.example.com';

function components(routeManaged: boolean): ResolvedComponents {
  return resolveComponents({ components: [{ kind: 'route', managed: routeManaged }] }, platformCapabilities('openshift'), false).components;
}

const invalid = (path: string, message: string): Problem => ({ path, message, reason: 'ConfigInvalid' });

describe('routeHostname and stripPort', () => {
  it('builds `<name>-quay-<ns>.<appsDomain>`', () => {
    expect(routeHostname(NAME, NS, APPS)).toBe(ROUTE_HOST);
    expect(routeHostname(NAME, NS, APPS, 'quay-builder')).toBe('example-registry-quay-builder-quay-enterprise.apps.example.com');
  });

  it('strips a :port', () => {
    expect(stripPort('quay.example.com:8443')).toBe('quay.example.com');
    expect(stripPort('quay.example.com')).toBe('quay.example.com');
  });
});

describe('resolveHostnames', () => {
  it('takes SERVER_HOSTNAME from config.yaml over the Route host', () => {
    const bundle = testBundle({ 'config.yaml': 'SERVER_HOSTNAME: registry.example.com\n' });
    expect(resolveHostnames(NAME, NS, components(true), bundle, APPS)).toEqual({
      hostnames: { server: 'registry.example.com', buildManager: undefined, fromConfig: true },
      problems: [],
    });
  });

  it('keeps a :port in SERVER_HOSTNAME', () => {
    const bundle = testBundle({ 'config.yaml': 'SERVER_HOSTNAME: registry.example.com:8443\n' });
    expect(resolveHostnames(NAME, NS, components(false), bundle, undefined).hostnames?.server).toBe('registry.example.com:8443');
  });

  it('uses SERVER_HOSTNAME from config.yaml without an apps domain', () => {
    const bundle = testBundle({ 'config.yaml': 'SERVER_HOSTNAME: registry.example.com\n' });
    expect(resolveHostnames(NAME, NS, components(true), bundle, undefined)).toEqual({
      hostnames: { server: 'registry.example.com', buildManager: undefined, fromConfig: true },
      problems: [],
    });
  });

  it('uses the Route host when SERVER_HOSTNAME is unset and the route is managed', () => {
    expect(resolveHostnames(NAME, NS, components(true), testBundle({}), APPS)).toEqual({
      hostnames: { server: ROUTE_HOST, buildManager: undefined, fromConfig: false },
      problems: [],
    });
  });

  it('asks for SERVER_HOSTNAME or --apps-domain when the apps domain is unknown', () => {
    expect(resolveHostnames(NAME, NS, components(true), testBundle({}), undefined)).toEqual({
      problems: [invalid('config.yaml', 'SERVER_HOSTNAME is not set and the cluster apps domain is unknown: set SERVER_HOSTNAME in config.yaml, or pass --apps-domain')],
    });
  });

  it('resolves nothing and reports nothing for an unmanaged route without SERVER_HOSTNAME (the component rules report it)', () => {
    expect(resolveHostnames(NAME, NS, components(false), testBundle({}), APPS)).toEqual({ problems: [] });
  });

  it('rejects a SERVER_HOSTNAME that is not a host name', () => {
    const bundle = testBundle({ 'config.yaml': 'SERVER_HOSTNAME: https://registry.example.com/\n' });
    expect(resolveHostnames(NAME, NS, components(true), bundle, APPS)).toEqual({
      problems: [invalid('config.yaml', 'SERVER_HOSTNAME "https://registry.example.com/" is not a host name (optionally with :port)')],
    });
  });

  it('rejects a SERVER_HOSTNAME that is not a string', () => {
    const bundle = testBundle({ 'config.yaml': 'SERVER_HOSTNAME: 8443\n' });
    expect(resolveHostnames(NAME, NS, components(true), bundle, APPS)).toEqual({
      problems: [invalid('config.yaml', 'SERVER_HOSTNAME 8443 is not a host name (optionally with :port)')],
    });
  });

  it('rejects an empty SERVER_HOSTNAME', () => {
    const bundle = testBundle({ 'config.yaml': "SERVER_HOSTNAME: ''\n" });
    expect(resolveHostnames(NAME, NS, components(true), bundle, APPS)).toEqual({
      problems: [invalid('config.yaml', 'SERVER_HOSTNAME "" is not a host name (optionally with :port)')],
    });
  });

  it('rejects a SERVER_HOSTNAME with a label longer than 63 characters', () => {
    const host = `${'q'.repeat(64)}.example.com`;
    const bundle = testBundle({ 'config.yaml': `SERVER_HOSTNAME: ${host}\n` });
    expect(resolveHostnames(NAME, NS, components(true), bundle, APPS)).toEqual({
      problems: [invalid('config.yaml', `SERVER_HOSTNAME "${host}" is not a host name (optionally with :port)`)],
    });
  });

  it('accepts a SERVER_HOSTNAME with a label of exactly 63 characters', () => {
    const host = `${'q'.repeat(63)}.example.com`;
    const bundle = testBundle({ 'config.yaml': `SERVER_HOSTNAME: ${host}\n` });
    expect(resolveHostnames(NAME, NS, components(true), bundle, APPS)).toEqual({ hostnames: { server: host, buildManager: undefined, fromConfig: true }, problems: [] });
  });

  // 253 characters is DNS's limit for a whole name (RFC 1035's 255 octets on the wire); a :port is not part of it.
  it('accepts a SERVER_HOSTNAME of exactly 253 characters, with or without a :port', () => {
    const host = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    expect(host.length).toBe(253);
    for (const server of [host, `${host}:8443`]) {
      const bundle = testBundle({ 'config.yaml': `SERVER_HOSTNAME: ${server}\n` });
      expect(resolveHostnames(NAME, NS, components(true), bundle, APPS)).toEqual({ hostnames: { server, buildManager: undefined, fromConfig: true }, problems: [] });
    }
  });

  it('rejects a SERVER_HOSTNAME of 254 characters, and a BUILDMAN_HOSTNAME as long', () => {
    const host = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`;
    expect(host.length).toBe(254);
    const bundle = testBundle({ 'config.yaml': `SERVER_HOSTNAME: ${host}\nBUILDMAN_HOSTNAME: ${host}:443\n` });
    expect(resolveHostnames(NAME, NS, components(true), bundle, APPS)).toEqual({
      problems: [
        invalid('config.yaml', `SERVER_HOSTNAME "${host}" is not a host name (optionally with :port)`),
        invalid('config.yaml', `BUILDMAN_HOSTNAME "${host}:443" is not a host name (optionally with :port)`),
      ],
    });
  });

  it('rejects a port outside 1-65535, accepts both ends', () => {
    for (const server of ['quay.example.com:0', 'quay.example.com:65536', 'quay.example.com:99999']) {
      const bundle = testBundle({ 'config.yaml': `SERVER_HOSTNAME: ${server}\nBUILDMAN_HOSTNAME: ${server}\n` });
      expect(resolveHostnames(NAME, NS, components(true), bundle, APPS)).toEqual({
        problems: [
          invalid('config.yaml', `SERVER_HOSTNAME "${server}" is not a host name (optionally with :port)`),
          invalid('config.yaml', `BUILDMAN_HOSTNAME "${server}" is not a host name (optionally with :port)`),
        ],
      });
    }
    for (const server of ['quay.example.com:1', 'quay.example.com:65535']) {
      const bundle = testBundle({ 'config.yaml': `SERVER_HOSTNAME: ${server}\n` });
      expect(resolveHostnames(NAME, NS, components(true), bundle, APPS)).toEqual({ hostnames: { server, buildManager: undefined, fromConfig: true }, problems: [] });
    }
  });

  it('takes BUILDMAN_HOSTNAME without a value (null) as unset, as an empty one', () => {
    const bundle = testBundle({ 'config.yaml': 'BUILDMAN_HOSTNAME:\n' });
    expect(resolveHostnames(NAME, NS, components(true), bundle, APPS)).toEqual({ hostnames: { server: ROUTE_HOST, buildManager: undefined, fromConfig: false }, problems: [] });
  });

  it('keeps BUILDMAN_HOSTNAME', () => {
    const bundle = testBundle({ 'config.yaml': 'BUILDMAN_HOSTNAME: builder.example.com:443\n' });
    expect(resolveHostnames(NAME, NS, components(true), bundle, APPS)).toEqual({
      hostnames: { server: ROUTE_HOST, buildManager: 'builder.example.com:443', fromConfig: false },
      problems: [],
    });
  });

  it('treats an empty BUILDMAN_HOSTNAME as unset', () => {
    const bundle = testBundle({ 'config.yaml': "BUILDMAN_HOSTNAME: ''\n" });
    expect(resolveHostnames(NAME, NS, components(true), bundle, APPS)).toEqual({
      hostnames: { server: ROUTE_HOST, buildManager: undefined, fromConfig: false },
      problems: [],
    });
  });

  it('rejects a BUILDMAN_HOSTNAME that is not a host name', () => {
    const bundle = testBundle({ 'config.yaml': 'SERVER_HOSTNAME: registry.example.com\nBUILDMAN_HOSTNAME: grpc://builder\n' });
    expect(resolveHostnames(NAME, NS, components(true), bundle, APPS)).toEqual({
      problems: [invalid('config.yaml', 'BUILDMAN_HOSTNAME "grpc://builder" is not a host name (optionally with :port)')],
    });
  });

  it('rejects a Route host whose first label is longer than 63 characters', () => {
    const name = 'r'.repeat(30);
    const ns = 'n'.repeat(30);
    const label = `${name}-quay-${ns}`;
    expect(label.length).toBe(66);
    expect(resolveHostnames(name, ns, components(true), testBundle({}), APPS)).toEqual({
      problems: [
        invalid('metadata.name', `the Route host label \`${label}\` is longer than 63 characters: shorten the registry or namespace name, or set SERVER_HOSTNAME`),
      ],
    });
  });

  it('accepts a Route host whose first label is exactly 63 characters', () => {
    const name = 'r'.repeat(28);
    const ns = 'n'.repeat(29);
    expect(`${name}-quay-${ns}`.length).toBe(63);
    expect(resolveHostnames(name, ns, components(true), testBundle({}), APPS).problems).toEqual([]);
  });
});
