// The controller's wiring (lib/controller/controller.ts) against a stub client and a stub
// reconciler: which informers it starts and how (selectors, slimming), which events become which
// registry keys, how reconciles are queued, retried, logged and counted, what it tells the
// OperatorCondition, and how discovery, start and stop go. Time is Jest's fake timers (the queue's
// backoff, the informers' resync, the discovery interval). The controller tests run the real
// reconciler behind it against the fake API server.
import { Controller, ControllerOptions, slim } from '../../lib/controller/controller';
import type { KubeClient } from '../../lib/controller/kube-client';
import { OperatorConditionReporter } from '../../lib/controller/operator-condition';
import { postToQuay } from '../../lib/controller/quay-api';
import { serviceTarget } from '../../lib/controller/initial-user';
import type { ReconcilerDeps } from '../../lib/controller/reconciler';
import { Registry } from '../../lib/controller/runtime/metrics';
import { LABEL_REGISTRY } from '../../lib/api/types';
import { LABEL_REGISTRY_NAMESPACE } from '../../lib/names';
import { DEFAULT_IMAGES } from '../../lib/images';
import type { KubeObject } from '../../lib/synth';
import { Deferred, capturedLog, deferred, flush } from './runtime/helpers';

type Obj = Record<string, any>;

// The reconciler, stubbed: what each reconcile returns is up to the test.
const mockReconcile = jest.fn();
const mockDeps: ReconcilerDeps[] = [];
jest.mock('../../lib/controller/reconciler', () => ({
  Reconciler: class {
    constructor(deps: ReconcilerDeps) {
      mockDeps.push(deps);
    }
    reconcile(namespace: string, name: string) {
      return mockReconcile(namespace, name);
    }
  },
}));

/** Lets promise callbacks run: a reconcile awaits the lazy import, the client and the queue in turn. */
const settle = () => flush(10);

const ALL_APIS = ['route.openshift.io/v1', 'networking.k8s.io/v1', 'gateway.networking.k8s.io/v1', 'cert-manager.io/v1', 'objectbucket.io/v1alpha1', 'monitoring.coreos.com/v1', 'config.openshift.io/v1'];

interface ClientOptions {
  /** Group/versions served. */
  apis?: string[];
  /** The apps domain OpenShift's Ingress config gives. */
  domain?: string;
  /** Objects each list answers, by kind. */
  objects?: Record<string, KubeObject[]>;
  /** Lists of these kinds wait for the test. */
  hold?: string[];
}

function stubClient(options: ClientOptions = {}) {
  const lists: string[] = [];
  const watches = new Map<string, (type: string, obj: unknown) => void>();
  const held = new Map<string, Deferred<{ items: KubeObject[]; resourceVersion: string }>>();
  const state = { apis: options.apis ?? ALL_APIS, discoveries: 0, failDiscovery: undefined as Error | undefined };
  const client = {
    getPath: async (path: string) => {
      if (path === '/apis') {
        state.discoveries++;
        if (state.failDiscovery) throw state.failDiscovery;
        return { groups: state.apis.map((gv) => ({ versions: [{ groupVersion: gv }] })) };
      }
      if (path === '/apis/gateway.networking.k8s.io/v1') return { resources: [{ name: 'httproutes' }, { name: 'tlsroutes' }] };
      return { resources: [{ name: 'servicemonitors' }, { name: 'prometheusrules' }] };
    },
    get: async (t: { kind: string }) => (t.kind === 'Ingress' && options.domain ? { spec: { domain: options.domain } } : undefined),
    list: (t: { kind: string }, selector: Obj) => {
      lists.push(`${t.kind} ${JSON.stringify(selector)}`);
      const answer = { items: options.objects?.[t.kind] ?? [], resourceVersion: '1' };
      if (!options.hold?.includes(t.kind)) return Promise.resolve(answer);
      const d = deferred<{ items: KubeObject[]; resourceVersion: string }>();
      held.set(t.kind, d);
      return d.promise.then(() => answer);
    },
    // Watches never answer: events are sent through `send`.
    watch: (t: { kind: string }, _selector: Obj, onEvent: (type: string, obj: unknown) => void) => {
      watches.set(t.kind, onEvent);
      return new Promise(() => undefined);
    },
  } as unknown as KubeClient;
  return {
    client,
    lists,
    state,
    held,
    send: (kind: string, type: string, obj: KubeObject) => {
      const w = watches.get(kind);
      if (!w) throw new Error(`no watch of ${kind}`);
      w(type, obj);
    },
  };
}

const registry = (name: string, extra: Obj = {}, namespace = 'ns'): KubeObject =>
  ({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', ...extra, metadata: { name, namespace, resourceVersion: '1', generation: 1, ...(extra.metadata ?? {}) }, spec: extra.spec ?? {} }) as KubeObject;

function setup(clientOptions: ClientOptions = {}, options: Partial<ControllerOptions> = {}) {
  const stub = stubClient(clientOptions);
  const { logger, lines } = capturedLog();
  const metrics = new Registry();
  const controller = new Controller({ client: stub.client, environment: { images: DEFAULT_IMAGES, quayVersion: 'v3.17.3' }, logger, metrics, ...options });
  const added: string[] = [];
  const add = controller.queue.add.bind(controller.queue);
  controller.queue.add = (key: string) => {
    added.push(key);
    add(key);
  };
  return { ...stub, controller, lines, metrics, added, metric: (name: string) => metrics.render().split('\n').filter((l) => l.startsWith(name)) };
}

const controllers: Controller[] = [];
async function started(clientOptions: ClientOptions = {}, options: Partial<ControllerOptions> = {}) {
  const w = setup(clientOptions, options);
  controllers.push(w.controller);
  await w.controller.start();
  return w;
}

beforeEach(() => {
  jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
  mockReconcile.mockReset();
  mockReconcile.mockResolvedValue({ writes: 0 });
  mockDeps.length = 0;
});
afterEach(async () => {
  jest.restoreAllMocks();
  for (const c of controllers.splice(0)) await c.stop();
  jest.useRealTimers();
});

describe('slim: what an owned object keeps in the cache', () => {
  const meta = { name: 'x', namespace: 'ns' };
  test('a Deployment: its selector, replicas, images, claims and status; nothing of a template without containers or volumes', () => {
    const d = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta, spec: { replicas: 1, selector: { matchLabels: { a: 'b' } }, strategy: {}, template: { metadata: {}, spec: { containers: [{ name: 'c', image: 'i', args: ['x'] }], volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 'pvc', readOnly: true } }, { name: 'e', emptyDir: {} }] } } }, status: { replicas: 1 } } as unknown as KubeObject;
    expect(slim(d)).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta, spec: { replicas: 1, selector: { matchLabels: { a: 'b' } }, template: { spec: { containers: [{ name: 'c', image: 'i' }], volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 'pvc' } }] } } }, status: { replicas: 1 } });
    expect(slim({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta } as KubeObject)).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta, spec: { replicas: undefined, template: { spec: { containers: [], volumes: [] } } }, status: undefined });
  });

  test('a Job its status; a CronJob its suspend and status', () => {
    const status = { succeeded: 1 };
    expect(slim({ apiVersion: 'batch/v1', kind: 'Job', metadata: meta, spec: { template: {} }, status } as unknown as KubeObject)).toEqual({ apiVersion: 'batch/v1', kind: 'Job', metadata: meta, status });
    expect(slim({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: meta, spec: { suspend: true, schedule: '* * * * *' }, status } as unknown as KubeObject)).toEqual({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: meta, spec: { suspend: true }, status });
    expect(slim({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: meta } as KubeObject)).toEqual({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: meta, spec: { suspend: undefined }, status: undefined });
  });

  test('a claim its size and storage class; a bucket claim its phase', () => {
    const pvc = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: meta, spec: { storageClassName: 'fast', accessModes: ['x'], resources: { requests: { storage: '1Gi' } } }, status: { phase: 'Bound' } } as unknown as KubeObject;
    expect(slim(pvc)).toEqual({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: meta, spec: { resources: { requests: { storage: '1Gi' } }, storageClassName: 'fast' }, status: { phase: 'Bound' } });
    expect(slim({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: meta } as KubeObject)).toEqual({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: meta, spec: { resources: { requests: { storage: undefined } } }, status: undefined });
    // Bound to a volume made beforehand: no requests, or no resources at all.
    const none = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: meta, spec: { resources: { requests: { storage: undefined } } }, status: undefined };
    expect(slim({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: meta, spec: { resources: {} } } as unknown as KubeObject)).toEqual(none);
    expect(slim({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: meta, spec: { volumeName: 'pv' } } as unknown as KubeObject)).toEqual(none);
    const obc = { apiVersion: 'objectbucket.io/v1alpha1', kind: 'ObjectBucketClaim', metadata: meta, spec: { bucketName: 'b' }, status: { phase: 'Bound', other: 1 } } as unknown as KubeObject;
    expect(slim(obc)).toEqual({ apiVersion: 'objectbucket.io/v1alpha1', kind: 'ObjectBucketClaim', metadata: meta, status: { phase: 'Bound' } });
    expect(slim({ ...obc, status: undefined } as unknown as KubeObject)).toEqual({ apiVersion: 'objectbucket.io/v1alpha1', kind: 'ObjectBucketClaim', metadata: meta, status: { phase: undefined } });
  });

  test('the exposures their hosts and status', () => {
    const status = { loadBalancer: {} };
    expect(slim({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: meta, spec: { rules: [{ host: 'h', http: {} }] }, status } as unknown as KubeObject)).toEqual({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: meta, spec: { rules: [{ host: 'h' }] }, status });
    expect(slim({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: meta } as KubeObject)).toEqual({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: meta, spec: { rules: [] }, status: undefined });
    for (const kind of ['HTTPRoute', 'TLSRoute']) {
      expect(slim({ apiVersion: 'gateway.networking.k8s.io/v1', kind, metadata: meta, spec: { hostnames: ['h'], rules: [] }, status } as unknown as KubeObject)).toEqual({ apiVersion: 'gateway.networking.k8s.io/v1', kind, metadata: meta, spec: { hostnames: ['h'] }, status });
      expect(slim({ apiVersion: 'gateway.networking.k8s.io/v1', kind, metadata: meta } as KubeObject)).toEqual({ apiVersion: 'gateway.networking.k8s.io/v1', kind, metadata: meta, spec: { hostnames: undefined }, status: undefined });
    }
    expect(slim({ apiVersion: 'route.openshift.io/v1', kind: 'Route', metadata: meta } as KubeObject)).toEqual({ apiVersion: 'route.openshift.io/v1', kind: 'Route', metadata: meta, spec: { host: undefined }, status: undefined });
  });
});

describe('discovery and the environment', () => {
  test('before discovery there is no environment', () => {
    const w = setup();
    expect(() => w.controller.environment()).toThrow(new Error('cluster facts not discovered yet'));
  });

  test('the environment: the options, the discovered capabilities, and the cluster\'s apps domain over QUAY_APPS_DOMAIN', async () => {
    const w = setup({ domain: 'apps.cluster.example' }, { appsDomain: 'apps.option.example' });
    expect(await w.controller.discoveredEnvironment()).toEqual({
      images: DEFAULT_IMAGES,
      quayVersion: 'v3.17.3',
      capabilities: { routes: true, ingress: true, httpRoutes: true, tlsRoutes: true, certificates: true, objectBucketClaims: true, monitoring: true, allNamespaces: true, consoleDashboards: true },
      appsDomain: 'apps.cluster.example',
    });
    // Discovered once.
    await w.controller.discoveredEnvironment();
    expect(w.state.discoveries).toBe(1);
  });

  test('QUAY_APPS_DOMAIN where the cluster has none; neither: no apps domain', async () => {
    const w = setup({ apis: ['networking.k8s.io/v1'] }, { appsDomain: 'apps.option.example', namespace: 'ns' });
    const env = await w.controller.discoveredEnvironment();
    expect(env.appsDomain).toBe('apps.option.example');
    expect(env.capabilities).toEqual({ routes: false, ingress: true, httpRoutes: false, tlsRoutes: false, certificates: false, objectBucketClaims: false, monitoring: false, allNamespaces: false, consoleDashboards: false });
    const v = setup({ apis: [] });
    expect('appsDomain' in (await v.controller.discoveredEnvironment())).toBe(false);
  });
});

describe('start', () => {
  test('logs what was found; lists the registries first, then every served kind (Secrets and ConfigMaps all, the rest by label), not the on-demand ones', async () => {
    const w = await started({ apis: ['networking.k8s.io/v1', 'route.openshift.io/v1'] });
    expect(w.lines[0]).toEqual({ level: 'info', msg: 'cluster discovered', routes: true, ingress: true, httpRoutes: false, tlsRoutes: false, certificates: false, objectBucketClaims: false, monitoring: false, allNamespaces: true, consoleDashboards: false, appsDomain: null, namespace: '(all)' });
    const label = JSON.stringify({ labelSelector: LABEL_REGISTRY });
    expect(w.lists).toEqual([
      'QuayRegistry {}',
      'Secret {}',
      'ConfigMap {}',
      ...['Service', 'ServiceAccount', 'PersistentVolumeClaim', 'Deployment', 'Job', 'HorizontalPodAutoscaler', 'Role', 'RoleBinding', 'NetworkPolicy', 'Route'].map((k) => `${k} ${label}`),
    ]);
    expect(w.controller.isReady()).toBe(true);
  });

  test('one namespace: every list is of it; the log names it and the apps domain', async () => {
    const w = await started({ apis: [], domain: 'apps.x' }, { namespace: 'ns' });
    expect(w.lines[0]).toEqual(expect.objectContaining({ appsDomain: null, namespace: 'ns', ingress: false }));
    expect(w.lists.slice(0, 3)).toEqual(['QuayRegistry {"namespace":"ns"}', 'Secret {"namespace":"ns"}', 'ConfigMap {"namespace":"ns"}']);
    expect(w.lists[3]).toBe(`Service ${JSON.stringify({ namespace: 'ns', labelSelector: LABEL_REGISTRY })}`);
    // NetworkPolicies come with networking.k8s.io/v1 (ingress): not served here.
    expect(w.lists.some((l) => l.startsWith('NetworkPolicy'))).toBe(false);
    const v = await started({ apis: ['config.openshift.io/v1'], domain: 'apps.x' });
    expect(v.lines[0]).toEqual(expect.objectContaining({ appsDomain: 'apps.x', namespace: '(all)' }));
  });

  test('with registries: the on-demand kinds that already have objects of ours are watched from the start', async () => {
    const ingress = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'r', namespace: 'ns', labels: { [LABEL_REGISTRY]: 'r' } } } as KubeObject;
    const w = await started({ objects: { QuayRegistry: [registry('r')], Ingress: [ingress] } }, { namespace: 'ns' });
    const label = JSON.stringify({ namespace: 'ns', labelSelector: LABEL_REGISTRY });
    // Asked once each, then the Ingress informer's own list.
    expect(w.lists.filter((l) => /^(CronJob|Ingress|HTTPRoute|TLSRoute|Certificate) /.test(l))).toEqual([
      `CronJob ${label}`,
      `Ingress ${label}`,
      `HTTPRoute ${label}`,
      `TLSRoute ${label}`,
      `Certificate ${label}`,
      `Ingress ${label}`,
    ]);
    const v = await started({ objects: { QuayRegistry: [registry('r')] } });
    expect(v.lists.filter((l) => l.startsWith('CronJob'))).toEqual([`CronJob ${JSON.stringify({ labelSelector: LABEL_REGISTRY })}`]);
  });

  test('the on-demand kinds are not looked for on a first install (no registries), nor when not served', async () => {
    const w = await started();
    expect(w.lists.filter((l) => /^(CronJob|Ingress|HTTPRoute|TLSRoute|Certificate) /.test(l))).toEqual([]);
    const v = await started({ apis: [], objects: { QuayRegistry: [registry('r')] } });
    expect(v.lists.filter((l) => /^(CronJob|Ingress|HTTPRoute|TLSRoute|Certificate) /.test(l))).toEqual(['CronJob {"labelSelector":"quay-operator/quayregistry"}']);
  });

  test('not ready before it has started; the queue works only once started, with 4 reconciles at once by default', async () => {
    const regs = ['a', 'b', 'c', 'd', 'e', 'f'].map((n) => registry(n));
    const pending: Deferred<{ writes: number }>[] = [];
    mockReconcile.mockImplementation(() => {
      const d = deferred<{ writes: number }>();
      pending.push(d);
      return d.promise;
    });
    const w = setup({ objects: { QuayRegistry: regs } });
    controllers.push(w.controller);
    expect(w.controller.isReady()).toBe(false);
    await w.controller.start();
    await settle();
    expect(pending.length).toBe(4);
    const v = setup({ objects: { QuayRegistry: regs } }, { concurrency: 2 });
    controllers.push(v.controller);
    await v.controller.start();
    await settle();
    expect(pending.length).toBe(4 + 2);
    // Each finished reconcile lets the next registry in; all then finish.
    mockReconcile.mockResolvedValue({ writes: 0 });
    for (const d of pending) d.resolve({ writes: 0 });
  });

  test('a start that failed is tried again without starting the registries\' informer twice', async () => {
    const w = setup({ objects: { QuayRegistry: [registry('r')] } });
    controllers.push(w.controller);
    const list = w.client.list.bind(w.client);
    let fail = true;
    w.client.list = ((t: { kind: string }, s: Obj) => (t.kind === 'CronJob' && fail ? Promise.reject(new Error('throttled')) : list(t as never, s))) as KubeClient['list'];
    await expect(w.controller.start()).rejects.toThrow('throttled');
    fail = false;
    await w.controller.start();
    expect(w.controller.isReady()).toBe(true);
    expect(w.lists.filter((l) => l.startsWith('QuayRegistry'))).toEqual(['QuayRegistry {}']);
  });
});

describe('stopped during start', () => {
  test('while discovering: nothing is listed', async () => {
    const w = setup();
    const gate = deferred();
    const getPath = w.client.getPath.bind(w.client);
    w.client.getPath = (async (p: string) => (await gate.promise, getPath(p))) as KubeClient['getPath'];
    const starting = w.controller.start();
    await w.controller.stop();
    gate.resolve();
    await starting;
    expect(w.lists).toEqual([]);
    expect(w.lines.map((l) => l.msg)).toEqual([]);
  });

  test('while the registries are listed: no other kind is', async () => {
    const w = setup({ hold: ['QuayRegistry'] });
    const starting = w.controller.start();
    await settle();
    await w.controller.stop();
    await starting;
    expect(w.lists).toEqual(['QuayRegistry {}']);
    expect(w.controller.isReady()).toBe(false);
  });

  test('just as the registries arrive: nothing more is listed', async () => {
    const w = setup({ objects: { QuayRegistry: [registry('r')] } });
    // The stop comes with the list's answer, before start() goes on.
    w.controller.queue.add = () => void w.controller.stop();
    await w.controller.start();
    expect(w.lists).toEqual(['QuayRegistry {}']);
  });

  test('while looking for the on-demand kinds: no informer is started', async () => {
    const w = setup({ objects: { QuayRegistry: [registry('r')] }, hold: ['CronJob'] });
    const starting = w.controller.start();
    await settle();
    await w.controller.stop();
    w.held.get('CronJob')!.resolve({ items: [], resourceVersion: '1' });
    await starting;
    expect(w.lists.filter((l) => l.startsWith('Secret'))).toEqual([]);
  });

  test('while the informers sync: no reconcile, no discovery timer', async () => {
    const w = setup({ objects: { QuayRegistry: [registry('r')] }, hold: ['Service'] });
    const starting = w.controller.start();
    await settle();
    expect(w.lists.filter((l) => l.startsWith('Service '))).toEqual([`Service ${JSON.stringify({ labelSelector: LABEL_REGISTRY })}`]);
    const stopping = w.controller.stop();
    await starting;
    await stopping;
    await settle();
    expect(mockReconcile).not.toHaveBeenCalled();
    expect(w.controller.isReady()).toBe(false);
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('events to registry keys', () => {
  test('a registry added, changed in spec or metadata, or resynced is reconciled; its own status write is not', async () => {
    const w = await started({ objects: { QuayRegistry: [registry('r')] } }, { resyncMs: 60_000 });
    expect(w.added).toEqual(['ns/r']);
    w.added.length = 0;
    w.send('QuayRegistry', 'MODIFIED', registry('r', { metadata: { resourceVersion: '2' }, status: { conditions: [] } }));
    expect(w.added).toEqual([]);
    w.send('QuayRegistry', 'MODIFIED', registry('r', { metadata: { resourceVersion: '3', generation: 2 } }));
    w.send('QuayRegistry', 'MODIFIED', registry('r', { metadata: { resourceVersion: '4', generation: 2, annotations: { a: 'b' } } }));
    w.send('QuayRegistry', 'ADDED', registry('s'));
    expect(w.added).toEqual(['ns/r', 'ns/r', 'ns/s']);
    w.added.length = 0;
    jest.advanceTimersByTime(60_000);
    expect(w.added).toEqual(['ns/r', 'ns/s']);
  });

  test('the registries are resynced every 10 minutes by default', async () => {
    const w = await started({ objects: { QuayRegistry: [registry('r')] } });
    w.added.length = 0;
    jest.advanceTimersByTime(599_999);
    expect(w.added).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(w.added).toEqual(['ns/r']);
  });

  test('an owned object: its registry by label, in the namespace the label names, else its own', async () => {
    const w = await started();
    const deployment = (labels: Obj, namespace?: string) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', ...(namespace ? { namespace } : {}), labels } }) as KubeObject;
    w.send('Deployment', 'ADDED', deployment({ [LABEL_REGISTRY]: 'r' }, 'ns'));
    w.send('Deployment', 'MODIFIED', deployment({ [LABEL_REGISTRY]: 'r', [LABEL_REGISTRY_NAMESPACE]: 'other' }, 'ns'));
    w.send('Deployment', 'DELETED', { ...deployment({ [LABEL_REGISTRY]: 'r' }, 'ns'), metadata: { name: 'e', namespace: 'ns', labels: { [LABEL_REGISTRY]: 'r' } } } as KubeObject);
    // No namespace to tell: no key.
    w.send('Deployment', 'ADDED', deployment({ [LABEL_REGISTRY]: 'x' }));
    w.send('Deployment', 'ADDED', deployment({}, 'ns'));
    expect(w.added).toEqual(['ns/r', 'other/r', 'ns/r']);
  });

  test('a user\'s Secret: the registries of its namespace that name it (bundle, certificate, first user) or whose bucket it is', async () => {
    const regs = [
      registry('a', { spec: { configBundleSecret: 'bundle' } }),
      registry('b', { spec: { tlsSecret: 'bundle' } }),
      registry('c', { spec: { initialUser: { secretName: 'bundle' } } }),
      registry('d', { spec: { configBundleSecret: 'other', tlsSecret: 'other', initialUser: {} } }),
      registry('e'),
      registry('f', { spec: { configBundleSecret: 'bundle' } }, 'elsewhere'),
      { ...registry('g'), spec: undefined } as KubeObject,
    ];
    const w = await started({ objects: { QuayRegistry: regs } });
    w.added.length = 0;
    const secret = (name: string, kind = 'Secret') => ({ apiVersion: 'v1', kind, metadata: { name, namespace: 'ns', resourceVersion: '5' } }) as KubeObject;
    w.send('Secret', 'ADDED', secret('bundle'));
    expect(w.added).toEqual(['ns/a', 'ns/b', 'ns/c']);
    w.added.length = 0;
    w.send('Secret', 'MODIFIED', secret('e-quay-datastore'));
    w.send('ConfigMap', 'ADDED', secret('e-quay-datastore', 'ConfigMap'));
    // A ConfigMap is never a bundle, a certificate or a first user.
    w.send('ConfigMap', 'ADDED', secret('bundle', 'ConfigMap'));
    w.send('Secret', 'DELETED', secret('unrelated'));
    expect(w.added).toEqual(['ns/e', 'ns/e']);
    // Unlabelled objects are no handler's error.
    expect(w.lines.filter((l) => l.level !== 'info')).toEqual([]);
  });

  test('an unlabelled object of another kind maps to nothing', async () => {
    const w = await started({ objects: { QuayRegistry: [registry('bundle', { spec: { configBundleSecret: 'x' } })] } });
    w.added.length = 0;
    w.send('Service', 'ADDED', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'x', namespace: 'ns' } } as KubeObject);
    w.send('Service', 'ADDED', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'bundle-quay-datastore', namespace: 'ns' } } as KubeObject);
    expect(w.added).toEqual([]);
  });

  test('a deleted Secret is forgotten by the inputs (a copy read or written is not served any more)', async () => {
    const w = await started({ objects: { QuayRegistry: [registry('r')] } });
    await settle();
    const inputs = mockDeps[0].inputs;
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'r-quay-registry-managed-secret-keys', namespace: 'ns', resourceVersion: '9' } } as KubeObject;
    inputs.remember(secret);
    expect(await inputs.get('Secret', 'ns', secret.metadata.name)).toBe(secret);
    w.send('Secret', 'DELETED', secret);
    expect(await inputs.get('Secret', 'ns', secret.metadata.name)).toBeUndefined();
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'r-quay-datastore', namespace: 'ns', resourceVersion: '9' } } as KubeObject;
    inputs.remember(cm);
    w.send('ConfigMap', 'DELETED', cm);
    expect(await inputs.get('ConfigMap', 'ns', cm.metadata.name)).toBeUndefined();
  });

  test('the caches: owned objects slimmed; a Secret\'s data kept only where a registry reads it', async () => {
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'r-quay-app', namespace: 'ns', labels: { [LABEL_REGISTRY]: 'r' } }, spec: { replicas: 1, template: { spec: { containers: [{ name: 'c', image: 'i', env: [] }] } } } } as unknown as KubeObject;
    const secret = (name: string) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'ns' }, data: { k: 'dg==' } }) as unknown as KubeObject;
    await started({ objects: { QuayRegistry: [registry('r', { spec: { configBundleSecret: 'bundle' } })], Deployment: [deployment], Secret: [secret('bundle'), secret('other')] } });
    await settle();
    const owned = mockDeps[0].owned;
    expect(owned.get('Deployment')!.get('ns', 'r-quay-app')).toEqual(slim(deployment));
    expect((owned.get('Secret')!.get('ns', 'bundle') as Obj).data).toEqual({ k: 'dg==' });
    expect((owned.get('Secret')!.get('ns', 'other') as Obj).data).toBeUndefined();
  });
});

describe('reconciles', () => {
  test('the registries\' cache drops managedFields', async () => {
    await started({ objects: { QuayRegistry: [registry('r', { metadata: { managedFields: [{ manager: 'kubectl' }] } })] } });
    await settle();
    expect(mockDeps[0].registries.get('ns', 'r')).toEqual(registry('r'));
  });

  test('the metrics, as Prometheus reads them', async () => {
    mockReconcile.mockResolvedValueOnce({ writes: 3 });
    const w = await started({ objects: { QuayRegistry: [registry('r')] } });
    await settle();
    const text = w.metrics.render();
    // By name.
    const wanted = [
      '# HELP quay_operator_api_writes_total Writes to the Kubernetes API made by reconciles.',
      '# TYPE quay_operator_api_writes_total counter',
      'quay_operator_api_writes_total 3',
      '# HELP quay_operator_queue_depth Registries waiting to be reconciled.',
      '# TYPE quay_operator_queue_depth gauge',
      'quay_operator_queue_depth 0',
      '# HELP quay_operator_reconcile_duration_seconds Time a reconcile takes.',
      '# TYPE quay_operator_reconcile_duration_seconds histogram',
      '# HELP quay_operator_reconciles_total Reconciles, by result.',
      '# TYPE quay_operator_reconciles_total counter',
      'quay_operator_reconciles_total{result="success"} 1',
      '# HELP quay_operator_registries QuayRegistries watched.',
      '# TYPE quay_operator_registries gauge',
      'quay_operator_registries 1',
    ];
    expect(text.split('\n').filter((l) => wanted.includes(l))).toEqual(wanted);
  });

  test('the reconciler is made once, with the controller\'s environment, watches and the real Quay API', async () => {
    const w = await started({ objects: { QuayRegistry: [registry('r'), registry('s')] } });
    await settle();
    expect(mockReconcile.mock.calls).toEqual([
      ['ns', 'r'],
      ['ns', 's'],
    ]);
    expect(mockDeps.length).toBe(1);
    const deps = mockDeps[0];
    expect(deps.environment()).toEqual(w.controller.environment());
    expect(deps.initialUser.quayApi).toBe(postToQuay);
    expect(deps.initialUser.target).toBe(serviceTarget);
    expect(deps.onUpgradeState).toBeUndefined();
    expect(deps.registries.get('ns', 'r')?.metadata.name).toBe('r');
    // watchKinds reaches the controller's: an Ingress informer is started.
    await deps.watchKinds!(['Ingress']);
    expect(w.lists[w.lists.length - 1]).toBe(`Ingress ${JSON.stringify({ labelSelector: LABEL_REGISTRY })}`);
  });

  test('a fake Quay and its address replace the real ones', async () => {
    const quayApi = jest.fn();
    const quayTarget = jest.fn();
    await started({ objects: { QuayRegistry: [registry('r')] } }, { quayApi, quayTarget });
    await settle();
    expect(mockDeps[0].initialUser.quayApi).toBe(quayApi);
    expect(mockDeps[0].initialUser.target).toBe(quayTarget);
  });

  test('a requeue asked for comes after that delay; the writes and results are counted', async () => {
    mockReconcile.mockResolvedValueOnce({ writes: 3, requeueAfterMs: 5_000 }).mockResolvedValueOnce({ writes: 2 });
    const w = await started({ objects: { QuayRegistry: [registry('r')] } });
    await settle();
    expect(mockReconcile).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(4_999);
    await settle();
    expect(mockReconcile).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(1);
    await settle();
    expect(mockReconcile).toHaveBeenCalledTimes(2);
    expect(w.metric('quay_operator_api_writes_total')).toEqual(['quay_operator_api_writes_total 5']);
    expect(w.metric('quay_operator_reconciles_total')).toEqual(['quay_operator_reconciles_total{result="requeue"} 1', 'quay_operator_reconciles_total{result="success"} 1']);
    expect(w.metric('quay_operator_reconcile_duration_seconds_count')).toEqual(['quay_operator_reconcile_duration_seconds_count 2']);
    // No more.
    jest.advanceTimersByTime(600_000 - 5_001);
    await settle();
    expect(mockReconcile).toHaveBeenCalledTimes(2);
  });

  test('the time a reconcile takes, in seconds', async () => {
    mockReconcile.mockImplementationOnce(() => new Promise((resolve) => setTimeout(() => resolve({ writes: 0 }), 1_500)));
    const w = await started({ objects: { QuayRegistry: [registry('r')] } });
    await settle();
    jest.advanceTimersByTime(1_500);
    await settle();
    expect(w.metric('quay_operator_reconcile_duration_seconds_sum')).toEqual(['quay_operator_reconcile_duration_seconds_sum 1.5']);
  });

  test('a failing reconcile is retried with backoff; its error is logged when new, and its recovery once', async () => {
    mockReconcile.mockRejectedValueOnce(new Error('boom')).mockRejectedValueOnce(new Error('boom')).mockRejectedValueOnce(new Error('bang')).mockResolvedValue({ writes: 0 });
    const w = await started({ objects: { QuayRegistry: [registry('r')] } });
    await settle();
    jest.advanceTimersByTime(1_000);
    await settle();
    jest.advanceTimersByTime(2_000);
    await settle();
    jest.advanceTimersByTime(4_000);
    await settle();
    expect(mockReconcile).toHaveBeenCalledTimes(4);
    expect(w.lines.filter((l) => l.msg !== 'cluster discovered')).toEqual([
      { level: 'error', msg: 'reconcile failed', registry: 'ns/r', err: 'boom', retryInMs: 1_000 },
      { level: 'error', msg: 'reconcile failed', registry: 'ns/r', err: 'bang', retryInMs: 4_000 },
      { level: 'info', msg: 'reconcile succeeded again', registry: 'ns/r' },
    ]);
    expect(w.metric('quay_operator_reconciles_total')).toEqual(['quay_operator_reconciles_total{result="error"} 3', 'quay_operator_reconciles_total{result="success"} 1']);
    // Succeeding again says nothing more.
    w.controller.queue.add('ns/r');
    await settle();
    expect(w.lines.length).toBe(4);
  });

  test('the gauges: queued registries and registries watched', async () => {
    const gate = deferred<{ writes: number }>();
    mockReconcile.mockReturnValue(gate.promise);
    const w = await started({ objects: { QuayRegistry: ['a', 'b', 'c', 'd', 'e', 'f'].map((n) => registry(n)) } });
    await settle();
    expect(w.metric('quay_operator_queue_depth')).toEqual(['quay_operator_queue_depth 2']);
    expect(w.metric('quay_operator_registries')).toEqual(['quay_operator_registries 6']);
    gate.resolve({ writes: 0 });
  });

  test('whenIdle resolves once the queue is drained', async () => {
    const gate = deferred<{ writes: number }>();
    mockReconcile.mockReturnValue(gate.promise);
    const w = await started({ objects: { QuayRegistry: [registry('r')] } });
    let idle = false;
    void w.controller.whenIdle().then(() => (idle = true));
    await settle();
    expect(idle).toBe(false);
    gate.resolve({ writes: 0 });
    await settle();
    expect(idle).toBe(true);
  });
});

describe('under OLM: the OperatorCondition', () => {
  test('told the registries at start, each reconcile\'s state, and each end: reconciled while it exists, forgotten once deleted or deleting', async () => {
    const calls: unknown[][] = [];
    jest.spyOn(OperatorConditionReporter.prototype, 'start').mockImplementation((keys) => void calls.push(['start', [...keys]]));
    jest.spyOn(OperatorConditionReporter.prototype, 'report').mockImplementation((key, state) => void calls.push(['report', key, state]));
    jest.spyOn(OperatorConditionReporter.prototype, 'reconciled').mockImplementation((key) => void calls.push(['reconciled', key]));
    jest.spyOn(OperatorConditionReporter.prototype, 'forget').mockImplementation((key) => void calls.push(['forget', key]));
    jest.spyOn(OperatorConditionReporter.prototype, 'stop').mockImplementation(async () => void calls.push(['stop']));
    const state = { migration: true, databases: [], restore: false };
    mockReconcile.mockImplementation(async (ns: string, name: string) => {
      mockDeps[0].onUpgradeState!(ns, name, state);
      if (name === 'gone') throw new Error('gone');
      return { writes: 0 };
    });
    const deleting = registry('deleting', { metadata: { deletionTimestamp: '2026-01-01T00:00:00Z' } });
    const w = await started({ objects: { QuayRegistry: [registry('r'), deleting] } }, { operatorCondition: { namespace: 'op', name: 'cond' }, concurrency: 1 });
    await settle();
    expect(calls).toEqual([
      ['start', ['ns/deleting', 'ns/r']],
      ['report', 'ns/r', state],
      ['reconciled', 'ns/r'],
      ['report', 'ns/deleting', state],
      ['forget', 'ns/deleting'],
    ]);
    calls.length = 0;
    // Not in the cache any more, even when its reconcile failed.
    w.controller.queue.add('ns/gone');
    await settle();
    w.send('QuayRegistry', 'DELETED', registry('r'));
    await w.controller.stop();
    expect(calls).toEqual([['report', 'ns/gone', state], ['forget', 'ns/gone'], ['forget', 'ns/r'], ['stop']]);
  });
});

describe('watchKinds', () => {
  test('starts an on-demand kind once and waits for its cache; other kinds are watched already', async () => {
    const w = await started({ hold: ['Ingress'] });
    const before = w.lists.length;
    await w.controller.watchKinds(['Deployment', 'Service']);
    expect(w.lists.length).toBe(before);
    let done = false;
    const watching = w.controller.watchKinds(['Ingress', 'Deployment']).then(() => (done = true));
    await settle();
    expect(w.lists.slice(before)).toEqual([`Ingress ${JSON.stringify({ labelSelector: LABEL_REGISTRY })}`]);
    expect(done).toBe(false);
    w.held.get('Ingress')!.resolve({ items: [], resourceVersion: '1' });
    await watching;
    await w.controller.watchKinds(['Ingress']);
    expect(w.lists.length).toBe(before + 1);
  });

  test('a kind asked for with one already watched is started too; a call for one still syncing waits for it', async () => {
    const w = await started({ hold: ['Ingress'] });
    const before = w.lists.length;
    let first = false;
    let second = false;
    const a = w.controller.watchKinds(['Ingress']).then(() => (first = true));
    await settle();
    const b = w.controller.watchKinds(['Ingress', 'CronJob']).then(() => (second = true));
    await settle();
    expect(w.lists.slice(before)).toEqual([`Ingress ${JSON.stringify({ labelSelector: LABEL_REGISTRY })}`, `CronJob ${JSON.stringify({ labelSelector: LABEL_REGISTRY })}`]);
    // The CronJob cache is synced, the Ingress one not yet.
    expect([first, second]).toEqual([false, false]);
    w.held.get('Ingress')!.resolve({ items: [], resourceVersion: '1' });
    await a;
    await b;
    expect([first, second]).toEqual([true, true]);
  });

  test('an on-demand kind the cluster does not serve is not watched', async () => {
    const w = await started({ apis: [] });
    const before = w.lists.length;
    await w.controller.watchKinds(['Ingress', 'Certificate', 'CronJob']);
    expect(w.lists.slice(before)).toEqual([`CronJob ${JSON.stringify({ labelSelector: LABEL_REGISTRY })}`]);
  });
});

describe('rediscovery', () => {
  test('every 5 minutes by default; a new API: its informer started and every registry reconciled, once', async () => {
    const w = await started({ apis: ['networking.k8s.io/v1'], objects: { QuayRegistry: [registry('r'), registry('s', {}, 'other')] } }, { resyncMs: 3_600_000 });
    await settle();
    w.added.length = 0;
    const before = w.lists.length;
    jest.advanceTimersByTime(299_999);
    await settle();
    expect(w.state.discoveries).toBe(1);
    jest.advanceTimersByTime(1);
    await settle();
    expect(w.state.discoveries).toBe(2);
    expect(w.lists.length).toBe(before);
    expect(w.added).toEqual([]);
    w.state.apis = ['networking.k8s.io/v1', 'route.openshift.io/v1'];
    jest.advanceTimersByTime(300_000);
    await settle();
    expect(w.lines.filter((l) => l.msg === 'cluster capabilities changed')).toEqual([
      { level: 'info', msg: 'cluster capabilities changed', routes: true, ingress: true, httpRoutes: false, tlsRoutes: false, certificates: false, objectBucketClaims: false, monitoring: false, allNamespaces: true, consoleDashboards: false, appsDomain: null },
    ]);
    expect(w.lists.slice(before)).toEqual([`Route ${JSON.stringify({ labelSelector: LABEL_REGISTRY })}`]);
    expect(w.added).toEqual(['ns/r', 'other/s']);
    expect(w.controller.environment().capabilities.routes).toBe(true);
  });

  test('at the interval asked for; a failed discovery keeps what was known', async () => {
    const w = await started({}, { discoveryIntervalMs: 1_000 });
    w.state.failDiscovery = new Error('apiserver down');
    jest.advanceTimersByTime(1_000);
    await settle();
    expect(w.state.discoveries).toBe(2);
    expect(w.lines[w.lines.length - 1]).toEqual({ level: 'warn', msg: 'discovery failed; keeping what was known', err: 'apiserver down' });
    expect(w.controller.environment().capabilities.routes).toBe(true);
  });

  test('stopped: no more discovery; the informers and the queue are stopped', async () => {
    const w = await started({ objects: { QuayRegistry: [registry('r')] } }, { discoveryIntervalMs: 1_000 });
    await settle();
    await w.controller.stop();
    // The watches' events are no longer handled.
    w.added.length = 0;
    w.send('QuayRegistry', 'ADDED', registry('s'));
    w.send('Deployment', 'ADDED', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'ns', labels: { [LABEL_REGISTRY]: 'r' } } } as KubeObject);
    expect(w.added).toEqual([]);
    jest.advanceTimersByTime(10_000);
    await settle();
    expect(w.state.discoveries).toBe(1);
    expect(jest.getTimerCount()).toBe(0);
    w.added.length = 0;
    w.controller.queue.add('ns/r');
    await settle();
    expect(mockReconcile).toHaveBeenCalledTimes(1);
  });
});
