// Plays the cluster's other controllers against the fake API server: the Deployment controller and
// kubelet (pods become available), the Job controller, the bucket provisioner and the router.
import type { FakeApiServer } from './fake-apiserver';

type Obj = Record<string, any>;

/** An OpenShift cluster's own objects the operator reads or writes into: the apps domain, the dashboards' namespace. */
export function openshiftCluster(server: FakeApiServer, appsDomain = 'apps.example.com'): void {
  server.create({ apiVersion: 'config.openshift.io/v1', kind: 'Ingress', metadata: { name: 'cluster' }, spec: { domain: appsDomain } });
  server.createNamespace('openshift-config-managed');
}

/** The volume controller binds every pending claim in `namespace` (dynamic provisioning). */
export function bindVolumes(server: FakeApiServer, namespace: string): void {
  for (const pvc of server.list('v1', 'PersistentVolumeClaim', namespace) as Obj[]) {
    if (pvc.status?.phase === 'Bound') continue;
    const storage = pvc.spec?.resources?.requests?.storage;
    server.updateStatus('v1', 'PersistentVolumeClaim', namespace, pvc.metadata.name, { phase: 'Bound', accessModes: pvc.spec?.accessModes, capacity: { storage } }, 'persistentvolume-controller');
  }
}

/** Every Deployment in `namespace` reports its replicas available (0 when scaled to 0); their claims are bound first. */
export function settleDeployments(server: FakeApiServer, namespace: string, only?: (d: Obj) => boolean): void {
  bindVolumes(server, namespace);
  for (const d of server.list('apps/v1', 'Deployment', namespace) as Obj[]) {
    if (only && !only(d)) continue;
    const replicas = d.spec?.replicas ?? 1;
    const status = {
      observedGeneration: d.metadata.generation,
      replicas,
      updatedReplicas: replicas,
      readyReplicas: replicas,
      availableReplicas: replicas,
      conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }],
    };
    if (JSON.stringify(d.status) !== JSON.stringify(status)) server.updateStatus('apps/v1', 'Deployment', namespace, d.metadata.name, status);
  }
}

/** A Deployment rolling out: its new pods are not available yet. */
export function deploymentUnavailable(server: FakeApiServer, namespace: string, name: string): void {
  const d = server.get('apps/v1', 'Deployment', namespace, name) as Obj;
  server.updateStatus('apps/v1', 'Deployment', namespace, name, {
    observedGeneration: d.metadata.generation,
    replicas: 1,
    updatedReplicas: 0,
    availableReplicas: 0,
    conditions: [{ type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' }],
  });
}

/** The NooBaa provisioner binds the claim and writes the bucket's Secret and ConfigMap. */
export function bindBucket(server: FakeApiServer, namespace: string, registry: string): void {
  const name = `${registry}-quay-datastore`;
  const claim = server.get('objectbucket.io/v1alpha1', 'ObjectBucketClaim', namespace, name) as Obj | undefined;
  if (!claim) return;
  if (claim.status?.phase !== 'Bound') server.updateStatus('objectbucket.io/v1alpha1', 'ObjectBucketClaim', namespace, name, { phase: 'Bound' });
  if (!server.get('v1', 'Secret', namespace, name)) {
    server.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace },
      data: { AWS_ACCESS_KEY_ID: Buffer.from('ACCESS').toString('base64'), AWS_SECRET_ACCESS_KEY: Buffer.from('SECRET').toString('base64') },
    });
    server.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data: { BUCKET_HOST: 's3.openshift-storage.svc', BUCKET_NAME: 'quay-datastore-abc', BUCKET_PORT: '443' } });
  }
}

export function completeJob(server: FakeApiServer, namespace: string, name: string, outcome: 'succeeded' | 'failed' | 'active' = 'succeeded'): void {
  const status =
    outcome === 'succeeded'
      ? { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] }
      : outcome === 'failed'
        ? { failed: 1, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }] }
        : { active: 1 };
  server.updateStatus('batch/v1', 'Job', namespace, name, status);
}

export function admitRoutes(server: FakeApiServer, namespace: string): void {
  for (const r of server.list('route.openshift.io/v1', 'Route', namespace) as Obj[]) {
    if (r.status?.ingress) continue;
    const host = r.spec.host ?? `${r.metadata.name}-${namespace}.apps.example.com`;
    server.updateStatus('route.openshift.io/v1', 'Route', namespace, r.metadata.name, {
      ingress: [{ host, routerName: 'default', conditions: [{ type: 'Admitted', status: 'True' }] }],
    });
  }
}

/**
 * The Gateway controller: every HTTPRoute and TLSRoute accepted by the Gateways it names, backends
 * resolved; a Gateway named `closed` refuses them (NotAllowedByListeners), as one whose listeners
 * admit no routes from the namespace does.
 */
export function acceptGatewayRoutes(server: FakeApiServer, namespace: string): void {
  for (const kind of ['HTTPRoute', 'TLSRoute']) {
    for (const r of server.list('gateway.networking.k8s.io/v1', kind, namespace) as Obj[]) {
      if (r.status?.parents) continue;
      const condition = (type: string, refused: boolean) => ({
        type,
        status: refused ? 'False' : 'True',
        reason: refused ? 'NotAllowedByListeners' : type,
        message: refused ? 'no listener of the Gateway allows routes from this namespace' : '',
        lastTransitionTime: '2026-01-01T00:00:00Z',
        observedGeneration: r.metadata.generation,
      });
      server.updateStatus('gateway.networking.k8s.io/v1', kind, namespace, r.metadata.name, {
        parents: (r.spec.parentRefs as Obj[]).map((parentRef) => {
          const refused = parentRef.name === 'closed';
          return { parentRef, controllerName: 'example.com/gateway-controller', conditions: [condition('Accepted', refused), condition('ResolvedRefs', false)] };
        }),
      });
    }
  }
}

/** Polls until `check` stops throwing (the controller works asynchronously, through watches). */
export async function eventually(check: () => void | Promise<void>, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() - start > timeoutMs) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/**
 * Plays the whole cluster in the background, in every namespace: volumes bind, pods of every
 * Deployment become available, buckets are provisioned, migration Jobs succeed, Routes are admitted
 * and Gateway API routes accepted.
 * Returns a function that stops it.
 */
export function simulateCluster(server: FakeApiServer, intervalMs = 50): () => void {
  const tick = () => {
    for (const ns of server.list('v1', 'Namespace') as Obj[]) {
      const namespace = ns.metadata.name as string;
      if (ns.metadata.deletionTimestamp) continue;
      try {
        settleDeployments(server, namespace);
        for (const claim of server.list('objectbucket.io/v1alpha1', 'ObjectBucketClaim', namespace) as Obj[]) bindBucket(server, namespace, claim.metadata.name.replace(/-quay-datastore$/, ''));
        for (const job of server.list('batch/v1', 'Job', namespace) as Obj[]) if (!job.status?.succeeded && !job.status?.failed) completeJob(server, namespace, job.metadata.name);
        admitRoutes(server, namespace);
        acceptGatewayRoutes(server, namespace);
      } catch {
        // An object deleted under our feet: next tick.
      }
    }
  };
  const timer = setInterval(tick, intervalMs);
  return () => clearInterval(timer);
}

/** Ties a simulated pod to its Deployment and template. */
const POD_OWNER = 'sim.quay-operator.test/deployment';
const POD_TEMPLATE = 'sim.quay-operator.test/template';

function templateDigest(template: unknown): string {
  let h = 0;
  for (const ch of JSON.stringify(template)) h = (Math.imul(h, 31) + ch.charCodeAt(0)) | 0;
  return (h >>> 0).toString(16).padStart(8, '0');
}

/**
 * The ReplicaSet controller and kubelet, as far as mounts go: one Running pod per Deployment with
 * replicas, from its current template. Pods of an older template are stopped, except for the
 * Deployments `keepOld` names (a rollout that cannot finish: the old pod keeps running and mounting).
 */
export function syncPods(server: FakeApiServer, namespace: string, keepOld: (deployment: string) => boolean = () => false): void {
  const pods = server.list('v1', 'Pod', namespace) as Obj[];
  for (const d of server.list('apps/v1', 'Deployment', namespace) as Obj[]) {
    const name = d.metadata.name as string;
    const digest = templateDigest(d.spec.template);
    const mine = pods.filter((p) => p.metadata.labels?.[POD_OWNER] === name);
    if ((d.spec.replicas ?? 1) > 0 && !mine.some((p) => p.metadata.labels[POD_TEMPLATE] === digest)) {
      const podName = `${name}-${digest}`;
      server.create({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: podName, namespace, labels: { ...d.spec.template.metadata?.labels, [POD_OWNER]: name, [POD_TEMPLATE]: digest } },
        spec: d.spec.template.spec,
      });
      server.updateStatus('v1', 'Pod', namespace, podName, { phase: 'Running' });
    }
    for (const p of mine) {
      if (p.metadata.labels[POD_TEMPLATE] !== digest && !keepOld(name)) server.delete('v1', 'Pod', namespace, p.metadata.name);
    }
  }
}
