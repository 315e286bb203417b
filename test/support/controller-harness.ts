// What the controller tests share: the operator started as its own ServiceAccount (the RBAC
// `manifests` grants), its refused writes, and the user's config bundle Secret.
import type { KubeConfig } from '@kubernetes/client-node';
import { Controller } from '../../lib/controller/controller';
import { KubeClient } from '../../lib/controller/kube-client';
import type { OperatorConditionRef } from '../../lib/controller/operator-condition';
import { Logger, createLogger } from '../../lib/controller/runtime/logger';
import { Registry } from '../../lib/controller/runtime/metrics';
import { DEFAULT_IMAGES, Images } from '../../lib/images';
import type { RegistryModel } from '../../lib/model';
import type { QuayTarget } from '../../lib/controller/quay-api';
import type { FakeApiServer } from './fake-apiserver';
import { findLeaks, publishedByOperator } from './leak-scan';

/** The user `installOperator` gives the operator. */
export const OPERATOR_USER = 'system:serviceaccount:quay-operator:quay-operator';

export interface HarnessOptions {
  readonly quayVersion: string;
  readonly images?: Images;
  /** The one namespace watched (`--namespace`); all when undefined. */
  readonly namespace?: string;
  /** Under OLM: the OperatorCondition OPERATOR_CONDITION_NAME names, in the operator's namespace. */
  readonly operatorCondition?: OperatorConditionRef;
  readonly logger?: Logger;
  /** QUAY_APPS_DOMAIN: the apps domain off OpenShift. */
  readonly appsDomain?: string;
  /** The controller's metrics, for tests that count its reconciles. */
  readonly metrics?: Registry;
  /** Where quay-app answers (a fake Quay), for the first-user call. */
  readonly quayTarget?: (model: RegistryModel) => QuayTarget;
}

/** What each started controller said: its log lines (debug level) and metrics, for the leak scan in shutDown. */
const said = new WeakMap<Controller, { logs: string[]; metrics: Registry }>();

/** A started controller on `kubeConfig` (from installOperator), rediscovering the cluster only hourly. */
export async function startController(kubeConfig: KubeConfig, options: HarnessOptions): Promise<Controller> {
  const logs: string[] = [];
  const metrics = options.metrics ?? new Registry();
  const controller = new Controller({
    client: new KubeClient(kubeConfig),
    ...(options.namespace ? { namespace: options.namespace } : {}),
    environment: { images: options.images ?? DEFAULT_IMAGES, quayVersion: options.quayVersion },
    logger: options.logger ?? createLogger({ level: 'debug', stream: { write: (line: string) => logs.push(line) } }),
    metrics,
    discoveryIntervalMs: 3_600_000,
    ...(options.operatorCondition ? { operatorCondition: options.operatorCondition } : {}),
    ...(options.appsDomain ? { appsDomain: options.appsDomain } : {}),
    ...(options.quayTarget ? { quayTarget: options.quayTarget } : {}),
  });
  said.set(controller, { logs, metrics });
  await controller.start();
  return controller;
}

/**
 * The operator's writes the server refused, as `METHOD path: code message`, but for the codes a
 * test tolerates (409: a write from a stale read, retried; 404: an object already gone).
 */
export function refusedOperatorWrites(server: FakeApiServer, tolerated: readonly number[]): string[] {
  return server
    .writes()
    .filter((w) => w.user === OPERATOR_USER && (w.code ?? 0) >= 400 && !tolerated.includes(w.code ?? 0))
    .map((w) => `${w.method} ${w.path}: ${w.code} ${w.message}`);
}

/**
 * After a test: stops the controller, then the server; the operator's refused writes (see
 * refusedOperatorWrites), and any Secret's value found in its logs, metrics, Events or the
 * registries' status (test/support/leak-scan.ts), as `LEAK in ...` lines.
 */
export async function shutDown(server: FakeApiServer, controller: Controller | undefined, tolerated: readonly number[]): Promise<string[]> {
  await controller?.stop();
  const refused = refusedOperatorWrites(server, tolerated);
  const leaks = leaksAfter(server, controller);
  await server.stop();
  return [...refused, ...leaks];
}

/** The leak scan of a controller startController started (its logs and metrics too). */
export function leaksAfter(server: FakeApiServer, controller: Controller | undefined): string[] {
  return leaksOf(server, controller ? said.get(controller) : undefined);
}

/**
 * The leak scan alone, for tests that build their Controller themselves: any Secret's value in the
 * Events, the registries' status, and the log lines (raw or parsed) and metrics given.
 */
export function leaksOf(server: FakeApiServer, output?: { logs: readonly unknown[]; metrics: Registry }): string[] {
  const logs = output?.logs.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n');
  return findLeaks(server, { ...publishedByOperator(server), ...(output ? { logs: logs!, metrics: output.metrics.render() } : {}) });
}

/** The user's config bundle Secret, `config.yaml` only. */
export function createBundleSecret(server: FakeApiServer, config: string, namespace = 'quay-enterprise', name = 'config-bundle-secret'): void {
  server.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, data: { 'config.yaml': Buffer.from(config).toString('base64') } });
}

/** How many reconciles the controller finished (its quay_operator_reconciles_total, all results). */
export function reconcileCount(metrics: Registry): number {
  return [...metrics.render().matchAll(/^quay_operator_reconciles_total\{[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
}
