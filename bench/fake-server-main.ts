// The fake API server (test/support/fake-apiserver.ts) in a process of its own, so the benchmark's
// memory figures are the controller's alone. Prints `url http://127.0.0.1:<port>` on stdout.
//
// Forked with an IPC channel (bench/ipc.ts), it also plays the rest of the cluster and answers the
// benchmark's commands: it creates registries, and after every write the operator makes in a
// registry's namespace it does what the cluster's other controllers would (pods become available,
// the bucket is bound, the migration Job succeeds, Routes are admitted), recording when each
// registry was created, first written to, and reported Available.
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
  const timer = setInterval(tick, 5);

  serve({
    /** Creates registries from..from+count-1, each in its own namespace, with the default (empty) spec. */
    create({ from, count }: { from: number; count: number }) {
      for (let i = from; i < from + count; i++) {
        const name = registryName(i);
        const namespace = registryNamespace(i);
        tracked.set(namespace, { name, createdAt: performance.now() });
        server.create({ ...REGISTRY_KIND, metadata: { name, namespace }, spec: {} });
      }
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
    /** Requests received since the last clear: counts, body bytes, and what was written. */
    requests() {
      const rs = server.requests;
      const writes = rs.filter((r) => r.method !== 'GET');
      const isWatch = (r: (typeof rs)[number]) => r.method === 'GET' && /(^|&)watch=(true|1)/.test(r.query);
      return {
        requests: rs.length,
        watches: rs.filter(isWatch).length,
        writes: writes.length,
        bytes: rs.reduce((a, r) => a + r.bytes, 0),
        writeList: writes.slice(0, 20).map((w) => `${w.method} ${w.path}`),
      };
    },
    clear() {
      server.clearRequests();
      cursor = 0;
      return {};
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

main().catch((err) => {
  process.stderr.write(`fake-server-main: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
