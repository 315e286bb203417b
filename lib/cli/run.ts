// `quay-operator run`: the in-cluster (or out-of-cluster) operator process.
import * as os from 'node:os';
import { parseArgs } from 'node:util';
import { Controller } from '../controller/controller';
import { KubeClient } from '../controller/kube-client';
import { ClusterConnection, loadConnection } from '../controller/kube-config';
import { operatorConditionFromEnv } from '../controller/operator-condition';
import { LeaderElector } from '../controller/runtime/leader-election';
import { startProbeServer } from '../controller/runtime/http-server';
import { startReconfigureServer } from '../controller/runtime/reconfigure-server';
import { applyOperatorV8Flags } from '../controller/runtime/v8-flags';
import { RECONFIGURE_PORT, operatorEndpointFromEnv } from '../editor';
import { Level, createLogger, parseLevel } from '../controller/runtime/logger';
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

Environment: RELATED_IMAGE_COMPONENT_* (component images), QUAY_VERSION, HTTP_PROXY/HTTPS_PROXY/
NO_PROXY (passed on to Quay, Clair and mirror), POD_NAME and POD_NAMESPACE (leader election),
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
    },
    io.env,
  );
}

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

/** Runs until SIGTERM/SIGINT; resolves with the exit code. */
export async function runOperator(options: RunOptions, env: Readonly<Record<string, string | undefined>>, kubeConfig?: ClusterConnection): Promise<number> {
  const logger = createLogger({ level: parseLevel(options.logLevel ?? env.LOG_LEVEL, 'info' as Level) });
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
  const client = new KubeClient(kubeConfig ?? loadKubeConfig(options.kubeconfig));
  const metrics = new Registry();
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
  const stopped = new Promise<void>((resolve) => {
    const stop = () => {
      shuttingDown = true;
      resolve();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
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
    elector = new LeaderElector({
      client,
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
        process.kill(process.pid, 'SIGTERM');
      },
    });
    elector.start();
  } else {
    void startController();
  }

  await stopped;
  logger.info('shutting down: finishing reconciles in flight');
  await controller.stop();
  if (elector) await elector.stop();
  await probes.close();
  await reconfigure.close();
  if (metricsServer) await metricsServer.close();
  logger.info('stopped');
  return 0;
}
