// `quay-operator run`: the in-cluster (or out-of-cluster) operator process.
import * as os from 'node:os';
import { parseArgs } from 'node:util';
import { Controller } from '../controller/controller';
import { KubeClient, KubeClientOptions, ThrottleInfo } from '../controller/kube-client';
import { ClusterConnection, loadConnection } from '../controller/kube-config';
import { operatorConditionFromEnv } from '../controller/operator-condition';
import { LeaderElector } from '../controller/runtime/leader-election';
import { TokenBucket } from '../controller/runtime/rate-limiter';
import { startProbeServer } from '../controller/runtime/http-server';
import { startReconfigureServer } from '../controller/runtime/reconfigure-server';
import { applyOperatorV8Flags } from '../controller/runtime/v8-flags';
import { RECONFIGURE_PORT, operatorEndpointFromEnv } from '../editor';
import { Level, Writable, createLogger, parseLevel } from '../controller/runtime/logger';
import { Registry } from '../controller/runtime/metrics';
import { DEFAULT_QUAY_VERSION, imagesFromEnv } from '../images';
import { proxyFromEnv } from '../proxy';
import { APPS_DOMAIN } from '../names';
import { formatProblem, problem } from '../problems';
import type { Io } from './main';

export const RUN_HELP = `quay-operator run: run the operator against a cluster

Usage: quay-operator run [options]

Uses --kubeconfig, else KUBECONFIG or ~/.kube/config, else the in-cluster service account.
Watches QuayRegistries in every namespace, or in --namespace only (else WATCH_NAMESPACE, which
OLM sets from olm.targetNamespaces; empty means all). Stops gracefully on SIGTERM:
reconciles in flight finish and the leader lease is released.

Options:
      --namespace NS       watch only this namespace (default: WATCH_NAMESPACE, else all)
      --kubeconfig PATH    kubeconfig file
      --leader-elect       hold a coordination.k8s.io Lease, so several replicas can run
      --metrics-port PORT  Prometheus /metrics (default 8080)
      --health-port PORT   /healthz and /readyz (default 8081)
      --reconfigure-port PORT
                           POST /reconfigure, where config editors commit (default 7071)
      --concurrency N      registries reconciled at once (default 4)
      --log-level LEVEL    debug, info, warn or error (default info)
      --kube-api-qps N     API requests a second, sustained; watches not counted (default 20)
      --kube-api-burst N   API requests at once after a quiet spell (default 30)
      --kube-api-timeout DURATION
                           an API request without a complete answer by then fails and is
                           retried (default 60s; 0: never)
      --leader-elect-lease-duration DURATION
                           how long a lease is held without renewal before another replica
                           may take it (default 15s, whole seconds)
      --leader-elect-renew-deadline DURATION
                           the leader steps down when it could not renew for this long
                           (default 10s); a renewal without an answer by then is given up
      --leader-elect-retry-period DURATION
                           how often the lease is renewed or tried for (default 2s)

Durations: 500ms, 30s, 2m. An answer 429 (API Priority and Fairness) or a 5xx with Retry-After
holds every request for the time it says, then the request is sent again (10 times at most; not a
write answered 500 ServerTimeout or 504, which the server may still be processing).

Environment: RELATED_IMAGE_COMPONENT_* (component images), QUAY_VERSION, HTTP_PROXY/HTTPS_PROXY/
NO_PROXY (passed on to Quay, Clair and mirror), POD_NAME and POD_NAMESPACE (leader election),
KUBE_API_QPS, KUBE_API_BURST and KUBE_API_TIMEOUT (when the flags are not given),
QUAY_OPERATOR_ENDPOINT (where config editors commit; default the quay-operator Service in
POD_NAMESPACE, port 7071), OPERATOR_CONDITION_NAME (set by OLM: the OperatorCondition in
POD_NAMESPACE told Upgradeable=False while a migration or PostgreSQL upgrade runs).

Examples:
  quay-operator run --kubeconfig ~/.kube/config --namespace quay-enterprise
`;

export class RunUsageError extends Error {}

/**
 * `quay-operator run ARGS` as bin.js starts it: without loading main.ts, whose other commands load
 * cdk8s and every construct (start-up CPU and memory the operator would pay for nothing). Usage
 * errors are reported as main() reports them.
 */
export function runMain(args: string[], io: Io): number | Promise<number> {
  try {
    return runCommand(args, io);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (err instanceof RunUsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      io.stderr(`error: ${(err as Error).message}\nRun \`quay-operator help\` for usage.\n`);
      return 2;
    }
    throw err;
  }
}

export function runCommand(args: string[], io: Io): number | Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      namespace: { type: 'string' },
      kubeconfig: { type: 'string' },
      'leader-elect': { type: 'boolean', default: false },
      'metrics-port': { type: 'string', default: '8080' },
      'health-port': { type: 'string', default: '8081' },
      'reconfigure-port': { type: 'string', default: '7071' },
      concurrency: { type: 'string', default: '4' },
      'log-level': { type: 'string' },
      'kube-api-qps': { type: 'string' },
      'kube-api-burst': { type: 'string' },
      'kube-api-timeout': { type: 'string' },
      'leader-elect-lease-duration': { type: 'string', default: '15s' },
      'leader-elect-renew-deadline': { type: 'string', default: '10s' },
      'leader-elect-retry-period': { type: 'string', default: '2s' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    io.stdout(RUN_HELP);
    return 0;
  }
  const port = (flag: string, v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new RunUsageError(`--${flag} must be a port number, got ${v}`);
    return n;
  };
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RunUsageError(`--concurrency must be a whole number of at least 1, got ${values.concurrency}`);
  const api = apiClientSettings(values, io.env);
  const leaseDurationMs = duration('--leader-elect-lease-duration', values['leader-elect-lease-duration']);
  const renewDeadlineMs = duration('--leader-elect-renew-deadline', values['leader-elect-renew-deadline']);
  const retryPeriodMs = duration('--leader-elect-retry-period', values['leader-elect-retry-period']);
  // The Lease stores whole seconds; client-go's rule: duration > renew deadline > retry period > 0.
  if (leaseDurationMs % 1000 !== 0 || leaseDurationMs === 0) throw new RunUsageError(`--leader-elect-lease-duration must be whole seconds, got ${values['leader-elect-lease-duration']}`);
  if (!(leaseDurationMs > renewDeadlineMs && renewDeadlineMs > retryPeriodMs && retryPeriodMs > 0)) {
    throw new RunUsageError('--leader-elect-lease-duration must be longer than --leader-elect-renew-deadline, which must be longer than --leader-elect-retry-period (> 0)');
  }
  applyOperatorV8Flags();
  return runOperator(
    {
      ...(values.namespace ? { namespace: values.namespace } : {}),
      ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}),
      leaderElect: values['leader-elect'],
      metricsPort: port('metrics-port', values['metrics-port']),
      healthPort: port('health-port', values['health-port']),
      reconfigurePort: port('reconfigure-port', values['reconfigure-port']),
      concurrency,
      ...(values['log-level'] ? { logLevel: values['log-level'] } : {}),
      api,
      leaderElection: { leaseDurationMs, renewDeadlineMs, retryPeriodMs },
    },
    io.env,
  );
}

/** A duration: 500ms, 30s, 2m (or 0). `name` is what the user set, as they wrote it: `--flag` or VARIABLE. */
function duration(name: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$|^0$/.exec(text.trim());
  if (!m) throw new RunUsageError(`${name} must be a duration such as 500ms, 30s or 2m, got ${JSON.stringify(text)}`);
  return m[0] === '0' ? 0 : Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2] as 'ms' | 's' | 'm']);
}

/** How the operator talks to the API server: --kube-api-qps, --kube-api-burst, --kube-api-timeout, else KUBE_API_*, else the defaults. */
export function apiClientSettings(values: { 'kube-api-qps'?: string; 'kube-api-burst'?: string; 'kube-api-timeout'?: string }, env: Readonly<Record<string, string | undefined>>): ApiClientSettings {
  const pick = (flag: 'kube-api-qps' | 'kube-api-burst' | 'kube-api-timeout', variable: string) =>
    values[flag] !== undefined ? { text: values[flag] as string, from: `--${flag}` } : env[variable] ? { text: env[variable] as string, from: variable } : undefined;
  const qps = pick('kube-api-qps', 'KUBE_API_QPS');
  const burst = pick('kube-api-burst', 'KUBE_API_BURST');
  const timeout = pick('kube-api-timeout', 'KUBE_API_TIMEOUT');
  const settings = { ...DEFAULT_API_CLIENT };
  if (qps) {
    settings.qps = Number(qps.text);
    if (!(settings.qps > 0) || !Number.isFinite(settings.qps)) throw new RunUsageError(`${qps.from} must be a number of requests a second above 0, got ${qps.text}`);
  }
  if (burst) {
    settings.burst = Number(burst.text);
    if (!Number.isInteger(settings.burst) || settings.burst < 1) throw new RunUsageError(`${burst.from} must be a whole number of at least 1, got ${burst.text}`);
  }
  if (timeout) settings.timeoutMs = duration(timeout.from, timeout.text);
  return settings;
}

export interface ApiClientSettings {
  qps: number;
  burst: number;
  timeoutMs: number;
}

/** controller-runtime's QPS and burst; kube-apiserver's own request timeout. */
export const DEFAULT_API_CLIENT: Readonly<ApiClientSettings> = { qps: 20, burst: 30, timeoutMs: 60_000 };

export interface RunOptions {
  readonly namespace?: string;
  readonly kubeconfig?: string;
  readonly leaderElect: boolean;
  readonly metricsPort: number;
  readonly healthPort: number;
  /** POST /reconfigure for config editors (default 7071). */
  readonly reconfigurePort?: number;
  readonly concurrency: number;
  readonly logLevel?: string;
  /** Rate limit and timeout of API requests (default DEFAULT_API_CLIENT). */
  readonly api?: ApiClientSettings;
  /** Lease timings (default 15 s, 10 s, 2 s as client-go). */
  readonly leaderElection?: { readonly leaseDurationMs: number; readonly renewDeadlineMs: number; readonly retryPeriodMs: number };
}

/** --kubeconfig, else KUBECONFIG, ~/.kube/config, or the in-cluster ServiceAccount (client-node only where needed). */
export function loadKubeConfig(path: string | undefined): ClusterConnection {
  return loadConnection(path);
}

/**
 * The one namespace watched: --namespace, else WATCH_NAMESPACE, which OLM sets from the pod's
 * olm.targetNamespaces annotation ('' under AllNamespaces); undefined: all namespaces. Several
 * (OLM's MultiNamespace, comma-separated) are refused: the bundle does not offer that mode.
 */
export function watchNamespace(flag: string | undefined, env: Readonly<Record<string, string | undefined>>): { namespace?: string; problem?: string } {
  const value = (flag ?? env.WATCH_NAMESPACE ?? '').trim();
  if (value === '') return {};
  if (value.includes(',')) return { problem: `WATCH_NAMESPACE ${JSON.stringify(value)} names several namespaces; the operator watches one, or all (empty)` };
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value) || value.length > 63) return { problem: `${flag !== undefined ? '--namespace' : 'WATCH_NAMESPACE'} ${JSON.stringify(value)} is not a namespace name` };
  return { namespace: value };
}

/** Runs until SIGTERM/SIGINT (or the lease is lost); resolves with the exit code. */
export async function runOperator(options: RunOptions, env: Readonly<Record<string, string | undefined>>, kubeConfig?: ClusterConnection): Promise<number> {
  const operator = await startOperator(options, env, kubeConfig);
  if (typeof operator === 'number') return operator;
  process.once('SIGTERM', operator.stop);
  process.once('SIGINT', operator.stop);
  try {
    return await operator.exited;
  } finally {
    process.off('SIGTERM', operator.stop);
    process.off('SIGINT', operator.stop);
  }
}

/** client-go's, as LeaderElector's default. */
const DEFAULT_RENEW_DEADLINE_MS = 10_000;

/**
 * The lease's client: no request may outlast the renew deadline (client-go bounds each renewal with
 * context.WithTimeout(RenewDeadline)), so its timeout is the shorter of that and --kube-api-timeout,
 * and a 429 or a 5xx with Retry-After is the answer, not waited out (Retry-After may be up to 60 s,
 * ten times): the elector tries again a retry period later. The elector also gives up an attempt
 * at the deadline (leader-election.ts); these bound the request it leaves behind.
 */
export function leaseClientOptions(options: KubeClientOptions, renewDeadlineMs: number): KubeClientOptions {
  const timeoutMs = options.timeoutMs === undefined || options.timeoutMs === 0 ? renewDeadlineMs : Math.min(options.timeoutMs, renewDeadlineMs);
  return { ...options, timeoutMs, maxRetries: 0 };
}

/** An operator started in this process: what `run` is between start and exit. */
export interface RunningOperator {
  readonly controller: Controller;
  readonly metrics: Registry;
  readonly elector?: LeaderElector;
  /** The client reconciles use (its stats count requests, throttles and timeouts). */
  readonly client: KubeClient;
  /** A graceful stop, as SIGTERM: reconciles in flight finish, the lease is released. */
  readonly stop: () => void;
  /** Resolves with the exit code once stopped (asked to, or the lease lost). */
  readonly exited: Promise<number>;
}

/**
 * Starts the operator: probes, metrics, the reconfigure endpoint, the leader election and the
 * controller. Returns the exit code instead when the environment is invalid. Tests run it in
 * process, with `logStream` collecting the logs.
 */
export async function startOperator(
  options: RunOptions,
  env: Readonly<Record<string, string | undefined>>,
  kubeConfig?: ClusterConnection,
  logStream?: Writable,
): Promise<RunningOperator | number> {
  const logger = createLogger({ level: parseLevel(options.logLevel ?? env.LOG_LEVEL, 'info' as Level), ...(logStream ? { stream: logStream } : {}) });
  const { images, problems: imageProblems } = imagesFromEnv(env);
  const { operatorEndpoint, problems: endpointProblems } = operatorEndpointFromEnv(env);
  const problems = [...imageProblems, ...endpointProblems];
  if (env.QUAY_APPS_DOMAIN && !APPS_DOMAIN.test(env.QUAY_APPS_DOMAIN)) problems.push(problem('QUAY_APPS_DOMAIN', `${JSON.stringify(env.QUAY_APPS_DOMAIN)} is not a DNS domain`));
  if (problems.length > 0) {
    for (const p of problems) logger.error(formatProblem('environment', p));
    return 2;
  }
  const { namespace, problem: namespaceProblem } = watchNamespace(options.namespace, env);
  if (namespaceProblem) {
    logger.error(`error: ${namespaceProblem}`);
    return 2;
  }
  const connection = kubeConfig ?? loadKubeConfig(options.kubeconfig);
  const metrics = new Registry();
  const api = options.api ?? DEFAULT_API_CLIENT;
  const throttled = metrics.counter({
    name: 'quay_operator_api_throttled_total',
    help: 'Answers of the API server asking the operator to wait (429 from API Priority and Fairness, or a 5xx with Retry-After), by code.',
    labelNames: ['code'],
  });
  const clientOptions = (): KubeClientOptions => ({
    timeoutMs: api.timeoutMs,
    rateLimiter: new TokenBucket({ qps: api.qps, burst: api.burst }),
    onThrottled: (t: ThrottleInfo) => {
      throttled.inc({ code: String(t.status) });
      logger.info('the API server asked to wait', { method: t.method, path: t.path, code: t.status, retryInMs: t.retryAfterMs, waited: t.waited, flowSchemaUID: t.flowSchemaUID ?? null, priorityLevelUID: t.priorityLevelUID ?? null });
    },
  });
  const client = new KubeClient(connection, clientOptions());
  // Under OLM v0 (OPERATOR_CONDITION_NAME set): Upgradeable=False while a migration or PostgreSQL upgrade runs.
  const { condition: operatorCondition, problem: conditionProblem } = operatorConditionFromEnv(env);
  if (conditionProblem) logger.warn(conditionProblem);
  const environment = { images, quayVersion: env.QUAY_VERSION || DEFAULT_QUAY_VERSION, ...proxyFromEnv(env), ...(operatorEndpoint ? { operatorEndpoint } : {}) };
  const controller = new Controller({
    client,
    ...(namespace ? { namespace } : {}),
    environment,
    logger,
    metrics,
    concurrency: options.concurrency,
    ...(operatorCondition ? { operatorCondition } : {}),
    // Route-style hosts (<name>-quay-<namespace>.<domain>) for Ingress and Gateway exposure off OpenShift.
    ...(env.QUAY_APPS_DOMAIN ? { appsDomain: env.QUAY_APPS_DOMAIN } : {}),
  });

  let healthy = true;
  let elector: LeaderElector | undefined;
  // A standby replica (not the leader) is ready: otherwise a rolling update of the operator would
  // wait forever for a new pod that cannot get the lease the old one holds (as controller-runtime).
  const isReady = () => (elector && !elector.isLeader() ? healthy : controller.isReady());
  const probes = await startProbeServer({ port: options.healthPort, isReady, isHealthy: () => healthy, metrics: () => metrics.render() });
  const metricsServer =
    options.metricsPort === options.healthPort ? undefined : await startProbeServer({ port: options.metricsPort, isReady: () => true, isHealthy: () => true, metrics: () => metrics.render() });
  // Every replica answers commits (the Service balances over them): writing the bundle Secret needs no lease.
  const reconfigure = await startReconfigureServer(
    { client, logger, environment: () => controller.discoveredEnvironment(), ...(namespace ? { namespace } : {}) },
    options.reconfigurePort ?? RECONFIGURE_PORT,
  );
  logger.info('quay-operator starting', { namespace: namespace ?? '(all)', leaderElect: options.leaderElect, quayVersion: env.QUAY_VERSION || DEFAULT_QUAY_VERSION });

  let shuttingDown = false;
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => {
    stop = () => {
      shuttingDown = true;
      resolve();
    };
  });
  // The API server may be unreachable for a while (a restart, a network blip): keep trying, with
  // backoff, rather than sit idle or crash.
  const startController = async (): Promise<void> => {
    for (let delay = 1000; !shuttingDown; delay = Math.min(delay * 2, 30_000)) {
      try {
        await controller.start();
        return;
      } catch (err) {
        logger.error('controller failed to start; retrying', { err: (err as Error).message, retryInMs: delay });
        await new Promise((r) => setTimeout(r, delay).unref());
      }
    }
  };

  if (options.leaderElect) {
    const identity = env.POD_NAME || `${os.hostname()}-${process.pid}`;
    const timings = options.leaderElection;
    elector = new LeaderElector({
      // A client of its own, as controller-runtime's: reconciles using up the rate limit, or told to
      // wait by a 429, must not hold back the renewals and cost the lease.
      client: new KubeClient(connection, leaseClientOptions(clientOptions(), timings?.renewDeadlineMs ?? DEFAULT_RENEW_DEADLINE_MS)),
      ...(timings ? { leaseDurationSeconds: timings.leaseDurationMs / 1000, renewDeadlineSeconds: timings.renewDeadlineMs / 1000, retryPeriodSeconds: timings.retryPeriodMs / 1000 } : {}),
      namespace: env.POD_NAMESPACE || namespace || 'default',
      name: 'quay-operator-leader',
      identity,
      logger,
      onStartedLeading: () => {
        logger.info('became leader', { identity });
        void startController();
      },
      onStoppedLeading: () => {
        if (shuttingDown) return; // we released the lease ourselves
        // Another replica may now reconcile: stop at once rather than risk two writers.
        logger.error('lost leadership; exiting', { identity });
        healthy = false;
        stop();
      },
    });
    elector.start();
  } else {
    void startController();
  }

  const exited = stopped.then(async () => {
    logger.info('shutting down: finishing reconciles in flight');
    await controller.stop();
    if (elector) await elector.stop();
    await probes.close();
    await reconfigure.close();
    if (metricsServer) await metricsServer.close();
    logger.info('stopped');
    return 0;
  });
  return { controller, metrics, client, stop, exited, ...(elector ? { elector } : {}) };
}
