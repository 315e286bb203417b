// The operator as a process of its own (build/lib/cli/bin.js `run`), against the fake API server in
// the test's process: so SIGKILL is a real kill -9, with requests cut off wherever they are.
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { createBundleSecret } from '../support/controller-harness';
import { eventually, openshiftCluster } from '../support/cluster-sim';
import { FakeApiServer } from '../support/fake-apiserver';
import { findLeaks, publishedByOperator } from '../support/leak-scan';
import { installOperator } from '../support/operator-install';
import { FinalState, History, MIGRATION_JOB, NAME, NS, REGISTRY, digests, finalState, historyProblems, recordHistory } from './faults-state';
import { PhasedCluster } from './faults-scenario';

type Obj = Record<string, any>;

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'build/lib/cli/bin.js');

/** Short leases, so a takeover after a kill takes seconds: `--leader-elect-*` flags. */
export const LEASE = { durationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 };

export interface OperatorProcess {
  readonly identity: string;
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  logs(): string;
}

/** A cluster in the test's process, the operator's kubeconfig written to a file, and the user's bundle. */
export interface ProcessRun {
  readonly server: FakeApiServer;
  readonly cluster: PhasedCluster;
  readonly history: History;
  readonly kubeconfig: string;
  readonly operators: OperatorProcess[];
  readonly dir: string;
}

function kubeconfigYaml(kc: KubeConfig): string {
  const server = kc.getCurrentCluster()!.server;
  const token = kc.getCurrentUser()!.token!;
  return [
    'apiVersion: v1',
    'kind: Config',
    `clusters:\n- name: fake\n  cluster:\n    server: ${server}`,
    `users:\n- name: fake\n  user:\n    token: ${token}`,
    'contexts:\n- name: fake\n  context:\n    cluster: fake\n    user: fake',
    'current-context: fake',
    '',
  ].join('\n');
}

export async function startProcessRun(): Promise<ProcessRun> {
  const server = await FakeApiServer.start();
  openshiftCluster(server);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quay-operator-faults-'));
  const kubeconfig = path.join(dir, 'kubeconfig');
  fs.writeFileSync(kubeconfig, kubeconfigYaml(installOperator(server)));
  createBundleSecret(server, 'FEATURE_USER_INITIALIZE: true\n');
  return { server, cluster: new PhasedCluster(server), history: recordHistory(server), kubeconfig, operators: [], dir };
}

/**
 * Starts `quay-operator run --leader-elect` as POD_NAME `identity` (the same name again is a
 * container restarted in its pod, which holds the lease it held).
 */
export function startOperatorProcess(run: ProcessRun, identity: string): OperatorProcess {
  const lease = ['--leader-elect-lease-duration', `${LEASE.durationMs / 1000}s`, '--leader-elect-renew-deadline', `${LEASE.renewDeadlineMs}ms`, '--leader-elect-retry-period', `${LEASE.retryPeriodMs}ms`];
  const ports = ['--health-port', '0', '--metrics-port', '0', '--reconfigure-port', '0'];
  const child = spawn(process.execPath, [BIN, 'run', '--kubeconfig', run.kubeconfig, '--leader-elect', ...lease, ...ports, '--log-level', 'debug'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', POD_NAME: identity, POD_NAMESPACE: 'quay-operator' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let logs = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (logs += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const op = { identity, child, exited, logs: () => logs };
  run.operators.push(op);
  return op;
}

/** kill -9, and waits for the process to be gone. */
export async function kill9(op: OperatorProcess): Promise<void> {
  op.child.kill('SIGKILL');
  const { signal } = await op.exited;
  if (signal !== 'SIGKILL') throw new Error(`${op.identity} exited by itself before the kill (${signal}): ${op.logs().slice(-2000)}`);
}

/** Calls `fn` once, synchronously, when the server stores a change `when` selects: a kill then lands while the request is being answered. */
export function onceWhen(server: FakeApiServer, when: (change: { type: string; obj: Obj }) => boolean, fn: () => void): Promise<void> {
  return new Promise((resolve) => {
    const stop = server.onChange((change) => {
      if (!when(change)) return;
      stop();
      fn();
      resolve();
    });
  });
}

export const registryOf = (server: FakeApiServer) => server.get(REGISTRY.apiVersion, REGISTRY.kind, NS, NAME) as Obj | undefined;
export const created = (kind: string, name: string) => (c: { type: string; obj: Obj }) => c.type === 'ADDED' && c.obj.kind === kind && c.obj.metadata.name === name;
export const MIGRATION = created('Job', MIGRATION_JOB);

export const createRegistry = (run: ProcessRun) => run.server.create({ ...REGISTRY, metadata: { name: NAME, namespace: NS }, spec: { configBundleSecret: 'config-bundle-secret' } });
const available = (run: ProcessRun) => ((registryOf(run.server)?.status?.conditions ?? []) as Obj[]).some((c) => c.type === 'Available' && c.status === 'True');

/** Waits until Available and the final state has not changed for a second (50 polls, 20 ms apart): a clean run's end. */
export async function settled(run: ProcessRun): Promise<FinalState> {
  await eventually(() => expect(available(run)).toBe(true), 30_000);
  let last = '';
  let stable = 0;
  await eventually(() => {
    const now = JSON.stringify(digests(finalState(run.server)));
    stable = now === last ? stable + 1 : 0;
    last = now;
    expect(stable).toBeGreaterThanOrEqual(50);
  }, 30_000);
  return finalState(run.server);
}

/** `p`, or a rejection naming `what` after `ms`. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Stops what is left (SIGTERM) and the server; returns the history's problems and any Secret value in the operators' logs. */
export async function endProcessRun(run: ProcessRun): Promise<string[]> {
  run.cluster.stop();
  run.history.stop();
  for (const op of run.operators) if (op.child.exitCode === null && op.child.signalCode === null) op.child.kill('SIGTERM');
  await Promise.all(run.operators.map((op) => op.exited));
  const logs = run.operators.map((op) => op.logs()).join('\n');
  const leaks = findLeaks(run.server, { ...publishedByOperator(run.server), logs });
  await run.server.stop();
  fs.rmSync(run.dir, { recursive: true, force: true });
  const crashes = run.operators.filter((op) => /internal error|uncaught|unhandled/i.test(op.logs())).map((op) => `${op.identity} crashed: ${op.logs().slice(-1500)}`);
  return [...historyProblems(run.history), ...leaks, ...crashes];
}
