// The fake API server (test/support/fake-apiserver.ts) in a process of its own, so the benchmark's
// memory figures are the controller's alone. Prints `url http://127.0.0.1:<port>` on stdout.
//
// Forked with an IPC channel (bench/ipc.ts), it also plays the rest of the cluster and answers the
// benchmark's commands: it creates registries, and after every write the operator makes in a
// registry's namespace it does what the cluster's other controllers would (pods become available,
// the bucket is bound, the migration Job succeeds, Routes are admitted), recording when each
// registry was created, first written to, and reported Available. It also counts what the issue
// measured: writes that changed nothing (redundant) and flaps of Available (True, then False).
import { performance } from 'node:perf_hooks';
import { FakeApiServer } from '../test/support/fake-apiserver';
import { admitRoutes, bindBucket, completeJob, openshiftCluster, settleDeployments } from '../test/support/cluster-sim';
import { serve } from './ipc';
import { REGISTRY_KIND, registryName, registryNamespace } from './names';
import { memory, summarize } from './stats';

type Obj = Record<string, any>;

interface Tracked {
  readonly name: string;
  readonly createdAt: number;
  firstWriteAt?: number;
  availableAt?: number;
}

async function main(): Promise<void> {
  const server = await FakeApiServer.start();
  // OpenShift's cluster ingress config (discovery reads the apps domain from it) and the console's dashboards namespace.
  openshiftCluster(server);
  process.stdout.write(`url ${server.url}\n`);
  if (!process.send) return; // standalone: just serve

  const tracked = new Map<string, Tracked>(); // namespace → registry
  let simulating = true;
  // Store changes made while answering a request (indexes into server.requests): requests are
  // answered synchronously, so a change outside `playing` belongs to the last request recorded.
  let playing = false;
  const changedBy = new Set<number>();
  const availableNow = new Map<string, boolean>(); // namespace/name → Available
  let flaps = 0;
  server.onChange(({ obj }) => {
    if (!playing) changedBy.add(server.requests.length - 1);
    if (obj.kind !== REGISTRY_KIND.kind) return;
    const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
    const now = (obj.status?.conditions ?? []).some((c: Obj) => c.type === 'Available' && c.status === 'True');
    if (availableNow.get(key) === true && !now) flaps++;
    availableNow.set(key, now);
  });
  const asCluster = <T>(f: () => T): T => {
    playing = true;
    try {
      return f();
    } finally {
      playing = false;
    }
  };
  let cursor = 0; // requests already looked at
  const dirty = new Map<string, Set<string>>(); // namespace → resources (plurals) written since the last tick

  const available = (ns: string, name: string) => {
    const r = server.get(REGISTRY_KIND.apiVersion, REGISTRY_KIND.kind, ns, name) as Obj | undefined;
    return (r?.status?.conditions ?? []).some((c: Obj) => c.type === 'Available' && c.status === 'True');
  };

  /** What the cluster's controllers do after the operator wrote these resources in a namespace. */
  const simulate = (ns: string, t: Tracked, written: Set<string>) => {
    if (written.has('deployments')) settleDeployments(server, ns);
    if (written.has('objectbucketclaims')) bindBucket(server, ns, t.name);
    if (written.has('jobs')) {
      const job = server.get('batch/v1', 'Job', ns, `${t.name}-quay-app-upgrade`) as Obj | undefined;
      if (job && !job.status?.succeeded) completeJob(server, ns, job.metadata.name);
    }
    if (written.has('routes')) admitRoutes(server, ns);
  };

  // Reacts to the operator's writes (recorded requests) every few ms, namespace by namespace: cheap
  // when nothing happens, and the operator sees the cluster react about as fast as it writes.
  const tick = () => {
    const requests = server.requests;
    if (requests.length < cursor) cursor = 0; // cleared
    const now = performance.now();
    for (; cursor < requests.length; cursor++) {
      const r = requests[cursor];
      if (r.method === 'GET') continue;
      const m = /\/namespaces\/([^/]+)\/([^/]+)/.exec(r.path);
      const t = m ? tracked.get(m[1]) : undefined;
      if (!m || !t) continue;
      t.firstWriteAt ??= now;
      const written = dirty.get(m[1]) ?? new Set<string>();
      written.add(m[2]);
      dirty.set(m[1], written);
    }
    for (const [ns, written] of dirty) {
      const t = tracked.get(ns)!;
      if (simulating) simulate(ns, t, written);
      if (t.availableAt === undefined && available(ns, t.name)) t.availableAt = performance.now();
      // Paused: keep what was written, so the cluster catches up when resumed.
      if (simulating) dirty.delete(ns);
    }
  };
  const timer = setInterval(() => asCluster(tick), 5);

  serve({
    /** Creates registries from..from+count-1, each in its own namespace, with the default (empty) spec. */
    create({ from, count }: { from: number; count: number }) {
      asCluster(() => {
        for (let i = from; i < from + count; i++) {
          const name = registryName(i);
          const namespace = registryNamespace(i);
          tracked.set(namespace, { name, createdAt: performance.now() });
          server.create({ ...REGISTRY_KIND, metadata: { name, namespace }, spec: {} });
        }
      });
      return { registries: tracked.size };
    },
    /** Pauses or resumes playing the cluster. */
    simulate({ on }: { on: boolean }) {
      simulating = on;
      return { on };
    },
    /** How far the registries from..from+count-1 are, with latencies from creation, in ms. */
    progress({ from, count }: { from: number; count: number }) {
      const ts: Tracked[] = [];
      for (let i = from; i < from + count; i++) {
        const t = tracked.get(registryNamespace(i));
        if (t) ts.push(t);
      }
      const done = ts.filter((t) => t.availableAt !== undefined);
      const first = Math.min(...ts.map((t) => t.createdAt));
      return {
        created: ts.length,
        firstWritten: ts.filter((t) => t.firstWriteAt !== undefined).length,
        available: done.length,
        toFirstWriteMs: summarize(ts.filter((t) => t.firstWriteAt !== undefined).map((t) => t.firstWriteAt! - t.createdAt)),
        toAvailableMs: summarize(done.map((t) => t.availableAt! - t.createdAt)),
        /** First registry created → last one Available. */
        allAvailableMs: done.length === ts.length && ts.length > 0 ? Math.max(...done.map((t) => t.availableAt!)) - first : undefined,
      };
    },
    /**
     * Requests received since the last clear: counts (reads are GETs but watches), body bytes, what
     * was written, writes the server accepted that changed nothing, and flaps of Available.
     */
    requests() {
      const rs = server.requests;
      const writes = rs.filter((r) => r.method !== 'GET');
      const isWatch = (r: (typeof rs)[number]) => r.method === 'GET' && /(^|&)watch=(true|1)/.test(r.query);
      const redundant = rs.filter((r, i) => r.method !== 'GET' && (r.code ?? 0) < 300 && !changedBy.has(i));
      return {
        requests: rs.length,
        reads: rs.filter((r) => r.method === 'GET' && !isWatch(r)).length,
        watches: rs.filter(isWatch).length,
        writes: writes.length,
        redundantWrites: redundant.length,
        flaps,
        bytes: rs.reduce((a, r) => a + r.bytes, 0),
        writeList: writes.slice(0, 20).map((w) => `${w.method} ${w.path}`),
        redundantList: redundant.slice(0, 20).map((w) => `${w.method} ${w.path}`),
      };
    },
    clear() {
      server.clearRequests();
      changedBy.clear();
      flaps = 0;
      cursor = 0;
      return {};
    },
    /**
     * What the issue saw at rest: HPAs take every autoscaled Deployment of registry `index` from 1 to
     * 2 pods (the new pod not ready at first), report their status, and a pod is replaced.
     */
    churn({ index, step }: { index: number; step: number }) {
      return asCluster(() => churnStep(server, registryNamespace(index), step));
    },
    /** Objects in a registry's namespace (events and the QuayRegistry itself not counted). */
    objects({ index }: { index: number }) {
      const ns = registryNamespace(index);
      let n = 0;
      for (const t of server.servedTypes()) {
        if (!t.namespaced || t.kind === 'Event' || t.kind === 'QuayRegistry') continue;
        n += server.list(t.apiVersion, t.kind, ns).length;
      }
      return { objects: n };
    },
    memory() {
      return memory();
    },
    async stop() {
      clearInterval(timer);
      await server.stop();
      setImmediate(() => process.exit(0));
      return {};
    },
  });
  process.send({ ready: true, url: server.url, token: server.adminToken });
}

/** One step (0..4) of the churn; returns whether more follow. */
function churnStep(server: FakeApiServer, ns: string, step: number): { more: boolean } {
  for (const hpa of server.list('autoscaling/v2', 'HorizontalPodAutoscaler', ns) as Obj[]) {
    const name = hpa.spec.scaleTargetRef.name as string;
    const d = server.get('apps/v1', 'Deployment', ns, name) as Obj | undefined;
    if (!d) continue;
    // `available` of 2 pods, with the Deployment controller's Available condition (maxUnavailable 25%).
    const status = (available: number) =>
      server.updateStatus('apps/v1', 'Deployment', ns, name, {
        observedGeneration: d.metadata.generation,
        replicas: 2,
        updatedReplicas: 2,
        readyReplicas: available,
        availableReplicas: available,
        conditions: [available === 2 ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' } : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable' }],
      });
    if (step === 0) server.update({ ...d, spec: { ...d.spec, replicas: 2 } }, 'kube-controller-manager'); // the HPA scales
    if (step === 1) status(1); // the new pod is not ready yet
    if (step === 2) {
      status(2);
      server.updateStatus('autoscaling/v2', 'HorizontalPodAutoscaler', ns, hpa.metadata.name, { currentReplicas: 2, desiredReplicas: 2 });
    }
    if (step === 3) status(1); // a pod replaced on a drained node
    if (step === 4) status(2);
  }
  return { more: step < 4 };
}

main().catch((err) => {
  process.stderr.write(`fake-server-main: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
