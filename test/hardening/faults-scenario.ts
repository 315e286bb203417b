// The fault suites' scenario: the operator as `run` starts it (leader election, rate limit, request
// timeout; in this process), a registry's first rollout held at each phase by a cluster that only
// moves on when told, then a reconfiguration (mirror switched to unmanaged: objects pruned). A fault
// is injected when the run reaches its phase; the run must then end in the clean run's final state.
import type { KubeConfig } from '@kubernetes/client-node';
import { RunningOperator, startOperator } from '../../lib/cli/run';
import { OPERATOR_USER, createBundleSecret } from '../support/controller-harness';
import { admitRoutes, bindBucket, bindVolumes, completeJob, eventually, openshiftCluster, settleDeployments } from '../support/cluster-sim';
import { FakeApiServer } from '../support/fake-apiserver';
import { findLeaks, publishedByOperator } from '../support/leak-scan';
import { installOperator } from '../support/operator-install';
import { FinalState, History, MIGRATION_JOB, NAME, NS, REGISTRY, VERSION, changes, difference, finalState, historyProblems, recordHistory } from './faults-state';
import { FULL } from './mode';

type Obj = Record<string, any>;

/** The phases of a run, in order, at which a fault can be injected. */
export const PHASES = ['created', 'databases', 'restart', 'migration', 'rollout', 'reconfigure'] as const;
export type Phase = (typeof PHASES)[number];

/** How the in-process operator talks to the server: short timeouts and leases, so faults cost seconds. */
export interface OperatorSettings {
  readonly timeoutMs: number;
  readonly qps: number;
  readonly burst: number;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
}

export const SETTINGS: OperatorSettings = {
  // Above the slow server's latency (1 s in full mode) plus the work a request does.
  timeoutMs: FULL ? 3000 : 600,
  // The defaults in full mode; `npm test`'s subset spares the second the first reconcile waits for tokens.
  qps: FULL ? 20 : 100,
  burst: FULL ? 30 : 100,
  leaseDurationMs: 6000,
  renewDeadlineMs: 4000,
  retryPeriodMs: 1000,
};

/** `quay-operator run --leader-elect` in this process; started again when it exits on its own (a lost lease), as kubelet restarts a container. */
export class Supervisor {
  readonly logs: string[] = [];
  current: RunningOperator | undefined;
  /** Times it exited on its own and was started again. */
  restarts = 0;
  private stopping = false;

  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly settings: OperatorSettings = SETTINGS,
    private readonly identity = 'op-1',
  ) {}

  async start(): Promise<void> {
    this.stopping = false;
    const s = this.settings;
    const op = await startOperator(
      {
        leaderElect: true,
        metricsPort: 0,
        healthPort: 0,
        reconfigurePort: 0,
        concurrency: 4,
        logLevel: 'debug',
        api: { qps: s.qps, burst: s.burst, timeoutMs: s.timeoutMs },
        leaderElection: { leaseDurationMs: s.leaseDurationMs, renewDeadlineMs: s.renewDeadlineMs, retryPeriodMs: s.retryPeriodMs },
      },
      { POD_NAME: this.identity, POD_NAMESPACE: 'quay-operator' },
      this.kubeConfig,
      { write: (line: string) => this.logs.push(line) },
    );
    if (typeof op === 'number') throw new Error(`the operator refused to start (exit code ${op}):\n${this.logs.join('')}`);
    this.current = op;
    void op.exited.then(() => {
      if (this.stopping || this.current !== op) return;
      this.restarts++;
      void this.start();
    });
  }

  /** A graceful stop (SIGTERM). */
  async stop(): Promise<void> {
    this.stopping = true;
    const op = this.current;
    op?.stop();
    await op?.exited;
  }
}

/** The cluster's controllers, held back: `gate` says how far the rollout may get. */
export class PhasedCluster {
  /** 0: nothing becomes available; 1: databases and redis do; 2: the migration Job succeeds too; 3: everything. */
  gate = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly server: FakeApiServer,
    intervalMs = 25,
  ) {
    this.timer = setInterval(() => this.tick(), intervalMs);
  }

  private tick(): void {
    const server = this.server;
    try {
      bindVolumes(server, NS);
      if (server.get('objectbucket.io/v1alpha1', 'ObjectBucketClaim', NS, `${NAME}-quay-datastore`)) bindBucket(server, NS, NAME);
      if (this.gate >= 1) settleDeployments(server, NS, (d) => /-(quay-database|clair-postgres|quay-redis)$/.test(d.metadata.name));
      if (this.gate >= 2) for (const job of server.list('batch/v1', 'Job', NS) as Obj[]) if (!job.status?.succeeded) completeJob(server, NS, job.metadata.name);
      if (this.gate >= 3) {
        settleDeployments(server, NS);
        admitRoutes(server, NS);
      }
    } catch {
      // an object deleted under our feet: next tick
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

export interface Run {
  readonly server: FakeApiServer;
  readonly supervisor: Supervisor;
  readonly cluster: PhasedCluster;
  readonly history: History;
}

/** A fresh cluster with the operator installed and running, and the user's config bundle. */
export async function startRun(settings: OperatorSettings = SETTINGS): Promise<Run> {
  const server = await FakeApiServer.start();
  openshiftCluster(server);
  const kubeConfig = installOperator(server);
  createBundleSecret(server, 'FEATURE_USER_INITIALIZE: true\n');
  const history = recordHistory(server);
  const cluster = new PhasedCluster(server);
  const supervisor = new Supervisor(kubeConfig, settings);
  await supervisor.start();
  return { server, supervisor, cluster, history };
}

const registry = (server: FakeApiServer) => server.get(REGISTRY.apiVersion, REGISTRY.kind, NS, NAME) as Obj | undefined;
const condition = (server: FakeApiServer, type: string) => ((registry(server)?.status?.conditions ?? []) as Obj[]).find((c) => c.type === type);

/** How long a phase may take to be reached, or the run to converge: a 60 s outage in full mode, and the backoffs after it. */
const PHASE_TIMEOUT_MS = FULL ? 240_000 : 30_000;

/**
 * Drives the run through every phase, calling `inject(phase)` as each is reached, and returns once
 * the reconfiguration is asked for. The caller then waits for convergence.
 */
export async function drive(run: Run, inject: (phase: Phase) => void | Promise<void>): Promise<void> {
  const { server, cluster } = run;
  const reach = (what: string, check: () => void) => eventually(check, PHASE_TIMEOUT_MS).catch((err) => Promise.reject(new Error(`${what} not reached: ${(err as Error).message}`)));
  await inject('created');
  server.create({ ...REGISTRY, metadata: { name: NAME, namespace: NS }, spec: { configBundleSecret: 'config-bundle-secret' } });

  await reach('databases', () => expect(server.get('apps/v1', 'Deployment', NS, `${NAME}-quay-database`)).toBeDefined());
  await inject('databases');

  // The operator restarts (a graceful stop, as a rolling update or a node drain), the fault present.
  await run.supervisor.stop();
  await inject('restart');
  await run.supervisor.start();

  cluster.gate = 1;
  await reach('migration', () => expect(server.get('batch/v1', 'Job', NS, MIGRATION_JOB)).toBeDefined());
  await inject('migration');

  cluster.gate = 2;
  await reach('rollout', () => {
    expect(registry(server)?.status?.currentVersion).toBe(VERSION);
    expect((server.get('apps/v1', 'Deployment', NS, `${NAME}-quay-app`) as Obj | undefined)?.spec.replicas ?? 1).toBeGreaterThan(0);
  });
  await inject('rollout');

  cluster.gate = 3;
  await reach('available', () => expect(condition(server, 'Available')?.status).toBe('True'));
  // The reconcile that reported it finishes (its Events), so the phase begins at the same point in every run.
  await run.supervisor.current?.controller.whenIdle();
  await inject('reconfigure');
  const r = registry(server)!;
  server.update({ ...r, spec: { ...r.spec, components: [{ kind: 'mirror', managed: false }] } });
}

/** The clean run's end: reconfigured, Available, nothing left to do. */
export async function settleClean(run: Run): Promise<void> {
  const { server } = run;
  await eventually(() => {
    expect(server.get('apps/v1', 'Deployment', NS, `${NAME}-quay-mirror`)).toBeUndefined();
    expect(condition(server, 'Available')?.status).toBe('True');
    expect(registry(server)?.status?.conditions?.every((c: Obj) => c.observedGeneration === undefined || c.observedGeneration === registry(server)?.metadata.generation)).toBe(true);
  }, PHASE_TIMEOUT_MS);
  await run.supervisor.current?.controller.whenIdle();
}

/** Waits until the run's final state is `expected`; throws with the objects that differ. */
export async function converge(run: Run, expected: FinalState, timeoutMs = PHASE_TIMEOUT_MS): Promise<void> {
  try {
    await eventually(() => {
      const diff = difference(finalState(run.server), expected);
      const lines = Object.entries(diff).flatMap(([k, d]) => changes(d.actual, d.expected, k));
      if (lines.length > 0) throw new Error(`differs from the clean run (actual ≠ clean):\n${lines.slice(0, 40).join('\n')}`);
    }, timeoutMs);
  } catch (err) {
    throw new Error(`did not converge: ${(err as Error).message}`);
  }
}

/**
 * Ends a run: stops the operator and the cluster, and returns what went wrong besides the final
 * state: the history's problems, the operator's writes the server refused for another reason than
 * the injected faults (409 and 404 are races the operator retries), and any Secret value in its
 * logs, metrics, Events or the registry's status.
 */
export async function endRun(run: Run): Promise<string[]> {
  const { server, supervisor, cluster, history } = run;
  server.faults.clear();
  const metrics = supervisor.current?.metrics.render() ?? '';
  await supervisor.stop();
  cluster.stop();
  history.stop();
  const refused = server
    .writes()
    .filter((w) => w.user === OPERATOR_USER && (w.code ?? 0) >= 400 && ![404, 409].includes(w.code ?? 0) && !w.message?.startsWith('injected failure'))
    .map((w) => `refused: ${w.method} ${w.path}: ${w.code} ${w.message}`);
  const leaks = findLeaks(server, { ...publishedByOperator(server), logs: supervisor.logs.join('\n'), metrics });
  await server.stop();
  return [...historyProblems(history), ...refused, ...leaks];
}
